"""Metrics for programs: JSON lines and TensorBoard event files, written side by side."""

from __future__ import annotations

import json
import math
import pathlib
import time
from typing import Mapping

import numpy as np

from core import files


class MetricsWriter:
  """Appends `{step, time, **metrics}` rows to RUN_DIR/metrics.jsonl and TensorBoard.

  Each row is flushed as it is written, so a crash loses nothing already
  logged. A second write for the step just written (the final evaluation of
  the last step, say) replaces that row with the two merged, so each step has
  one row. Use as a context manager or call `close()`.
  """

  def __init__(self, run_dir: str | pathlib.Path, tensorboard: bool = True):
    self.run_dir = pathlib.Path(run_dir)
    self.run_dir.mkdir(parents=True, exist_ok=True)
    self.path = self.run_dir / "metrics.jsonl"
    self._file = self.path.open("a", buffering=1)
    self._last: dict | None = None  # The last row written, and where it starts in the file.
    self._last_offset = 0
    self._tb = None
    if tensorboard:
      from tensorboardX import SummaryWriter  # Imported lazily: it is slow to import.
      self._tb = SummaryWriter(str(self.run_dir / "tb"), flush_secs=10)

  def write(self, step: int, metrics: Mapping[str, float]) -> None:
    row = {"step": int(step), "time": time.time()}
    for key, value in metrics.items():
      value = float(np.asarray(value))
      row[key] = value if math.isfinite(value) else str(value)
      if self._tb is not None:
        self._tb.add_scalar(key, value, global_step=int(step))
    if self._last is not None and self._last["step"] == row["step"]:
      row = {**self._last, **row}
      self._file.truncate(self._last_offset)
    else:
      self._last_offset = self._file.tell()
    self._file.write(json.dumps(row) + "\n")
    self._last = row

  def close(self) -> None:
    self._file.close()
    if self._tb is not None:
      self._tb.close()

  def __enter__(self) -> "MetricsWriter":
    return self

  def __exit__(self, *exc) -> None:
    self.close()


def read(path: str | pathlib.Path) -> list[dict]:
  """Reads a metrics.jsonl file back, skipping a torn last line after a crash."""
  rows = []
  for line in pathlib.Path(path).read_text().splitlines():
    try:
      rows.append(json.loads(line))
    except json.JSONDecodeError:
      continue
  return rows


def rewind(path: str | pathlib.Path, step: int) -> int:
  """Drops the rows after `step` (and a torn last line) from a metrics.jsonl file; returns how many went.

  A run resumed from its checkpoint at `step` logs the later steps again.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    return 0
  lines = path.read_text().splitlines()
  keep = []
  for line in lines:
    try:
      row = json.loads(line)
    except json.JSONDecodeError:
      continue
    if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] <= step:
      keep.append(line)
  if len(keep) != len(lines):
    files.write_atomic(path, "".join(line + "\n" for line in keep))
  return len(lines) - len(keep)
