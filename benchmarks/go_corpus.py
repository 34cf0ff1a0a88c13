"""Benchmark: GNU Go self-play games per minute, and position-dataset write and read rates.

  .venv/bin/python benchmarks/go_corpus.py --games 40 --level 1 --workers 2 --copies 50

1. Plays `--games` GNU Go self-play games (9x9 unless --size) through the GTP
   client and referee with `--workers` processes: games/minute and moves/s.
2. Writes a position dataset from those SGFs, listed `--copies` times so the
   write is long enough to time: positions/s written (SGF parse, OpenSpiel
   replay, planes, packing, np.save).
3. Reads it back: sequential batches of 256, shuffled batches of 256, and
   single random positions (planes unpacked each time): positions/s read.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import tempfile
import time

import numpy as np


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--games", type=int, default=40)
  parser.add_argument("--size", type=int, default=9)
  parser.add_argument("--level", type=int, default=1)
  parser.add_argument("--workers", type=int, default=2)
  parser.add_argument("--copies", type=int, default=50, help="times the SGF list is repeated for the write")
  parser.add_argument("--batch", type=int, default=256)
  args = parser.parse_args()

  from games import sgf
  from retrieval import corpus, dataset

  print(f"machine: {platform.node()} {os.cpu_count()} CPU(s), Python {platform.python_version()}")
  with tempfile.TemporaryDirectory(prefix="go-bench-") as tmp:
    tmp = pathlib.Path(tmp)
    cfg = corpus.GnuGoCorpusConfig(games=args.games, size=args.size, level=args.level,
                                   workers=args.workers, seed=12345)
    report = corpus.generate_gnugo_games(cfg, tmp / "sgf", progress=False)
    minutes = report.seconds / 60
    print(f"gnugo self-play: {report.played} games of {args.size}x{args.size} at level {args.level}, "
          f"{args.workers} worker(s), {report.seconds:.1f}s: {report.played / minutes:.1f} games/min, "
          f"{report.moves / report.seconds:.0f} moves/s, {report.moves / max(report.played, 1):.1f} moves/game"
          f", {report.failed} failed")

    paths = sgf.sgf_files(tmp / "sgf") * args.copies
    start = time.perf_counter()
    info = dataset.write_positions(paths, tmp / "data", shard_size=1 << 16)
    seconds = time.perf_counter() - start
    print(f"dataset write: {info.num_positions} positions from {len(paths)} SGF files in {seconds:.2f}s: "
          f"{info.num_positions / seconds:,.0f} positions/s")

    data = dataset.PositionDataset(tmp / "data")
    for shuffle in (False, True):
      start, n = time.perf_counter(), 0
      for batch in data.batches(args.batch, shuffle=shuffle, seed=0):
        n += len(batch["move"])
      seconds = time.perf_counter() - start
      kind = "shuffled" if shuffle else "sequential"
      print(f"dataset read ({kind} batches of {args.batch}, planes unpacked): {n} positions in "
            f"{seconds:.2f}s: {n / seconds:,.0f} positions/s")
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(data), size=min(20000, len(data)))
    start = time.perf_counter()
    for i in picks:
      data[int(i)]
    seconds = time.perf_counter() - start
    print(f"dataset read (single random positions): {len(picks)} in {seconds:.2f}s: "
          f"{len(picks) / seconds:,.0f} positions/s")


if __name__ == "__main__":
  main()
