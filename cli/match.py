"""`stratago match`: two agents, seats alternating, with cutechess-style result lines and an optional SPRT."""

from __future__ import annotations

import argparse

from cli import _common

HELP = "play two agents against each other; score, Elo difference, LOS, and an optional SPRT stop"
DESCRIPTION = """\
Plays GAMES games between agents A and B, seats alternating (game i has seed
SEED + i), in worker processes, and prints the score, the results by seat and
`Elo difference: X +/- Y, LOS: Z %, DrawRatio: D %`. With --sprt ELO0,ELO1
it stops as soon as the log-likelihood ratio of "B is ELO1 stronger than A"
against "ELO0 stronger" crosses a bound (alpha and beta 0.05 unless given)
and prints the decision: the gate for accepting a new checkpoint. With --out
it keeps results.jsonl and the game records there (and --resume finishes it).
Agents are specs: random[:SEED], heuristic[:SEED], policy:PATH, run:RUN_DIR,
py:MODULE:CALLABLE, gtp:COMMAND, gnugo[:LEVEL].

examples:
  stratago match --game 'go(board_size=9)' --agents heuristic gnugo:1 --games 20
  stratago match --game 'stratego(variant=barrage)' --agents policy:a.npz policy:b.npz --games 2000 --sprt 0,20
  stratago match --game kuhn_poker --agents random run:runs/kuhn --games 1000 --out m/kuhn
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--game", required=True,
                      help="OpenSpiel game string, e.g. 'go(board_size=9)' or 'stratego(variant=barrage)'")
  parser.add_argument("--agents", nargs=2, required=True, metavar=("A", "B"), help="the two agents (specs)")
  parser.add_argument("--games", type=int, required=True, help="games to play (at most, with --sprt)")
  parser.add_argument("--sprt", metavar="ELO0,ELO1[,ALPHA,BETA]", default=None,
                      help="stop when B's Elo gain over A is decided to be ELO1 (H1) or ELO0 (H0)")
  parser.add_argument("--workers", type=int, default=1, help="processes playing games at once")
  parser.add_argument("--batch", type=int, default=16,
                      help="games each worker plays together: a network agent answers them in one call per move")
  parser.add_argument("--seed", type=_common.seed, default=0, help="game i is played with seed SEED + i")
  parser.add_argument("--out", metavar="DIR", default=None, help="keep results.jsonl and games/ here")
  parser.add_argument("--resume", action="store_true", help="finish the match already in --out")
  parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
  from evaluation import matches
  lines = matches.match(args.game, args.agents[0], args.agents[1], args.games, sprt=args.sprt,
                        workers=args.workers, seed=args.seed, out=args.out, resume=args.resume,
                        progress=not args.no_progress, batch=args.batch)
  print("\n".join(lines))
  return 0
