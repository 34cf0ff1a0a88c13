"""Finding GNU Go and the command line that runs it as a GTP engine under this project's rules."""

from __future__ import annotations

import os
import shutil

from core.errors import UserError

# Debian and Ubuntu install the program here, which is not always on PATH.
_DEBIAN_PATH = "/usr/games/gnugo"


class GnuGoNotFound(UserError):
  """GNU Go is not installed (or not where the user said)."""


def find_gnugo(path: str | None = None) -> str | None:
  """The GNU Go program: `path` if given, else `gnugo` on PATH, else /usr/games/gnugo; None if none."""
  if path:
    return path if os.access(path, os.X_OK) else shutil.which(path)
  found = shutil.which("gnugo")
  if found:
    return found
  return _DEBIAN_PATH if os.access(_DEBIAN_PATH, os.X_OK) else None


def require_gnugo(path: str | None = None) -> str:
  """Like `find_gnugo`, but raises GnuGoNotFound with what to do."""
  found = find_gnugo(path)
  if found is None:
    where = f"'{path}' is not an executable program" if path else "gnugo is not on PATH nor in /usr/games"
    raise GnuGoNotFound(f"GNU Go not found: {where}; install it with 'apt-get install gnugo'")
  return found


def gnugo_command(path: str, level: int = 1, seed: int | None = None, chinese_rules: bool = True,
                  positional_superko: bool = True, capture_all_dead: bool = False) -> list[str]:
  """argv for GNU Go in GTP mode.

  Args:
    path: the program (see `find_gnugo`).
    level: strength 0..10; 1 plays a 9x9 game in about a second.
    seed: random seed; without it GNU Go seeds from the clock.
    chinese_rules: area scoring in `final_score`, as OpenSpiel scores.
    positional_superko: forbid moves that repeat a position, which OpenSpiel
      would end as a draw (GNU Go's default forbids only simple ko).
    capture_all_dead: take every dead stone off before passing. Where the
      game is scored as it stands (OpenSpiel's Tromp-Taylor area, as matches
      score it), dead stones left on the board count as alive, and GNU Go's
      default passes would lose it games it has won.
  """
  argv = [path, "--mode", "gtp", "--level", str(level)]
  if seed is not None:
    argv += ["--seed", str(seed)]
  if chinese_rules:
    argv.append("--chinese-rules")
  if positional_superko:
    argv.append("--positional-superko")
  if capture_all_dead:
    argv.append("--capture-all-dead")
  return argv
