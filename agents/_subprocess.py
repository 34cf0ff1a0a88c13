"""A child process spoken to in lines, with time-outs: the plumbing under an outside engine's adapter.

  proc = LineProcess(["./bot"])
  proc.send(["RED stratago 10 10"])
  row = proc.read_line(deadline=time.monotonic() + 5)   # ProcessTimeout, ProcessDied

Two threads pump the child's stdout into a queue and keep the end of its
stderr, so a read never blocks past its deadline and a dead child's last words
can go into the error. The child runs in its own session; `close` ends it and
anything it started.
"""

from __future__ import annotations

import collections
import os
import queue
import shlex
import signal
import subprocess
import threading
import time
from typing import Iterable, Sequence


class ProcessDied(Exception):
  """The child exited, closed its output, or could not start.

  Attributes:
    how: what happened ("exited with code 3", "cannot start './bot': No such file or directory").
    stderr_tail: the end of its stderr, on one line ("" if none).
  """

  def __init__(self, how: str, stderr_tail: str = ""):
    super().__init__(how + (f"; its stderr ends: {stderr_tail}" if stderr_tail else ""))
    self.how = how
    self.stderr_tail = stderr_tail


class ProcessTimeout(Exception):
  """No line came before the deadline."""


_EOF = object()


class LineProcess:
  """One child process; not thread-safe.

  Args:
    command: argv of the child.
  Raises:
    ProcessDied: the command cannot start.
  """

  def __init__(self, command: Sequence[str]):
    self.command = list(command)
    self._lines: queue.Queue = queue.Queue()
    self._stderr: collections.deque[str] = collections.deque(maxlen=20)
    try:
      self._proc = subprocess.Popen(
          self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
          text=True, bufsize=1, errors="replace", start_new_session=True)
    except OSError as e:
      raise ProcessDied(f"cannot start '{shlex.join(self.command)}': {e.strerror or e}") from None
    self._pumps = [threading.Thread(target=self._pump_stdout, daemon=True),
                   threading.Thread(target=self._pump_stderr, daemon=True)]
    for pump in self._pumps:
      pump.start()

  def _pump_stdout(self) -> None:
    for line in self._proc.stdout:
      self._lines.put(line)
    self._lines.put(_EOF)

  def _pump_stderr(self) -> None:
    for line in self._proc.stderr:
      self._stderr.append(line.rstrip("\n"))

  @property
  def alive(self) -> bool:
    return self._proc.poll() is None

  def _died(self) -> ProcessDied:
    """How the child ended, with the end of its stderr."""
    try:
      code = self._proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
      code = None
    for pump in self._pumps[1:]:
      pump.join(timeout=0.5)  # Let the stderr pump catch the last lines.
    how = f"exited with code {code}" if code is not None else "closed its output"
    return ProcessDied(how, " | ".join(line.strip() for line in self._stderr if line.strip())[-300:])

  def send(self, lines: Iterable[str]) -> None:
    """Writes the lines, each ended by a newline; ProcessDied if the child is gone."""
    text = "".join(line + "\n" for line in lines)
    try:
      self._proc.stdin.write(text)
      self._proc.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
      raise self._died() from None

  def read_line(self, deadline: float) -> str:
    """The next line without its line end; ProcessTimeout at `deadline` (time.monotonic), ProcessDied at EOF."""
    try:
      line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.0))
    except queue.Empty:
      raise ProcessTimeout() from None
    if line is _EOF:
      self._lines.put(_EOF)  # Later reads see the end too.
      raise self._died()
    return line.rstrip("\r\n")

  def close(self, goodbye: str | None = None, grace_s: float = 1.0) -> None:
    """Sends `goodbye` (if alive), waits up to `grace_s` for the child to exit, then kills its session."""
    if goodbye is not None and self.alive:
      try:
        self.send([goodbye])
        self._proc.wait(timeout=grace_s)
      except (ProcessDied, subprocess.TimeoutExpired):
        pass
    try:
      os.killpg(self._proc.pid, signal.SIGKILL)  # The child and anything it started.
    except (ProcessLookupError, PermissionError):
      pass
    self._proc.wait()
    for pump in self._pumps:
      pump.join(timeout=1.0)
    for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
      try:
        stream.close()
      except OSError:
        pass
