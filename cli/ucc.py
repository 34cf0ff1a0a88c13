"""`stratago ucc`: a Stratego agent as a bot of the 2012 UCC Stratego competition's manager, on stdin/stdout."""

from __future__ import annotations

import argparse

from cli import _common

HELP = "run a Stratego agent as a bot of the UCC 2012 Stratego manager (its protocol on stdin/stdout)"
DESCRIPTION = """\
Speaks the protocol of the 2012 UCC Stratego programming competition (the
`stratego` manager of braathwaate/strategoevaluator, doc/manager_manual.txt,
section PROTOCOL) on standard input and output, so any of this project's
agents can play in that manager and against its bots, or against a `ucc:`
agent here. One process plays one game: it answers the setup query with the
agent's own placement, then one move per turn, and exits at QUIT.

The game is classic Stratego under the manager's rules: no two-squares or
more-squares rule, no move limit (the manager has its own). A trained agent
must have been trained on classic Stratego; its history setting is kept.

The manager starts a bot by its path, with no arguments, so give it a small
script, and time for start-up (importing JAX and compiling the rules takes a
few seconds; the manager allows 2 s per answer unless told -T):

  #!/bin/sh
  exec stratago ucc --agent policy:runs/classic/policy.npz

The protocol has no error reply: a line this command cannot follow gets one
line on stderr ('stratago ucc: error: ...') and exit status 2, which the
manager scores as a bot that stopped answering. If the agent has no move
(or forfeits), the bot answers SURRENDER. Logs go to stderr only.

Here, the agent spec 'ucc:stratago ucc --agent random:1' plays it as a bot.

examples:
  stratago ucc --agent random:7
  stratego -T 30 ./stratago-policy.sh ../agents/vixen/vixen.py   # the manager, with the script above
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--agent", default="random", metavar="SPEC",
                      help="random[:SEED], policy:PATH, run:RUN_DIR, py:MODULE:CALLABLE or ucc:COMMAND")
  parser.add_argument("--seed", type=_common.seed, default=0, help="seeds the agent unless SPEC gives a seed")


def run(args: argparse.Namespace) -> int:
  import io
  import sys
  from agents import specs
  from agents import ucc_bot
  from games import openspiel_io
  spec = specs.parse_spec(args.agent)
  trained = specs.trained_game(spec)
  game = ucc_bot.bot_game(openspiel_io.load_game(trained) if trained is not None else None)
  agent = specs.make_agent(spec, game, args.seed)  # A bad SPEC or file fails here, before any protocol.
  try:
    bot = ucc_bot.UccBot(agent, game)
    bot.warm_up()
    # Bytes that are not UTF-8 must reach the bot as bad input, not kill the reader.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    try:
      return bot.serve(stdin, sys.stdout)
    except BrokenPipeError:  # The manager went away; nothing left to answer.
      sys.stderr.close()
      return 0
  finally:
    agent.close()
