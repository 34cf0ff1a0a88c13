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
rules; stronger than random), policy:PATH (a trained policy.npz), run:RUN_DIR
(a training run's latest checkpoint); add ',sims=N' and/or ',time=SECONDS' to
either to search with the network (PUCT; then lz-analyze and kata-analyze give
Sabaki its move values, and time_settings/time_left cap the time per move),
py:MODULE:CALLABLE (your own agent: CALLABLE(game, seed) returns an object
with step(state) -> action),
gtp:COMMAND (another GTP engine) or gnugo[:LEVEL]. A trained agent plays the
board size it was trained on, and the engine starts at that size. Rules are
OpenSpiel's: area scoring, suicide illegal, simple ko, a repeated position
ends the game as a draw. Bad input gets a '? message' answer, never a crash.
Logs go to stderr only.

examples:
  stratago gtp --agent heuristic:7 --name stratago-heuristic
  stratago gtp --agent policy:runs/go9/policy.npz
  stratago gtp --agent policy:runs/go9/policy.npz,sims=400
  gogui-twogtp -black "stratago gtp --agent heuristic" -white "gnugo --mode gtp" -size 9
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--agent", default="heuristic", metavar="SPEC",
                      help="random[:SEED], heuristic[:SEED], policy:PATH[,sims=N][,time=S], "
                           "run:RUN_DIR[,sims=N][,time=S], py:MODULE:CALLABLE, gtp:COMMAND or gnugo[:LEVEL]")
  parser.add_argument("--seed", type=_common.seed, default=0,
                      help="seeds the agent (together with SPEC's own seed where it gives one)")
  parser.add_argument("--name", default=None, help="what the engine answers to 'name' (default: stratago-AGENT)")
  parser.add_argument("--size", type=int, default=None,
                      help="board size before any 'boardsize' command (default: a trained agent's, else 19)")
  parser.add_argument("--komi", type=_common.finite_float, default=7.5, help="komi before any 'komi' command")


def run(args: argparse.Namespace) -> int:
  import io
  import sys
  from agents import specs
  from agents.gtp.engine import GtpEngine
  from core.errors import UserError
  from games import go
  from games import openspiel_io
  spec = specs.parse_spec(args.agent)
  size = args.size
  trained = specs.trained_game(spec)
  if trained is not None:
    game = openspiel_io.load_game(trained)
    if game.get_type().short_name != "go":
      raise UserError(f"agent '{spec}' plays {trained}, not Go")
    size = size or int(game.get_parameters()["board_size"])
  size = size or 19
  if not go.MIN_SIZE <= size <= go.MAX_SIZE:
    raise UserError(f"--size must be in {go.MIN_SIZE}..{go.MAX_SIZE}, got {size}")

  def make(board_size: int):
    return specs.make_agent(spec, go.load_game(go.GoConfig(board_size=board_size, komi=args.komi)), args.seed)

  ready = {size: make(size)}  # A bad SPEC or file fails here, before any GTP traffic.
  name = args.name or f"stratago-{spec.kind}"
  engine = GtpEngine(lambda board_size: ready.pop(board_size, None) or make(board_size), name=name,
                     version=_common.version(), board_size=size, komi=args.komi)
  # Bytes that are not UTF-8 must reach the engine as bad input, not kill the reader.
  stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
  try:
    engine.serve(stdin, sys.stdout)
  except BrokenPipeError:  # The controller went away; nothing left to answer.
    sys.stderr.close()
  finally:
    engine.close()
  return 0
