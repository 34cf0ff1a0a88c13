"""Metrics rows land in JSON lines and TensorBoard; a run dir holds the resolved config."""

import dataclasses
import json
import math

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

from core import config, log, metrics, rundir
from core.errors import UserError


def test_jsonl_and_tensorboard(tmp_path):
  with metrics.MetricsWriter(tmp_path) as writer:
    writer.write(1, {"loss": 0.5, "nash_conv": np.float32(0.25)})
    writer.write(2, {"loss": 0.25, "bad": float("nan")})
  rows = metrics.read(tmp_path / "metrics.jsonl")
  assert [(r["step"], r["loss"]) for r in rows] == [(1, 0.5), (2, 0.25)]
  assert rows[0]["nash_conv"] == 0.25
  assert rows[1]["bad"] == "nan"  # JSON has no NaN: it is written as a string.
  acc = event_accumulator.EventAccumulator(str(tmp_path / "tb"))
  acc.Reload()
  assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(1, 0.5), (2, 0.25)]
  assert math.isnan(acc.Scalars("bad")[0].value)


def test_read_skips_torn_last_line(tmp_path):
  path = tmp_path / "metrics.jsonl"
  path.write_text(json.dumps({"step": 1, "loss": 1.0}) + "\n" + '{"step": 2, "lo')
  assert metrics.read(path) == [{"step": 1, "loss": 1.0}]


def test_appends_across_writers(tmp_path):
  for step in (1, 2):
    with metrics.MetricsWriter(tmp_path, tensorboard=False) as writer:
      writer.write(step, {"x": step})
  assert [r["x"] for r in metrics.read(tmp_path / "metrics.jsonl")] == [1.0, 2.0]


@dataclasses.dataclass(frozen=True)
class _Cfg:
  steps: int = 10
  name: str = "run"


def test_rundir_writes_config_that_rebuilds(tmp_path):
  cfg = _Cfg(steps=3)
  run_dir = rundir.prepare(tmp_path / "out", cfg)
  assert config.build(_Cfg, run_dir / "config.yaml") == cfg


def test_rundir_refuses_a_folder_that_is_not_empty_unless_resuming(tmp_path):
  (tmp_path / "empty").mkdir()
  assert rundir.prepare(tmp_path / "empty", _Cfg()) == tmp_path / "empty"  # An empty folder is a new run's.
  (tmp_path / "old").mkdir()
  (tmp_path / "old" / "metrics.jsonl").write_text('{"step": 1}\n')
  with pytest.raises(UserError, match="is not empty; use --resume"):
    rundir.prepare(tmp_path / "old", _Cfg(steps=3))
  assert sorted(p.name for p in (tmp_path / "old").iterdir()) == ["metrics.jsonl"]
  run_dir = rundir.prepare(tmp_path / "old", _Cfg(steps=3), resume=True)
  assert config.build(_Cfg, run_dir / "config.yaml") == _Cfg(steps=3)


def test_log_lines(tmp_path, capsys):
  import logging
  log.setup("info", tmp_path / "log.txt")
  logging.getLogger("stratago.test").info("hello %d", 3)
  logging.getLogger("stratago.test").debug("hidden")
  text = (tmp_path / "log.txt").read_text()
  assert text.count("\n") == 1
  assert text.rstrip().endswith("I stratago.test: hello 3")


def test_a_second_row_for_the_same_step_merges_into_the_first(tmp_path):
  # The last logged step and its final evaluation were once two rows for one step.
  with metrics.MetricsWriter(tmp_path, tensorboard=False) as writer:
    writer.write(50, {"loss": 0.5})
    writer.write(100, {"loss": 0.25, "nashconv": 0.4})
    writer.write(100, {"nashconv": 0.3, "win_rate": 0.9})
  rows = metrics.read(tmp_path / "metrics.jsonl")
  assert [r["step"] for r in rows] == [50, 100]
  assert (rows[1]["loss"], rows[1]["nashconv"], rows[1]["win_rate"]) == (0.25, 0.3, 0.9)
  with metrics.MetricsWriter(tmp_path, tensorboard=False) as writer:   # A resumed run appends after them.
    writer.write(150, {"loss": 0.1})
  assert [r["step"] for r in metrics.read(tmp_path / "metrics.jsonl")] == [50, 100, 150]


def test_rewind_drops_the_rows_after_a_step(tmp_path):
  path = tmp_path / "metrics.jsonl"
  rows = [{"step": s, "loss": 1.0 / (s + 1)} for s in (0, 50, 100, 150, 200)]
  path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 250, "lo')
  assert metrics.rewind(path, 100) == 3                       # 150, 200 and the torn line
  assert metrics.read(path) == rows[:3]
  assert metrics.rewind(path, 100) == 0 and metrics.read(path) == rows[:3]
  assert metrics.rewind(tmp_path / "none.jsonl", 5) == 0


def test_rundir_resume_writes_the_config_and_rewinds_the_metrics(tmp_path):
  run_dir = rundir.prepare(tmp_path / "run", _Cfg(steps=3))
  (run_dir / rundir.METRICS).write_text("".join(json.dumps({"step": s}) + "\n" for s in (0, 10, 20, 30)))
  rundir.resume(run_dir, _Cfg(steps=40), step=20)
  assert config.build(_Cfg, run_dir / "config.yaml") == _Cfg(steps=40)
  assert [r["step"] for r in metrics.read(run_dir / rundir.METRICS)] == [0, 10, 20]


@pytest.mark.parametrize("out, message", [
    ("afile", "is a file, not a folder"),
    ("afile/run", "is under {tmp}/afile, which is a file"),
    ("afile/deeper/run", "is under {tmp}/afile, which is a file"),
    ("ro/run", "cannot write to the run folder {tmp}/ro/run"),
])
def test_rundir_refuses_a_path_that_cannot_be_a_folder(tmp_path, out, message):
  import os
  (tmp_path / "afile").write_text("keep")
  (tmp_path / "ro").mkdir(mode=0o500)
  if out.startswith("ro") and os.geteuid() == 0:
    pytest.skip("root writes into read-only folders")
  with pytest.raises(UserError, match=message.format(tmp=tmp_path)):
    rundir.prepare(tmp_path / out, _Cfg())
  assert (tmp_path / "afile").read_text() == "keep" and not any((tmp_path / "ro").iterdir())
