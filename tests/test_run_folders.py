"""Run folders are safe: a rejected --resume changes nothing, a resume rewinds metrics and falls back."""

import hashlib
import json

import jax
import numpy as np
import portpicker
import pytest

from actors import learner_loop, reverb_replay
from actors.config import TrainConfig
from agents import networks
from cli import main as cli_main
from core import checkpoint, metrics, rundir
from core import config as config_lib
from games import openspiel_io
from learners.rnad import learning


def fake_run(run_dir, steps=(6, 12), rows=(0, 6, 12, 18)):
  """A Kuhn run folder: its config, checkpoints at `steps` (the last is the latest) and metrics `rows`."""
  cfg = TrainConfig.kuhn_poker()
  game = openspiel_io.load_game(cfg.game)
  net = networks.make_network(cfg.learner.network, game)
  learner = learning.RNaDLearner(cfg.learner, net, np.zeros((1, 11), np.float32), iter(()))
  for step in steps:
    learner.state = learner.state._replace(step=jax.numpy.asarray(step))
    learner.save(run_dir / rundir.CHECKPOINT, {"game": cfg.game}, previous=run_dir / rundir.PREVIOUS_CHECKPOINT)
  config_lib.dump(cfg, run_dir / "config.yaml")
  (run_dir / rundir.METRICS).write_text("".join(json.dumps({"step": s, "loss": 1.0}) + "\n" for s in rows))
  return cfg


def digest(folder):
  """Every file under `folder` and a hash of its bytes."""
  return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
          for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rejected_resume_leaves_the_run_resumable(tmp_path, capsys):
  # Once, the rejected --set was written to config.yaml first, and no later --resume could load the run.
  run = tmp_path / "run"
  fake_run(run)
  before = digest(run)
  code = cli_main.main(["train", "--resume", str(run), "--no-progress", "--set", "learner.network.hidden=[32]"])
  err = capsys.readouterr().err
  assert code == 2 and "does not fit" in err and len(err.strip().splitlines()) == 1
  assert digest(run) == before


@pytest.fixture
def server():
  port = portpicker.pick_unused_port()
  srv = reverb_replay.make_server(TrainConfig.kuhn_poker().replay, port)
  yield f"localhost:{port}"
  srv.stop()


def _resume(run, cfg, address):
  game = learner_loop.check_run(cfg, run, resume=True)
  loop = learner_loop.LearnerLoop(cfg, run, game, address, resume=True)
  loop.stop()  # Stops the sampler; nothing new to save.
  return loop


def test_a_resume_rewinds_the_metrics_to_its_checkpoint(tmp_path, server):
  run = tmp_path / "run"
  cfg = fake_run(run)
  loop = _resume(run, cfg, server)
  assert loop.start_step == 12
  assert [r["step"] for r in metrics.read(run / rundir.METRICS)] == [0, 6, 12]   # 18 is logged again


def test_a_damaged_latest_checkpoint_resumes_from_the_previous(tmp_path, server):
  run = tmp_path / "run"
  cfg = fake_run(run)
  (run / rundir.CHECKPOINT).write_bytes((run / rundir.CHECKPOINT).read_bytes()[:500])  # torn
  loop = _resume(run, cfg, server)
  assert loop.start_step == 6
  assert [r["step"] for r in metrics.read(run / rundir.METRICS)] == [0, 6]


def test_two_damaged_checkpoints_end_in_one_line(tmp_path, capsys):
  run = tmp_path / "run"
  fake_run(run)
  for name in (rundir.CHECKPOINT, rundir.PREVIOUS_CHECKPOINT):
    (run / name).write_bytes(b"")
  before = digest(run)
  code = cli_main.main(["train", "--resume", str(run), "--no-progress"])
  err = capsys.readouterr().err
  assert code == 2 and len(err.strip().splitlines()) == 1
  assert f"{run / rundir.CHECKPOINT} is empty" in err
  assert digest(run) == before
