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

import shlex
import time
from typing import Sequence

from agents._subprocess import LineProcess, ProcessDied, ProcessTimeout
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
    try:
      self._proc = LineProcess(self.command)
    except ProcessDied as e:  # e.how: "cannot start 'CMD': why"
      raise GtpEngineDied(e.how.replace("cannot start ", "cannot start GTP engine ", 1)) from None

  def _died(self, command: str, e: ProcessDied) -> GtpEngineDied:
    return GtpEngineDied(f"GTP engine {self.name} {e.how} while answering '{command}'"
                         + (f"; its stderr ends: {e.stderr_tail}" if e.stderr_tail else ""))

  @property
  def alive(self) -> bool:
    return self._proc.alive

  def send(self, command: str, timeout_s: float | None = None) -> str:
    """Sends one command and returns the answer's text (without '= ')."""
    if "\n" in command:
      raise ValueError("one GTP command per call")
    limit = self.timeout_s if timeout_s is None else timeout_s
    deadline = time.monotonic() + limit
    lines: list[str] = []
    try:
      self._proc.send([command])
      while True:
        line = self._proc.read_line(deadline)
        if not lines:
          if line.startswith(("=", "?")):
            lines.append(line)
          continue  # Stray output before an answer.
        if not line.strip():
          break
        lines.append(line)
    except ProcessDied as e:
      raise self._died(command, e) from None
    except ProcessTimeout:
      self.close(timeout_s=0)  # its answers would no longer match the commands
      raise GtpTimeout(f"GTP engine {self.name} did not answer '{command}' within {limit:g}s") from None
    head = lines[0]
    first = head[1:].lstrip("0123456789")
    text = "\n".join([first.strip(), *lines[1:]]).strip()
    if head.startswith("?"):
      raise GtpCommandError(self.name, command, text)
    return text

  def close(self, timeout_s: float = 5.0) -> None:
    """Asks the engine to quit, then stops it (and what it started) if it does not."""
    self._proc.close(goodbye="quit" if timeout_s > 0 else None, grace_s=timeout_s)

  def __enter__(self) -> GtpClient:
    return self

  def __exit__(self, *exc) -> None:
    self.close()
