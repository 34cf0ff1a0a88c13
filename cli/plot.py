"""`stratago plot`: a training run's curves as a PNG."""

from __future__ import annotations

import argparse
import pathlib

from core.errors import UserError

HELP = "draw a training run's curves (win rate, NashConv, losses, speed) into a PNG"
DESCRIPTION = """\
Reads RUN_DIR/metrics.jsonl, written by 'stratago train', and draws one panel
per logged series (win rate against random, NashConv, value and NeuRD losses,
policy entropy, learner steps/s, actor moves/s) against wall-clock minutes,
with learner steps on the top axis. Works on a run that is still going.

examples:
  stratago plot runs/barrage                      # writes runs/barrage/curves.png
  stratago plot runs/kuhn --out kuhn.png
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by 'stratago train'")
  parser.add_argument("--out", metavar="PNG", help="where to write the picture (default RUN_DIR/curves.png)")


def run(args: argparse.Namespace) -> int:
  from evaluation import curves
  run_dir = pathlib.Path(args.run_dir)
  if not (run_dir / "metrics.jsonl").is_file():
    raise UserError(f"{run_dir} has no metrics.jsonl (is it a folder written by 'stratago train'?)")
  try:
    path = curves.plot_run(run_dir, args.out)
  except ValueError as e:
    raise UserError(str(e)) from None
  print(f"plot: wrote {path}")
  return 0
