"""End to end: R-NaD trains Kuhn poker through a real Reverb server; a killed run resumes."""

import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pyspiel
import pytest

from actors import local
from actors.config import ActorConfig, EvalConfig, RunConfig, TrainConfig
from core.metrics import read
from evaluation.nashconv import NashConvEvaluator
from evaluation.training import evaluator_for
from core import checkpoint
from learners.rnad import export

REPO = pathlib.Path(__file__).resolve().parents[1]


def small_kuhn(**run) -> TrainConfig:
  base = TrainConfig.kuhn_poker()
  # A faster target average than the preset's 0.001, so 400 steps move the evaluated policy far.
  learner = dataclasses.replace(base.learner, target_network_avg=0.01)
  return dataclasses.replace(
      base, learner=learner, actors=ActorConfig(num_actors=1, games_per_actor=128, chunk_size=32),
      run=RunConfig(**{"max_learner_steps": 400, "checkpoint_every_steps": 100, "log_every_steps": 50, **run}),
      eval=EvalConfig(every_steps=100))


def max_kuhn_actor_lag(cfg: TrainConfig) -> float:
  """A bound on `actor_lag` (learner step minus a row's parameter version) in a one-actor Kuhn run.

  Parameters are published after every step and pulled before every move, so
  a row holds version v of at most 5 batches ago when its first move is made:
  one update not yet published, two prefetched batches, one waiting to be
  queued, one being drawn. Its chunk is sampled until FIFO eviction, M =
  replay.max_size inserts after it, and X chunks may go in before it: each of
  `games_per_actor` games ends within 3 moves in Kuhn poker (one game a row),
  so 3 * games rows, plus one part-filled chunk. The rate limiter keeps the
  samples within s * inserts +- e (s = samples_per_insert, e = error_buffer):
  M + X inserts allow at most s * (M + X) + 2e samples, at b chunks a step.
  Here 5 + (2 * 64 + 4 * (64 + 13)) / 8 = 59.5 steps.
  """
  r, a = cfg.replay, cfg.actors
  assert a.num_actors == 1 and a.param_sync_every == 1 and cfg.run.publish_every_steps == 1 and not a.pack_games
  b = cfg.learner.batch_size // a.chunk_size
  x = 3 * a.games_per_actor // a.chunk_size + 1
  return 5 + (2 * r.error_buffer + r.samples_per_insert * (r.max_size + x)) / b


def test_kuhn_nashconv_falls_when_training_through_reverb(tmp_path):
  cfg = small_kuhn()
  summary = local.train(cfg, tmp_path, progress=False, evaluator=evaluator_for(cfg.eval))
  rows = [r for r in read(tmp_path / "metrics.jsonl") if "nashconv" in r]
  first, last = rows[0], rows[-1]
  assert first["step"] == 0 and last["step"] == 400
  assert first["nashconv"] > 0.5            # About uniform at the start (uniform: 0.917).
  assert last["nashconv"] < 0.25 < first["nashconv"] / 2
  assert summary["learner_steps"] == 400 and summary["actor_moves"] > 0
  # Learning used what the actors played through Reverb, stamped with the versions they played. A
  # sampler that dropped the versions, or actors that never pulled new parameters, would log the step
  # itself (up to 399). Each chunk is sampled about 4 times, so no batch is all of the newest version.
  lags = [r["actor_lag"] for r in read(tmp_path / "metrics.jsonl") if "actor_lag" in r]
  assert len(lags) == 400 // 50
  assert all(0 < lag < max_kuhn_actor_lag(cfg) for lag in lags), lags
  # The exported policy reloads and is the policy that was evaluated.
  policy = export.load(tmp_path / "policy.npz")
  assert policy.game == "kuhn_poker" and policy.step_count == 400
  got = NashConvEvaluator(pyspiel.load_game("kuhn_poker"))(policy.probs)
  assert got == pytest.approx(summary["nashconv"], abs=1e-6)


def _train_cli(*args):
  env = dict(os.environ, PYTHONPATH=str(REPO))
  return subprocess.Popen([sys.executable, "-m", "cli.main", "train", "--no-progress", *args], cwd=REPO,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          start_new_session=True,
                          # A shell's background jobs inherit SIGINT ignored; give Ctrl-C its default back.
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path):
  run = tmp_path / "run"
  proc = _train_cli("--game", "kuhn_poker", "--out", str(run), "--set", "actors.num_actors=1",
                    "--set", "run.max_learner_steps=100000", "--set", "run.checkpoint_every_steps=50",
                    "--set", "eval.every_steps=1000")
  ckpt = run / local.CHECKPOINT
  try:
    deadline = time.time() + 240
    while time.time() < deadline:
      if ckpt.exists() and checkpoint.read_meta(ckpt)["step"] >= 100:
        break
      assert proc.poll() is None, proc.stdout.read()
      time.sleep(0.5)
    else:
      pytest.fail("no checkpoint at step >= 100 within 240 s")
  finally:
    os.killpg(proc.pid, signal.SIGKILL)  # The launcher and its actors, as a crash would.
    proc.wait()
  saved = checkpoint.read_meta(ckpt)["step"]
  assert saved >= 100 and saved % 50 == 0
  target = saved + 60
  proc = _train_cli("--resume", str(run), "--set", f"run.max_learner_steps={target}")
  out, _ = proc.communicate(timeout=240)
  assert proc.returncode == 0, out
  summary = json.loads((run / "summary.json").read_text())
  assert summary["start_step"] == saved               # Nothing lost beyond the last checkpoint.
  assert summary["learner_steps"] == target
  assert checkpoint.read_meta(ckpt)["step"] == target
  steps = [r["step"] for r in read(run / "metrics.jsonl") if "loss" in r]
  assert steps[-1] == target and max(steps) == target


def _children(pid: int) -> list[int]:
  path = pathlib.Path(f"/proc/{pid}/task/{pid}/children")
  return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_saves_a_checkpoint_and_stops_every_process(tmp_path, signum):
  run = tmp_path / "run"
  proc = _train_cli("--game", "kuhn_poker", "--out", str(run), "--set", "actors.num_actors=2",
                    "--set", "run.max_learner_steps=100000", "--set", "run.checkpoint_every_steps=100000")
  deadline = time.time() + 240
  metrics = run / "metrics.jsonl"
  while time.time() < deadline and not (metrics.exists() and any("loss" in r for r in read(metrics))):
    assert proc.poll() is None, proc.stdout.read()
    time.sleep(0.5)
  children = _children(proc.pid)
  assert len(children) >= 2                      # The actor processes (and mp's resource tracker).
  os.killpg(proc.pid, signum)                    # What Ctrl-C in a terminal, or a scheduler, does.
  out, _ = proc.communicate(timeout=120)
  assert proc.returncode == 128 + signum, out     # 130 after Ctrl-C, 143 after SIGTERM
  assert "interrupted" in out
  saved = checkpoint.read_meta(run / local.CHECKPOINT)["step"]
  steps = [r["step"] for r in read(run / "metrics.jsonl") if "loss" in r]
  assert saved >= max(steps, default=0) > 0      # The checkpoint holds the last step, not an earlier one.
  time.sleep(1)
  for pid in children:
    assert not pathlib.Path(f"/proc/{pid}").exists() or "zombie" in pathlib.Path(f"/proc/{pid}/status").read_text()
