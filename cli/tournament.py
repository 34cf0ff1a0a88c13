"""`stratago tournament`: a round robin or gauntlet between agents, with ratings and a report."""

from __future__ import annotations

import argparse

from cli import _common

HELP = "play a round robin or gauntlet between agents; Elo ratings, a crosstable and an HTML report"
DESCRIPTION = """\
Plays GAMES games per pair of agents (seats alternate; game i has seed SEED + i)
in worker processes, and keeps OUT/results.jsonl (one line per finished game,
flushed as it ends), OUT/games/ (each game's record: SGF for Go, the Stratego
record), OUT/ratings.csv (Elo by maximum likelihood over all games, 95%
intervals), OUT/crosstable.csv and OUT/report.html. Ctrl-C or a crash loses no
finished game: --resume plays only what is missing. Agents are specs:
random[:SEED], heuristic[:SEED], policy:PATH, run:RUN_DIR, py:MODULE:CALLABLE,
gtp:COMMAND, gnugo[:LEVEL].

examples:
  stratago tournament --game 'go(board_size=9)' --agents random heuristic gnugo:1 --games 20 --out t/go9
  stratago tournament --game 'stratego(variant=barrage)' --agents random policy:b.npz --games 200 --out t/b
  stratago tournament --game kuhn_poker --gauntlet run:runs/kuhn --agents random policy:old.npz --games 500 --out t/kuhn
  stratago tournament --game 'go(board_size=9)' --agents random heuristic --games 20 --out t/go9 --resume
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--game", required=True,
                      help="OpenSpiel game string, e.g. 'go(board_size=9)' or 'stratego(variant=barrage)'")
  parser.add_argument("--agents", nargs="+", required=True, metavar="SPEC", help="the agents (specs)")
  parser.add_argument("--gauntlet", metavar="SPEC", default=None,
                      help="play this agent against each of --agents only")
  parser.add_argument("--games", type=int, required=True, help="games per pair")
  parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
  parser.add_argument("--workers", type=int, default=1, help="processes playing games at once")
  parser.add_argument("--anchor", metavar="SPEC=ELO", default=None,
                      help="fix one agent's Elo (default: the first agent at 0)")
  parser.add_argument("--batch", type=int, default=16,
                      help="games each worker plays together: a network agent answers them in one call per move")
  parser.add_argument("--seed", type=_common.seed, default=0, help="game i is played with seed SEED + i")
  parser.add_argument("--resume", action="store_true", help="finish the tournament already in --out")
  parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
  from evaluation import matches
  anchor = matches.parse_anchor(args.anchor)
  table = matches.tournament(args.game, args.agents, args.games, args.out, gauntlet=args.gauntlet,
                             workers=args.workers, anchor=anchor, seed=args.seed, resume=args.resume,
                             progress=not args.no_progress, batch=args.batch)
  width = max(len(r.agent) for r in table)
  print(f"{'agent':<{width}}  {'elo':>7}  {'95% interval':>17}  games  points  draws  LOS over the next")
  for r in table:
    los = "" if r.los_next is None else f"{100 * r.los_next:5.1f} %"
    print(f"{r.agent:<{width}}  {r.elo:7.1f}  {r.ci_low:7.1f} to {r.ci_high:6.1f}  {r.games:5d}  {r.score:6g}"
          f"  {r.draws:5d}  {los}")
  print(f"tournament: {args.out}/ratings.csv, crosstable.csv, report.html, results.jsonl, games/")
  return 0
