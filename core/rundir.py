"""A run's output folder: the resolved config, the log and the metrics live together."""

from __future__ import annotations

import pathlib
from typing import Any

from core import config as config_lib
from core import files, metrics
from core.errors import UserError

# Where a training run keeps its state, relative to RUN_DIR.
CHECKPOINT = "checkpoints/latest.npz"
PREVIOUS_CHECKPOINT = "checkpoints/previous.npz"  # the one before: loaded when the latest is damaged
METRICS = "metrics.jsonl"
POLICY = "policy.npz"
SUMMARY = "summary.json"


def prepare(out: str | pathlib.Path, cfg: Any, resume: bool = False) -> pathlib.Path:
  """Creates RUN_DIR and writes RUN_DIR/config.yaml, so the run can be repeated exactly.

  Repeat a run with `--config RUN_DIR/config.yaml`. A resumed run calls this
  only once its checkpoint has loaded (see `resume`), so a rejected `--resume`
  leaves the folder as it was.

  Args:
    out: the run folder; a new run needs it missing or empty.
    cfg: the resolved config, written as RUN_DIR/config.yaml.
    resume: the run continues the one already in RUN_DIR.

  Raises:
    UserError: RUN_DIR is not empty and `resume` is false, so that a new run
      never appends its metrics to another run's; or RUN_DIR cannot be a
      writable folder (a file, under a file, not writable).
  """
  run_dir = pathlib.Path(out)
  if not resume and run_dir.is_dir() and any(run_dir.iterdir()):
    raise UserError(f"{run_dir} is not empty; use --resume {run_dir} to continue its run, or another --out")
  files.ensure_writable_dir(run_dir, "the run folder")
  config_lib.dump(cfg, run_dir / "config.yaml")
  return run_dir


def has_checkpoint(run_dir: str | pathlib.Path) -> bool:
  """Whether RUN_DIR holds a checkpoint to resume from (the latest or, if that went missing, the one before)."""
  run_dir = pathlib.Path(run_dir)
  return (run_dir / CHECKPOINT).is_file() or (run_dir / PREVIOUS_CHECKPOINT).is_file()


def resume(run_dir: str | pathlib.Path, cfg: Any, step: int) -> None:
  """Takes over RUN_DIR for a run resumed at `step`: writes its config and rewinds its metrics.

  Rows after `step` were logged by a run killed after its last checkpoint; the
  resumed run logs those steps again, so they go, and each step appears once.
  """
  prepare(run_dir, cfg, resume=True)
  metrics.rewind(pathlib.Path(run_dir) / METRICS, step)
