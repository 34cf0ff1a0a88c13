"""What every launcher does the same way when a run stops: signals, and the words for how it ended."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any

from core.errors import RunFailed

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# An actor's environment: one XLA thread on the CPU, so N actors share the cores with the learner.
ACTOR_ENV = {"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
             "JAX_PLATFORMS": "cpu"}


def describe(e: BaseException) -> str:
  """`MemoryError`, or `ValueError: the first line of its message`."""
  lines = str(e).strip().splitlines()
  return f"{type(e).__name__}: {lines[0][:200]}" if lines else type(e).__name__


class Signals:
  """While open, SIGINT and SIGTERM do not interrupt: each is recorded and sets `now`.

  Inside `interruptible()` they raise KeyboardInterrupt as well. `deliver()`
  puts the old handlers back and raises the first recorded signal again. Off
  the main thread, where handlers cannot be set, it changes nothing.
  """

  def __init__(self):
    self.received: list[int] = []
    self.now = threading.Event()
    self._raise = False
    self._previous: dict[int, Any] = {}

  def __enter__(self) -> "Signals":
    if threading.current_thread() is threading.main_thread():
      self._previous = {s: signal.signal(s, self._handle) for s in STOP_SIGNALS}
    return self

  def __exit__(self, *exc) -> None:
    for signum, handler in self._previous.items():
      signal.signal(signum, handler)
    self._previous = {}

  def _handle(self, signum, frame) -> None:
    self.received.append(signum)
    self.now.set()
    if self._raise:
      raise KeyboardInterrupt

  @contextlib.contextmanager
  def interruptible(self):
    self._raise = True
    try:
      yield
    finally:
      self._raise = False

  def deliver(self) -> None:
    self.__exit__()
    if self.received:
      signal.raise_signal(self.received[0])


@contextlib.contextmanager
def env(**values):
  old = {k: os.environ.get(k) for k in values}
  os.environ.update(values)
  try:
    yield
  finally:
    for k, v in old.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v


def why(ended: BaseException | None) -> str:
  """How a run ended, in the words of summary.json's `ended`."""
  if ended is None:
    return "budget"
  if isinstance(ended, KeyboardInterrupt):
    return "interrupted"
  if isinstance(ended, RunFailed):
    return f"failed: {ended}"
  return f"error: {describe(ended)}"
