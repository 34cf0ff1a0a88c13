"""`stratago data`: build Go expert data: GNU Go self-play SGFs and position datasets."""

from __future__ import annotations

import argparse

from cli import _common

HELP = "build Go expert data: GNU Go self-play games (SGF) and position datasets"
DESCRIPTION = """\
Two steps that turn GNU Go (or any SGF collection) into training data.

  gnugo      GNU Go plays itself through GTP in parallel processes, every move
             checked against OpenSpiel's rules; one SGF per game with GNU Go's
             Chinese-rules score as the result. Re-running resumes.
  positions  Reads every .sgf under a folder (bad files are skipped with a
             warning and counted) and writes a sharded, memory-mapped dataset:
             board planes from the side to move, the move played, the final
             result, the game and move number.

examples:
  stratago data gnugo --games 1000 --size 9 --level 1 --workers 4 --out corpus/gnugo9
  stratago data positions corpus/gnugo9 --out data/gnugo9
  stratago data gnugo --games 20 --size 9 --out corpus/g --set timeout_s=120
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  sub = parser.add_subparsers(dest="data_command", metavar="STEP", parser_class=_common.Parser)
  g = sub.add_parser("gnugo", help="GNU Go self-play games, one SGF each",
                     formatter_class=_common.HelpFormatter,
                     description="GNU Go plays itself through GTP; one SGF per game in --out.")
  g.add_argument("--out", required=True, metavar="DIR", help="folder for the SGF files")
  g.add_argument("--games", type=int, default=None, help="number of games (default 100)")
  g.add_argument("--size", type=int, default=None, help="board size (default 9)")
  g.add_argument("--level", type=int, default=None, help="GNU Go level 0..10 (default 1)")
  g.add_argument("--komi", type=_common.finite_float, default=None, help="komi (default 7.5)")
  g.add_argument("--workers", type=int, default=None, help="parallel games (default 2)")
  g.add_argument("--seed", type=_common.seed, default=None, help="corpus seed (default 0)")
  g.add_argument("--gnugo", default=None, metavar="PATH", help="GNU Go program (default: PATH, then /usr/games)")
  g.add_argument("--no-progress", action="store_true", help="no progress bar")
  _common.add_config_options(g)
  p = sub.add_parser("positions", help="SGF folder -> sharded position dataset",
                     formatter_class=_common.HelpFormatter,
                     description="Turns every .sgf under SGF_DIR into a memory-mapped position dataset.")
  p.add_argument("sgf_dir", metavar="SGF_DIR", help="folder of .sgf files (searched recursively)")
  p.add_argument("--out", required=True, metavar="DATA", help="dataset folder (replaced if it is one)")
  p.add_argument("--shard-size", type=int, default=1 << 20, help="most positions per shard")
  p.add_argument("--size", type=int, default=None, help="keep this board size only (default: the first record's)")
  p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
  import pathlib
  from core import files
  from core.errors import UserError
  if args.data_command == "gnugo":
    from retrieval import corpus
    cfg = _common.build_config(corpus.GnuGoCorpusConfig, args, games=args.games, size=args.size,
                               level=args.level, komi=args.komi, workers=args.workers,
                               seed=args.seed, gnugo=args.gnugo)
    files.ensure_writable_dir(args.out, "--out")  # before GNU Go starts
    report = corpus.generate_gnugo_games(cfg, args.out, progress=not args.no_progress)
    rate = report.played / report.seconds * 60 if report.seconds > 0 else 0.0
    print(f"gnugo: {report.played} game(s) played ({report.moves} moves, {rate:.1f} games/min), "
          f"{report.existing} already there, {report.failed} failed; SGFs in {report.out}")
    return 1 if report.failed else 0
  if args.data_command == "positions":
    from games import sgf
    from retrieval import dataset
    if args.shard_size <= 0:
      raise UserError(f"--shard-size must be positive, got {args.shard_size}")
    out = pathlib.Path(args.out)
    if out.exists() and not out.is_dir():
      raise UserError(f"--out {out} is a file, not a folder")
    files.ensure_writable_dir(out.parent, "--out's folder")  # the dataset is built beside it, then renamed
    paths = sgf.sgf_files(args.sgf_dir)
    if not paths:
      raise UserError(f"no .sgf files under {args.sgf_dir}")
    info = dataset.write_positions(paths, args.out, shard_size=args.shard_size,
                                   board_size=args.size, progress=not args.no_progress,
                                   root=args.sgf_dir)
    print(f"positions: {info.num_positions} positions from {info.num_games} game(s) "
          f"({info.board_size}x{info.board_size}), {info.skipped_files} file(s) skipped; "
          f"dataset in {info.path}")
    return 0
  raise UserError("choose a step: stratago data gnugo ... or stratago data positions ...")
