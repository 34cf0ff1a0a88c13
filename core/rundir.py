"""A run's output folder: the resolved config, the log and the metrics live together."""

from __future__ import annotations

import pathlib
from typing import Any

from core import config as config_lib

# Where a training run keeps its state, relative to RUN_DIR.
CHECKPOINT = "checkpoints/latest.npz"
POLICY = "policy.npz"
SUMMARY = "summary.json"


def prepare(out: str | pathlib.Path, cfg: Any) -> pathlib.Path:
  """Creates RUN_DIR and writes RUN_DIR/config.yaml, so the run can be repeated exactly.

  Repeat a run with `--config RUN_DIR/config.yaml`.
  """
  run_dir = pathlib.Path(out)
  run_dir.mkdir(parents=True, exist_ok=True)
  config_lib.dump(cfg, run_dir / "config.yaml")
  return run_dir
