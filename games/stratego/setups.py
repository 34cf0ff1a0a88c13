"""Setup files: one 40-letter setup a line (front row first, Red letters A-M), `#` comments.

One loader validates every line (length, letters, piece counts for the
variant) and names a bad line by file and line number.
"""

from __future__ import annotations

import logging
import pathlib

import numpy as np

from core.errors import UserError
from games.stratego import pieces


_log = logging.getLogger(__name__)


class SetupFileError(UserError):
  """A setup file that cannot be read or holds a bad line."""


def parse_setup(text: str, variant: pieces.Variant) -> np.ndarray:
  """One 40-letter setup -> int8[40] codes 0-12.

  Raises:
    ValueError: naming what is wrong (length, letter, or count of a piece).
  """
  if len(text) != 40:
    raise ValueError(f"a setup has 40 letters, got {len(text)}")
  codes = np.zeros(40, np.int8)
  for i, ch in enumerate(text):
    c = 0 if ch in "Aa" else ord(ch) - ord("A")
    if not 0 <= c <= 12 or len(ch) != 1:
      raise ValueError(f"bad letter {ch!r} at position {i + 1}; a setup uses A-M")
    codes[i] = c
  want = pieces.counts(variant)
  got = np.bincount(codes, minlength=13)
  for t in range(1, 13):
    if got[t] != want[t]:
      raise ValueError(f"{variant.value} setup needs {want[t]} {pieces.TYPE_NAMES[t - 1]}"
                       f" ({pieces.letter(t)}), got {got[t]}")
  return codes


def load_setups(path: str | pathlib.Path, variant: pieces.Variant,
                skip_bad_lines: bool = False) -> np.ndarray:
  """Reads and validates a setup file.

  Args:
    path: the setup file.
    variant: whose piece counts every line must have.
    skip_bad_lines: log each bad line as a warning (`file:line: why`) and go on,
      instead of raising at the first one. Collected data sets such as the
      Gravon files carry the odd stray line.

  Returns:
    int8[N, 40] setups in file order.

  Raises:
    SetupFileError: the file is missing or has no good setup, or (unless
      skip_bad_lines) has a bad line (`file:line: why`).
  """
  path = pathlib.Path(path)
  try:
    lines = path.read_text().splitlines()
  except OSError as e:
    raise SetupFileError(f"cannot read setup file {path}: {e.strerror or e}") from None
  out = []
  bad = 0
  for n, line in enumerate(lines, start=1):
    line = line.strip()
    if not line or line.startswith("#"):
      continue
    try:
      out.append(parse_setup(line, variant))
    except ValueError as e:
      if not skip_bad_lines:
        raise SetupFileError(f"{path}:{n}: {e}") from None
      _log.warning("skipping %s:%d: %s", path, n, e)
      bad += 1
  if bad:
    _log.warning("%s: skipped %d bad line(s), kept %d setup(s)", path, bad, len(out))
  if not out:
    raise SetupFileError(f"{path}: no {variant.value} setups in the file")
  return np.stack(out)
