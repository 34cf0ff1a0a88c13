"""`stratago play`: play an agent in the browser, or replay a saved game."""

from __future__ import annotations

import argparse

HELP = "play against an agent in your browser (Stratego or Go), or replay a saved game"
DESCRIPTION = """\
Serves a page on this machine, prints its URL and opens it in your browser.
Stratego: set up your pieces (drag or click them onto your rows, randomise,
or pick one of --setups), then click a piece and one of its lit squares. Go:
click a point; pass, undo (takes back your move and the agent's) and resign
are buttons; after two passes the game is scored (dead stones by GNU Go where
it is installed). --replay opens a saved game instead: a tournament's
games/*.json (Stratego) or *.sgf (Go), or one saved from the page.
The URL carries a random token; the server listens on 127.0.0.1 only unless
--host says otherwise.

examples:
  stratago play --game 'stratego(variant=barrage)' --agent policy:runs/barrage/policy.npz
  stratago play --game 'go(board_size=9)' --agent gnugo:5
  stratago play --replay tournament/games/00007.json --no-browser
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--game", default=None,
                      help="'stratego(variant=classic|barrage)' or 'go(board_size=9|13|19)'")
  parser.add_argument("--agent", default="random", metavar="SPEC",
                      help="the opponent: random, heuristic[:NAME], policy:PATH, run:RUN_DIR, gnugo[:LEVEL], ...")
  parser.add_argument("--port", type=int, default=8765, help="port to listen on")
  parser.add_argument("--host", default="127.0.0.1", help="address to listen on; anything but loopback warns")
  parser.add_argument("--no-browser", action="store_true", help="print the URL, do not open a browser")
  parser.add_argument("--setups", metavar="FILE", default=None,
                      help="your saved Stratego setups, one 40-letter Gravon setup per line")
  parser.add_argument("--replay", metavar="RECORD", default=None,
                      help="show a saved game (.json Stratego record or .sgf) instead of playing")
  parser.add_argument("--seed", type=int, default=0, help="seeds the agent and chance")


def run(args: argparse.Namespace) -> int:
  from gui import app
  if not 0 < args.port < 65536:
    from core.errors import UserError
    raise UserError(f"--port must be 1-65535, got {args.port}")
  app.play(args.game, args.agent, host=args.host, port=args.port, open_browser=not args.no_browser,
              setups=args.setups, replay=args.replay, seed=args.seed)
  return 0
