"""`stratago plot`: the series picked from metrics.jsonl, and the picture written from them."""

import json

import pytest

from evaluation import curves

ROWS = [
    {"step": 0, "time": 1000.0, "win_rate_vs_random": 0.38},
    {"step": 25, "time": 1030.0, "loss_v": 0.9, "policy_entropy": 3.0, "learner_steps_per_s": 0.8},
    {"step": 50, "time": 1060.0, "loss_v": 0.5, "policy_entropy": 2.9, "learner_steps_per_s": 2.5},
    {"step": 50, "time": 1120.0, "win_rate_vs_random": 0.55},
]


def test_curves_pick_each_logged_series_with_minutes_since_the_first_row():
  got = curves.curves(ROWS)
  assert list(got) == ["win_rate_vs_random", "loss_v", "policy_entropy", "learner_steps_per_s"]
  win = got["win_rate_vs_random"]
  assert (win.steps, win.minutes, win.values) == ([0, 50], [0.0, 2.0], [0.38, 0.55])
  assert got["loss_v"].minutes == [0.5, 1.0] and got["loss_v"].values == [0.9, 0.5]
  assert curves.curves([]) == {}


def test_plot_writes_a_png(tmp_path, stratago):
  run = tmp_path / "run"
  run.mkdir()
  (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
  out = stratago("plot", run, "--out", tmp_path / "c.png")
  assert out.returncode == 0, out.stderr
  assert out.stdout.strip() == f"plot: wrote {tmp_path / 'c.png'}"
  data = (tmp_path / "c.png").read_bytes()
  assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
  assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("config, expected", [
    ("game: stratego(variant=barrage)\nrun:\n  max_minutes: 54.0\n", "stratego(variant=barrage): barrage-1"),
    (None, "barrage-1"),                    # No config.yaml: the folder's name alone.
    ("- not a mapping\n", "barrage-1"),
])
def test_title_is_the_game_and_the_folder_name_never_its_path(tmp_path, config, expected):
  run = tmp_path / "runs" / "barrage-1"
  run.mkdir(parents=True)
  if config is not None:
    (run / "config.yaml").write_text(config)
  assert curves.title(run) == expected
  assert str(tmp_path) not in curves.title(run)


@pytest.mark.parametrize("content, error", [
    (None, "has no metrics.jsonl"),
    ("", "holds no metrics to plot"),
])
def test_plot_of_a_folder_without_metrics_is_one_line(tmp_path, stratago, content, error):
  run = tmp_path / "run"
  run.mkdir()
  if content is not None:
    (run / "metrics.jsonl").write_text(content)
  out = stratago("plot", run)
  assert out.returncode == 2
  assert error in out.stderr and len(out.stderr.strip().splitlines()) == 1
  assert "Traceback" not in out.stderr


def test_supervised_runs_get_their_own_panels():
  rows = [{"step": 500, "time": 60.0, "val_top1": 0.25, "val_top5": 0.5, "positions_per_s": 900.0},
          {"step": 1000, "time": 120.0, "val_top1": 0.375, "val_top5": 0.625, "positions_per_s": 1000.0}]
  from evaluation import curves as curves_lib
  got = curves_lib.curves(rows)
  assert list(got) == ["val_top1", "val_top5", "positions_per_s"]
  assert got["val_top1"].steps == [500, 1000] and got["val_top1"].values == [0.25, 0.375]
  assert got["val_top1"].minutes == [0.0, 1.0]
