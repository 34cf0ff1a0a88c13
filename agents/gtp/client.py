"""A GTP client: runs any GTP engine as a subprocess and talks to it with time-outs.

  with GtpClient(["gnugo", "--mode", "gtp"], timeout_s=30) as engine:
    engine.send("boardsize 9")
    vertex = engine.send("genmove b")      # 'D5', 'pass' or 'resign'

`send` returns the answer's text; an engine's `? message` raises
`GtpCommandError`, an engine that exits raises `GtpEngineDied` with the end
of its stderr, and one that does not answer in time raises `GtpTimeout` (the
engine is then stopped: its answers would no longer match the commands).
"""

from __future__ import annotations

import collections
import queue
import shlex
import subprocess
import threading
import time
from typing import Sequence

from core.errors import UserError


class GtpError(UserError):
  """Anything that went wrong talking to a GTP engine."""


class GtpCommandError(GtpError):
  """The engine answered `? message` to a command."""

  def __init__(self, engine: str, command: str, message: str):
    super().__init__(f"{engine}: '{command}' failed: {message}")
    self.command = command
    self.message = message


class GtpEngineDied(GtpError):
  """The engine's process ended (or could not start)."""


class GtpTimeout(GtpError):
  """The engine did not answer within the time-out."""


_EOF = object()


class GtpClient:
  """One GTP engine subprocess; not thread-safe (one command at a time).

  Args:
    command: the engine's argv, e.g. ["gnugo", "--mode", "gtp", "--level", "1"].
    timeout_s: default seconds to wait for each answer.
    name: how errors name the engine (default: the program's name).
  """

  def __init__(self, command: Sequence[str], timeout_s: float = 30.0, name: str | None = None):
    self.command = list(command)
    self.timeout_s = timeout_s
    self.name = name or (self.command[0].rsplit("/", 1)[-1] if self.command else "engine")
    self._lines: queue.Queue = queue.Queue()
    self._stderr: collections.deque[str] = collections.deque(maxlen=20)
    try:
      self._proc = subprocess.Popen(
          self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
          text=True, bufsize=1)
    except OSError as e:
      raise GtpEngineDied(f"cannot start GTP engine '{shlex.join(self.command)}': {e.strerror}") from None
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

  def _died(self, command: str) -> GtpEngineDied:
    try:
      code = self._proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
      code = None
    time.sleep(0.05)  # Let the stderr pump catch the last lines.
    tail = " | ".join(line for line in self._stderr if line.strip())[-500:]
    how = f"exited with code {code}" if code is not None else "closed its output"
    return GtpEngineDied(f"GTP engine {self.name} {how} while answering '{command}'"
                         + (f"; its stderr ends: {tail}" if tail else ""))

  @property
  def alive(self) -> bool:
    return self._proc.poll() is None

  def send(self, command: str, timeout_s: float | None = None) -> str:
    """Sends one command and returns the answer's text (without '= ')."""
    if "\n" in command:
      raise ValueError("one GTP command per call")
    if not self.alive:
      raise self._died(command)
    try:
      self._proc.stdin.write(command + "\n")
      self._proc.stdin.flush()
    except (BrokenPipeError, OSError):
      raise self._died(command) from None
    deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
    lines: list[str] = []
    while True:
      remaining = deadline - time.monotonic()
      try:
        line = self._lines.get(timeout=max(remaining, 0.0))
      except queue.Empty:
        self.close(timeout_s=0)
        raise GtpTimeout(f"GTP engine {self.name} did not answer '{command}' within "
                         f"{self.timeout_s if timeout_s is None else timeout_s:g}s") from None
      if line is _EOF:
        raise self._died(command)
      line = line.rstrip("\r\n")
      if not lines:
        if line.startswith(("=", "?")):
          lines.append(line)
        continue  # Stray output before an answer.
      if not line.strip():
        break
      lines.append(line)
    head = lines[0]
    first = head[1:].lstrip("0123456789")
    text = "\n".join([first.strip(), *lines[1:]]).strip()
    if head.startswith("?"):
      raise GtpCommandError(self.name, command, text)
    return text

  def close(self, timeout_s: float = 5.0) -> None:
    """Asks the engine to quit, then stops it if it does not."""
    if self.alive and timeout_s > 0:
      try:
        self._proc.stdin.write("quit\n")
        self._proc.stdin.flush()
        self._proc.wait(timeout=timeout_s)
      except (OSError, subprocess.TimeoutExpired):
        pass
    if self.alive:
      self._proc.kill()
      self._proc.wait()
    for pump in self._pumps:
      pump.join(timeout=1.0)
    for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
      try:
        stream.close()
      except OSError:
        pass

  def __enter__(self) -> GtpClient:
    return self

  def __exit__(self, *exc) -> None:
    self.close()
