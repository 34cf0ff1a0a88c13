"""Atomic file writes (a crash leaves the old file or the new one, never half of one) and output checks."""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from typing import IO, Iterator

from core.errors import UserError


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
  """Opens PATH.tmp for writing; on a clean exit flushes, fsyncs and renames it to PATH.

  The parent folder is created. If the block raises, the temporary file is
  removed and PATH is untouched.
  """
  if "w" not in mode:
    raise ValueError(f"atomic_open writes; mode {mode!r} has no 'w'")
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  tmp = path.with_name(path.name + ".tmp")
  try:
    with open(tmp, mode) as f:
      yield f
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  except BaseException:
    tmp.unlink(missing_ok=True)
    raise


def write_atomic(path: str | os.PathLike, data: str | bytes) -> pathlib.Path:
  """Writes text or bytes to `path` atomically and returns the path."""
  with atomic_open(path, "w" if isinstance(data, str) else "wb") as f:
    f.write(data)
  return pathlib.Path(path)


def ensure_writable_dir(path: str | os.PathLike, what: str = "the output folder") -> pathlib.Path:
  """Creates folder `path` if needed and checks that files can be written in it, before any work starts.

  Raises:
    UserError: in one line, when `path` is a file, lies under a file, or cannot be created or written.
  """
  path = pathlib.Path(path)
  for folder in (path, *path.parents):
    if folder.exists() or folder.is_symlink():
      if not folder.is_dir():
        where = "is a file" if folder == path else f"is under {folder}, which is a file"
        raise UserError(f"{what} {path} {where}, not a folder")
      break
  try:
    path.mkdir(parents=True, exist_ok=True)
    tempfile.TemporaryFile(dir=path).close()
  except OSError as e:
    raise UserError(f"cannot write to {what} {path}: {e.strerror or e}") from None
  return path
