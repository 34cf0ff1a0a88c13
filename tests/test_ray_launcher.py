"""`stratago train --backend ray`: Kuhn trains, and the run survives dead actors, a lost node and a dead learner.

The fast tests share one `ray.cluster_utils.Cluster` of three simulated nodes
on loopback, 2 CPUs each. The launcher pins the learner and the Reverb server
(1 CPU each) to the driver's node and spreads the two self-play actors over
the other two. Each test runs the real launcher
in a thread and does its damage from here. The signal tests run the real
command, which starts a private Ray instance of its own.
"""

import dataclasses
import json
import logging
import os
import pathlib
import signal
import subprocess
import shutil
import sys
import tempfile
import threading
import time

import pytest

from actors import ray_launcher
from actors.config import EvalConfig, RayConfig, RunConfig, TrainConfig
from core.errors import RunFailed
from evaluation import training as eval_training

import ray_testing

ray = pytest.importorskip("ray")

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster():
  with ray_testing.loopback_cluster([2, 2, 2], connect=True) as c:
    yield c


@pytest.fixture(autouse=True)
def no_actor_left_behind(request):
  yield
  if "cluster" in request.fixturenames and ray.is_initialized():
    left = [name for name in ray.util.list_named_actors() if name.startswith("stratago-")]
    deadline = time.monotonic() + 10
    while left and time.monotonic() < deadline:
      time.sleep(0.2)
      left = [name for name in ray.util.list_named_actors() if name.startswith("stratago-")]
    assert not left, f"Ray actors outlived their run: {left}"


def kuhn(steps: int, **ray_options) -> TrainConfig:
  base = TrainConfig.kuhn_poker()
  return dataclasses.replace(
      base, actors=dataclasses.replace(base.actors, num_actors=2),
      run=RunConfig(max_learner_steps=steps, checkpoint_every_steps=100, log_every_steps=50),
      eval=EvalConfig(every_steps=steps, nashconv=True),
      ray=RayConfig(**{"replay_checkpoint_s": 5.0, **ray_options}))


class Training:
  """`ray_launcher.train` in a thread, with what it returned or raised."""

  def __init__(self, cfg: TrainConfig, run_dir: pathlib.Path, resume: bool = False):
    self.run_dir, self.summary, self.error = run_dir, None, None

    def go():
      try:
        self.summary = ray_launcher.train(cfg, run_dir, resume=resume, progress=False,
                                          evaluator=eval_training.evaluator_for(cfg.eval))
      except BaseException as e:  # noqa: BLE001
        self.error = e

    self.thread = threading.Thread(target=go, daemon=True)
    self.thread.start()

  def rows(self) -> list[dict]:
    path = self.run_dir / "metrics.jsonl"
    if not path.exists():
      return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

  def wait_for_step(self, step: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not any(r.get("step", 0) >= step for r in self.rows()):
      assert self.thread.is_alive(), f"the run ended before step {step}: {self.error!r}"
      assert time.monotonic() < deadline, f"no step {step} within {timeout} s"
      time.sleep(0.2)

  def join(self, timeout: float = 300) -> dict:
    self.thread.join(timeout)
    assert not self.thread.is_alive(), "the run did not end"
    if self.error is not None:
      raise self.error
    return self.summary


def part(name_suffix: str):
  """The handle of the running run's Ray actor whose name ends with `name_suffix` (e.g. "-actor-0")."""
  names = [n for n in ray.util.list_named_actors() if n.startswith("stratago-") and n.endswith(name_suffix)]
  assert len(names) == 1, names
  return ray.get_actor(names[0])


def steps_once_each(rows: list[dict]) -> list[int]:
  steps = [r["step"] for r in rows if "loss" in r]
  assert steps == sorted(set(steps)), f"metrics steps repeat or go back: {steps}"
  return steps


def test_kuhn_trains_under_ray_with_nashconv_falling(cluster, tmp_path):
  summary = Training(kuhn(1500), tmp_path / "run").join()
  rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
  nashconv = [r["nashconv"] for r in rows if "nashconv" in r]
  assert summary["learner_steps"] == 1500 and summary["ended"] == "budget"
  # The untrained network's NashConv is about 1 (uniform play's is 0.917); 1,500 steps take it below 0.6.
  assert nashconv[0] > 0.9 and nashconv[-1] < 0.6
  assert rows[-1]["actor_restarts"] == 0 and rows[-1]["learner_restarts"] == 0
  assert (tmp_path / "run" / "policy.npz").exists() and (tmp_path / "run" / "checkpoints" / "latest.npz").exists()
  steps_once_each(rows)


def test_an_actor_killed_9_is_restarted_and_the_learner_goes_on(cluster, tmp_path, caplog):
  caplog.set_level(logging.WARNING, logger="actors.ray_launcher")
  run = Training(kuhn(4000), tmp_path / "run")
  run.wait_for_step(200)
  pid, _ = ray.get(part("-actor-1").where.remote())
  os.kill(pid, signal.SIGKILL)
  summary = run.join()
  assert summary["learner_steps"] == 4000
  restarts = [r.getMessage() for r in caplog.records if "restarted" in r.getMessage()]
  assert len(restarts) == 1 and restarts[0].startswith("actor 1 restarted (its process died"), restarts
  rows = run.rows()
  assert rows[-1]["actor_restarts"] == 1
  steps = steps_once_each(rows)
  assert steps[-1] == 4000


@pytest.mark.slow
def test_a_lost_node_s_actors_are_recreated_on_the_nodes_left(cluster, tmp_path, caplog):
  caplog.set_level(logging.WARNING, logger="actors.ray_launcher")
  run = Training(kuhn(4000), tmp_path / "run")
  run.wait_for_step(200)
  driver = ray.get_runtime_context().get_node_id()  # the learner's and the server's node
  where = {i: ray.get(part(f"-actor-{i}").where.remote())[1] for i in range(2)}
  assert driver not in where.values(), "the actors should have gone to the other nodes (the driver's is full)"
  # A worker node (not the head, which holds the cluster's control store) with an actor on it.
  lost = next(node for node in cluster.worker_nodes if node.node_id in where.values())
  victim = next(i for i, node in where.items() if node == lost.node_id)
  cluster.remove_node(lost)
  deadline = time.monotonic() + 120
  while True:  # the actor comes back on a node that remains
    try:
      moved = ray.get(part(f"-actor-{victim}").where.remote(), timeout=5)[1]
      break
    except (ray.exceptions.RayError, AssertionError):
      assert time.monotonic() < deadline, f"actor {victim} was not re-created within 120 s"
  summary = run.join()
  cluster.add_node(num_cpus=2)  # the fixture's cluster, whole again for the next test
  assert moved != lost.node_id and moved != driver
  assert summary["learner_steps"] == 4000
  assert any(r.getMessage().startswith(f"actor {victim} restarted") for r in caplog.records)
  assert run.rows()[-1]["actor_restarts"] >= 1


def test_a_dead_learner_resumes_at_its_checkpoint_and_the_metrics_stay_whole(cluster, tmp_path, caplog):
  caplog.set_level(logging.WARNING, logger="actors.ray_launcher")
  run = Training(kuhn(2000), tmp_path / "run")
  run.wait_for_step(350)  # checkpoints at 100, 200, 300
  pid, _ = ray.get(part("-learner").where.remote())
  os.kill(pid, signal.SIGKILL)
  summary = run.join()
  messages = [r.getMessage() for r in caplog.records if "learner" in r.getMessage()]
  assert len(messages) == 1, messages
  resumed_at = int(messages[0].split("at step ")[1].split()[0])
  assert resumed_at >= 300 and resumed_at % 100 == 0
  assert summary["learner_steps"] == 2000 and summary["start_step"] == resumed_at
  rows = run.rows()
  steps = steps_once_each(rows)  # rows past the checkpoint were rewound, not written twice
  assert steps[-1] == 2000 and rows[-1]["learner_restarts"] == 1


# --- Signals: the real command, with a private Ray instance (about 25 s each; SIGTERM's in the slow suite). ---


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130),
                                            pytest.param(signal.SIGTERM, 143, marks=pytest.mark.slow)])
def test_ctrl_c_and_sigterm_stop_every_ray_process_and_save_the_run(tmp_path, signum, status):
  run_dir = tmp_path / "run"
  # The private instance's folder, short enough for Ray's socket paths, and named in its processes' arguments.
  temp = tempfile.mkdtemp(prefix="rt")
  proc = subprocess.Popen(
      [sys.executable, "-m", "cli.main", "train", "--game", "kuhn_poker", "--out", str(run_dir), "--no-progress",
       "--backend", "ray", "--set", "run.max_learner_steps=100000", "--set", "run.checkpoint_every_steps=100"],
      cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO), TMPDIR=temp), stdout=subprocess.PIPE,
      stderr=subprocess.STDOUT, text=True, start_new_session=True,
      preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
  marker = temp
  try:
    deadline = time.monotonic() + 180
    metrics = run_dir / "metrics.jsonl"
    while not (metrics.exists() and '"loss"' in metrics.read_text()):  # learning has begun
      assert proc.poll() is None, proc.stdout.read()
      assert time.monotonic() < deadline, "no metrics within 180 s"
      time.sleep(0.2)
    assert ray_testing.ray_processes(marker), "the private Ray instance should run from a folder under TMPDIR"
    os.killpg(proc.pid, signum)  # as a terminal or a scheduler does: the whole process group
    output = proc.communicate(timeout=90)[0]
  finally:
    if proc.poll() is None:
      os.killpg(proc.pid, signal.SIGKILL)
  assert proc.returncode == status, output
  assert "stratago train: interrupted" in output
  summary = json.loads((run_dir / "summary.json").read_text())
  assert summary["ended"] == "interrupted" and summary["learner_steps"] >= 50
  assert (run_dir / "policy.npz").exists() and (run_dir / "checkpoints" / "latest.npz").exists()
  ray_testing.assert_none_left(marker)
  shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_a_dead_replay_server_comes_back_with_its_checkpoint_and_the_run_goes_on(cluster, tmp_path, caplog):
  caplog.set_level(logging.WARNING, logger="actors.ray_launcher")
  run = Training(kuhn(3000, replay_checkpoint_s=2.0), tmp_path / "run")
  run.wait_for_step(300)
  time.sleep(3)  # a replay checkpoint has been written since the table filled
  pid, _ = ray.get(part("-replay").where.remote())
  os.kill(pid, signal.SIGKILL)
  summary = run.join()
  messages = [r.getMessage() for r in caplog.records]
  back = [m for m in messages if m.startswith("replay server restarted at")]
  assert len(back) == 1, messages
  assert int(back[0].split(" with ")[1].split()[0]) > 0  # items reloaded from its checkpoint
  # The learner notices first (its sampling fails) or the driver does (and restarts it): either way it resumes.
  assert any(m.startswith(("learner lost its replay server", "learner died")) for m in messages), messages
  assert summary["learner_steps"] == 3000
  rows = run.rows()
  steps_once_each(rows)
  assert rows[-1]["learner_restarts"] == 1 and rows[-1]["actor_restarts"] >= 2


@pytest.mark.slow
def test_a_learner_past_its_restarts_ends_the_run_with_one_line_and_its_checkpoint_kept(cluster, tmp_path):
  run = Training(kuhn(100_000, learner_restarts=0), tmp_path / "run")
  run.wait_for_step(150)
  pid, _ = ray.get(part("-learner").where.remote())
  os.kill(pid, signal.SIGKILL)
  run.thread.join(120)
  assert not run.thread.is_alive()
  assert isinstance(run.error, RunFailed) and str(run.error).startswith("the learner died (ActorDiedError)"), run.error
  assert (tmp_path / "run" / "checkpoints" / "latest.npz").exists()
