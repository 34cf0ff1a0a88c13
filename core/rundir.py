"""A run's output folder: the resolved config, the log and the metrics live together."""

from __future__ import annotations

import pathlib
from typing import Any

from core import config as config_lib
from core.errors import UserError

# Where a training run keeps its state, relative to RUN_DIR.
CHECKPOINT = "checkpoints/latest.npz"
POLICY = "policy.npz"
SUMMARY = "summary.json"


def prepare(out: str | pathlib.Path, cfg: Any, resume: bool = False) -> pathlib.Path:
  """Creates RUN_DIR and writes RUN_DIR/config.yaml, so the run can be repeated exactly.

  Repeat a run with `--config RUN_DIR/config.yaml`.

  Args:
    out: the run folder; a new run needs it missing or empty.
    cfg: the resolved config, written as RUN_DIR/config.yaml.
    resume: the run continues the one already in RUN_DIR.

  Raises:
    UserError: RUN_DIR is not empty and `resume` is false, so that a new run
      never appends its metrics to another run's.
  """
  run_dir = pathlib.Path(out)
  if not resume and run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
    raise UserError(f"{run_dir} is not empty; use --resume {run_dir} to continue its run, or another --out")
  run_dir.mkdir(parents=True, exist_ok=True)
  config_lib.dump(cfg, run_dir / "config.yaml")
  return run_dir
