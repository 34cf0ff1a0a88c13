"""Logging for people: one line per event, set up once per command."""

from __future__ import annotations

import logging
import pathlib
import sys

_FORMAT = "%(asctime)s %(levelname).1s %(name)s: %(message)s"
_DATEFMT = "%H:%M:%S"

# Libraries that are chatty at INFO; a person wants their warnings, not their chatter.
_QUIET = ("absl", "jax._src", "tensorflow", "h5py", "matplotlib", "urllib3", "ray")


def setup(level: str = "info", log_file: str | pathlib.Path | None = None) -> None:
  """Sends log records to stderr (and `log_file` if given) as single lines.

  Args:
    level: debug, info, warning or error.
    log_file: optional file that receives the same lines, e.g. RUN_DIR/log.txt.
  """
  root = logging.getLogger()
  for handler in list(root.handlers):
    root.removeHandler(handler)
  formatter = logging.Formatter(_FORMAT, _DATEFMT)
  handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
  if log_file is not None:
    path = pathlib.Path(log_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers.append(logging.FileHandler(path))
  for handler in handlers:
    handler.setFormatter(formatter)
    root.addHandler(handler)
  root.setLevel(level.upper())
  for name in _QUIET:
    logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
