"""`stratago gtp`: a GTP version 2 engine on standard input and output."""

from __future__ import annotations

import argparse

from cli import _common

HELP = "run a Go agent as a GTP engine on stdin/stdout (for Sabaki, GoGui, referees)"
DESCRIPTION = """\
Speaks GTP version 2 on standard input and output, so any GTP controller
(Sabaki, GoGui, gogui-twogtp, a server bridge, this project's referee) can
play the agent. SPEC names the agent: random[:SEED] (uniform legal moves that
fill no own eye), heuristic[:SEED] (one-ply capture, atari and self-atari
rules; stronger than random) or py:MODULE:FUNCTION, a factory
FUNCTION(board_size) -> agent with select_action(state). Rules are
OpenSpiel's: area scoring, suicide illegal, simple ko, a repeated position
ends the game as a draw. Bad input gets a '? message' answer, never a crash.
Logs go to stderr only.

examples:
  stratago gtp --agent random
  stratago gtp --agent heuristic:7 --name stratago-heuristic
  gogui-twogtp -black "stratago gtp --agent heuristic" -white "gnugo --mode gtp" -size 9
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--agent", default="heuristic", metavar="SPEC",
                      help="random[:SEED], heuristic[:SEED] or py:MODULE:FUNCTION")
  parser.add_argument("--name", default=None, help="what the engine answers to 'name' (default: stratago-AGENT)")
  parser.add_argument("--size", type=int, default=19, help="board size before any 'boardsize' command")
  parser.add_argument("--komi", type=float, default=7.5, help="komi before any 'komi' command")


def run(args: argparse.Namespace) -> int:
  import io
  import sys
  from agents.go_baselines import make_go_agent
  from agents.gtp.engine import GtpEngine
  from core.errors import UserError
  from games import go
  if not go.MIN_SIZE <= args.size <= go.MAX_SIZE:
    raise UserError(f"--size must be in {go.MIN_SIZE}..{go.MAX_SIZE}, got {args.size}")
  make_go_agent(args.agent, args.size)  # A bad SPEC fails here, before any GTP traffic.
  name = args.name or f"stratago-{args.agent.split(':')[0]}"
  engine = GtpEngine(lambda size: make_go_agent(args.agent, size), name=name, version=_common.version(),
                     board_size=args.size, komi=args.komi)
  # Bytes that are not UTF-8 must reach the engine as bad input, not kill the reader.
  stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
  try:
    engine.serve(stdin, sys.stdout)
  except BrokenPipeError:  # The controller went away; nothing left to answer.
    sys.stderr.close()
  return 0
