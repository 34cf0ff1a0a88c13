"""Every stop of a local run is bounded and saves the run: stuck actors, signals during the stop, dead or silent actors.

The fast tests run the real launcher, learner and Reverb server in this
process with fake actor loops (`actors_testing`), for a few learner steps.
"""

import dataclasses
import functools
import json
import multiprocessing as mp
import signal
import threading
import time

import numpy as np
import portpicker
import pytest
import reverb

from actors import local, reverb_replay
from actors.config import ActorConfig, EvalConfig, ReplayConfig, RunConfig, TrainConfig
from cli import main as cli_main
from core.errors import RunFailed
from core.interfaces import Trajectories

import actors_testing


def tiny_kuhn(**run) -> TrainConfig:
  base = TrainConfig.kuhn_poker()
  return dataclasses.replace(
      base, actors=ActorConfig(num_actors=2, games_per_actor=32, chunk_size=32, tabular=True),
      run=RunConfig(**{"max_learner_steps": 5, "checkpoint_every_steps": 100, **run}),
      eval=EvalConfig(every_steps=100, nashconv=False))


def assert_saved(run_dir, ended: str) -> None:
  assert (run_dir / local.POLICY).exists() and (run_dir / local.CHECKPOINT).exists()
  summary = json.loads((run_dir / local.SUMMARY).read_text())
  assert summary["ended"] == ended, summary


@pytest.fixture(autouse=True)
def no_actor_left():
  yield
  assert not [p for p in mp.active_children() if p.name.startswith("rnad-actor")]


def test_a_chunk_the_server_holds_is_dropped_once_the_actor_stops():
  port = portpicker.pick_unused_port()
  # Nobody samples, so the rate limiter holds inserts once they are 8 samples ahead.
  server = reverb_replay.make_server(ReplayConfig(max_size=64, min_size=1, samples_per_insert=4.0,
                                                  error_buffer=8.0), port)
  stop = threading.Event()
  replay = reverb_replay.ReverbReplay(f"localhost:{port}", chunk_size=1, slots=False, should_stop=stop.is_set)
  chunk = Trajectories(**{k: np.zeros((1, 2), np.float32) for k in Trajectories._fields if k != "action_ids"},
                       action_ids=None)
  outcome = []

  def write():
    try:
      for _ in range(100):
        replay.add(chunk)
      outcome.append("all taken")
    except reverb.errors.DeadlineExceededError:
      outcome.append("dropped")

  thread = threading.Thread(target=write, daemon=True)
  thread.start()
  thread.join(2.0)
  assert thread.is_alive()                        # held by the rate limiter
  stop.set()
  thread.join(2 * reverb_replay.FLUSH_POLL_MS / 1000)
  assert outcome == ["dropped"]
  replay.close()
  server.stop()


def test_an_actor_that_will_not_stop_is_killed_after_the_deadline_and_the_run_saved(tmp_path, monkeypatch):
  monkeypatch.setattr(local, "ACTOR_STOP_S", 2.0)
  t0 = time.monotonic()
  summary = local.train(tiny_kuhn(), tmp_path, progress=False, actor_fn=actors_testing.hang_on_stop)
  assert summary["learner_steps"] == 5 and summary["actor_moves"] > 0
  assert_saved(tmp_path, "budget")
  assert time.monotonic() - t0 < 60


def _cli_train(monkeypatch, run_dir, actor_fn, *sets) -> int:
  """`stratago train` on tiny Kuhn poker, in this process, with `actor_fn` as the actors' loop."""
  monkeypatch.setattr(local, "train", functools.partial(local.train, actor_fn=actor_fn))
  argv = ["train", "--game", "kuhn_poker", "--out", str(run_dir), "--no-progress",
          "--set", "actors.num_actors=2", "--set", "actors.games_per_actor=32",
          "--set", "run.max_learner_steps=5", "--set", "eval.nashconv=false", *sets]
  try:
    return cli_main.main(argv)
  except KeyboardInterrupt:  # A signal that escaped the launcher would end the whole test session.
    pytest.fail("KeyboardInterrupt escaped the launcher")


@pytest.mark.parametrize("while_playing, on_stop, status", [
    ((), (signal.SIGINT,), 130),                   # Ctrl-C while the launcher waits for a stuck actor
    ((signal.SIGINT,), (signal.SIGINT,), 130),     # Ctrl-C, then Ctrl-C again during that wait
    ((), (signal.SIGTERM,), 143),                  # a scheduler's SIGTERM during that wait
    ((signal.SIGTERM,), (signal.SIGINT,), 143),
])
def test_a_signal_while_an_actor_hangs_in_its_stop_ends_the_run_at_once_saved(tmp_path, monkeypatch, while_playing,
                                                                              on_stop, status):
  monkeypatch.setattr(local, "ACTOR_STOP_S", 60.0)  # far beyond the time allowed below
  fake = functools.partial(actors_testing.hang_on_stop, signals_while_playing=while_playing,
                           signals_on_stop=on_stop)
  # A signal while playing comes before the budget of 5 steps ends; without one, the budget ends the run.
  budget = ["--set", "run.max_learner_steps=100000"] if while_playing else []
  t0 = time.monotonic()
  assert _cli_train(monkeypatch, tmp_path / "run", fake, *budget) == status
  assert time.monotonic() - t0 < 50
  assert_saved(tmp_path / "run", "interrupted")


def test_when_every_actor_dies_the_run_ends_saved_with_one_line(tmp_path, monkeypatch, capsys):
  assert _cli_train(monkeypatch, tmp_path / "run", actors_testing.fail) == 1
  assert capsys.readouterr().err.splitlines() == [
      "stratago train: error: all 2 actors died: MemoryError: Unable to allocate 3.64 TiB for an array "
      "with shape (1000000, 1000000)"]
  assert_saved(tmp_path / "run", "failed: all 2 actors died: MemoryError: Unable to allocate 3.64 TiB for an "
                                 "array with shape (1000000, 1000000)")


def test_actors_that_never_write_stop_the_run_after_the_silence_allowed(tmp_path):
  cfg = dataclasses.replace(tiny_kuhn(), run=RunConfig(max_learner_steps=5, actor_silence_s=2.0))
  with pytest.raises(RunFailed, match=r"no actor has written to replay for 2 s .*actor_silence_s=2\)"):
    local.train(cfg, tmp_path, progress=False, actor_fn=actors_testing.silent)
  summary = json.loads((tmp_path / local.SUMMARY).read_text())
  assert summary["ended"].startswith("failed: no actor has written") and summary["learner_steps"] == 0


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan")])
def test_the_silence_allowed_is_positive(value):
  with pytest.raises(ValueError, match="actor_silence_s"):
    RunConfig(actor_silence_s=value)
