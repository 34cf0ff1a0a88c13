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
