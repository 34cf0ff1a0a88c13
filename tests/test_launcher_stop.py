"""Every stop of a local run is bounded and saves the run: stuck actors, signals during the stop, dead or silent actors.

The fast tests run the real launcher, learner and Reverb server in this
process with fake actor loops (`actors_testing`), for a few learner steps.
"""

import contextlib
import dataclasses
import functools
import json
import multiprocessing as mp
import os
import pathlib
import signal
import subprocess
import sys
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

REPO = pathlib.Path(__file__).resolve().parents[1]

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


class _DropsWhatItRaises:
  def __del__(self):
    cli_main._interrupt(signal.SIGTERM, None)  # as if SIGTERM came while Python ran this destructor


def test_a_sigterm_python_drops_in_a_destructor_is_sent_again(monkeypatch):
  """A SIGTERM 4 s into a run raised inside JAX's gc callback, was dropped, and the run went on."""
  got = []
  monkeypatch.setattr(sys, "unraisablehook", cli_main._resend_dropped_interrupts(sys.unraisablehook))
  previous = signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
  try:
    _DropsWhatItRaises()  # collected at once: its __del__'s exception is "ignored"
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
      time.sleep(0.01)
  finally:
    signal.signal(signal.SIGTERM, previous)
  assert got == [signal.SIGTERM]


def test_a_signal_behind_another_error_still_exits_as_interrupted(monkeypatch, capsys):
  """SIGTERM during `import pyspiel` surfaced as "ImportError: initialization failed", exit 1 with a traceback."""
  def run(args):
    try:
      cli_main._interrupt(signal.SIGTERM, None)
    except KeyboardInterrupt as e:
      raise ImportError("initialization failed") from e

  monkeypatch.setattr(cli_main.importlib.import_module("cli.doctor"), "run", run)
  assert cli_main.main(["doctor"]) == 143
  assert capsys.readouterr().err.splitlines()[-1] == "stratago doctor: interrupted"


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


# --- Signals at random moments, through the real command (slow: about 20-30 s a run on 2 cores). ---

SIGNAL_RUNS = 20  # per kind of signal
_SIGNALS = {"ctrl-c": (signal.SIGINT,), "ctrl-c-twice": (signal.SIGINT, signal.SIGINT), "sigterm": (signal.SIGTERM,)}


def _start_train(run_dir) -> tuple[subprocess.Popen, list[tuple[float, str]]]:
  """`stratago train` on Kuhn poker in its own process group; its output lines, timed, fill the list."""
  proc = subprocess.Popen(
      [sys.executable, "-m", "cli.main", "train", "--game", "kuhn_poker", "--out", str(run_dir), "--no-progress",
       "--set", "run.max_learner_steps=150", "--set", "run.checkpoint_every_steps=50",
       "--set", "eval.every_steps=50"],
      cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
      text=True, start_new_session=True,
      # A shell's background jobs inherit SIGINT ignored; give Ctrl-C its default back.
      preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
  lines: list[tuple[float, str]] = []
  threading.Thread(target=lambda: lines.extend((time.monotonic(), line) for line in proc.stdout),
                   daemon=True).start()
  return proc, lines


def _group_gone(pgid: int, timeout: float) -> bool:
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    try:
      os.killpg(pgid, 0)
    except ProcessLookupError:
      return True
    time.sleep(0.1)
  return False


@pytest.mark.slow
@pytest.mark.parametrize("attempt", [f"try{i:02d}" for i in range(SIGNAL_RUNS)])
@pytest.mark.parametrize("kind", list(_SIGNALS))
def test_signals_at_random_moments_never_hang_and_leave_a_saved_run(tmp_path, kind, attempt):
  """Even attempts signal at a random moment of the whole run, odd ones within 1.5 s of the stop's start.

  What a run guarantees: it exits within the time allowed, with 130 after
  Ctrl-C and 143 after SIGTERM (0 only if it had printed its result first; the
  interpreter's own -2 or -15, which a shell shows as 130 or 143, if the
  signal came before the command was up, or a second one after it had saved
  and said "interrupted"), and leaves no process behind. Once the learner has written its first
  metrics row, it also leaves a checkpoint, policy.npz and summary.json.
  """
  i = int(attempt[3:])
  rng = np.random.default_rng([i, list(_SIGNALS).index(kind)])
  signums = _SIGNALS[kind]
  run_dir = tmp_path / "run"
  t0 = time.monotonic()
  proc, lines = _start_train(run_dir)
  try:
    if i % 2 == 0:
      time.sleep(rng.uniform(1.0, 30.0))
    else:
      while not any("stopping:" in line for _, line in lines) and proc.poll() is None:
        assert time.monotonic() - t0 < 240, "the run did not reach its stop within 240 s"
        time.sleep(0.02)
      time.sleep(rng.uniform(0.0, 1.5))
    sent = time.monotonic()
    started = (run_dir / "metrics.jsonl").exists() and (run_dir / "metrics.jsonl").stat().st_size > 0
    for k, signum in enumerate(signums):
      if k:
        time.sleep(rng.uniform(0.2, 1.5))
      with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signum)
    try:
      status = proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
      pytest.fail(f"{kind} at {sent - t0:.1f} s: no exit within 90 s\n" + "".join(line for _, line in lines))
    time.sleep(0.2)  # the reader thread's last lines
    output = "".join(line for _, line in lines)
    expected = {128 + signums[0]}
    if any(line.startswith("train: ") and t < sent + 1.0 for t, line in lines):  # it had finished first
      expected |= {0, -signums[0]}
    if sent - t0 < 3:  # before the command had set its handlers up
      expected.add(-signums[0])
    if "stratago train: interrupted" in output:  # Saved and leaving: a second signal may end the interpreter.
      expected |= {-s for s in signums[1:]}
    print(f"\nsignal-test {kind} {attempt}: sent at {sent - t0:.1f} s (learner started: {started}), "
          f"exit {status} after {time.monotonic() - sent:.1f} s")
    assert status in expected, output
    if started:
      for name in (local.CHECKPOINT, local.POLICY, local.SUMMARY):
        assert (run_dir / name).exists(), f"{name} missing\n{output}"
    assert _group_gone(proc.pid, timeout=5), "a process of the run outlived it"
  finally:
    with contextlib.suppress(ProcessLookupError):
      os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
