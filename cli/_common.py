"""Shared pieces of the subcommands: the one-line-error parser and config options.

Every `stratago ... --help` imports this module and each `cli.<command>` module
to build the parser, so they import only the standard library at the top;
anything heavier (YAML, NumPy, JAX, TensorFlow, Reverb, Ray) is imported inside
the function that uses it. `tests/test_cli_startup.py` checks this.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn


def version() -> str:
  """The installed stratago version, or "unknown" when run from a source tree."""
  import importlib.metadata  # Not at the top: about 30 ms of every `stratago --help`.
  try:
    return importlib.metadata.version("stratago")
  except importlib.metadata.PackageNotFoundError:
    return "unknown"


class Parser(argparse.ArgumentParser):
  """An ArgumentParser whose errors are one line and exit 2, never a usage dump."""

  def error(self, message: str) -> NoReturn:
    sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
    raise SystemExit(2)


class VersionAction(argparse.Action):
  """`--version`: prints "PROG VERSION" and exits, reading the version only when asked."""

  def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
               default: Any = argparse.SUPPRESS, help: str = "show program's version number and exit"):
    super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

  def __call__(self, parser, namespace, values, option_string=None) -> NoReturn:
    sys.stdout.write(f"{parser.prog} {version()}\n")
    parser.exit()


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
  """Keeps the examples' line breaks and shows defaults that say something."""

  def _get_help_string(self, action: argparse.Action) -> str:
    help_ = action.help or ""
    if "%(default)" in help_ or action.default in (None, False, [], argparse.SUPPRESS):
      return help_
    return help_ + " (default: %(default)s)"


MAX_SEED = 2**32 - 1


def seed(text: str) -> int:
  """An argparse type: a seed in 0..2**32-1 (what NumPy and the engines take), refused in one line otherwise."""
  try:
    value = int(text) if len(text) <= 20 else -1
  except ValueError:
    raise argparse.ArgumentTypeError(f"invalid seed '{text[:40]}': expected an integer") from None
  if not 0 <= value <= MAX_SEED:
    raise argparse.ArgumentTypeError(f"seed '{text[:40]}' is out of range (0..{MAX_SEED})")
  return value


def finite_float(text: str) -> float:
  """An argparse type: a finite number (no nan or inf)."""
  import math
  try:
    value = float(text)
  except ValueError:
    raise argparse.ArgumentTypeError(f"invalid number '{text[:40]}'") from None
  if not math.isfinite(value):
    raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
  return value


def add_config_options(parser: argparse.ArgumentParser) -> None:
  """Adds `--config FILE` and repeatable `--set key=value` to a subcommand."""
  parser.add_argument("--config", metavar="FILE", default=None,
                      help="YAML file of config values (a run's config.yaml repeats that run)")
  parser.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                      help="override one config value by dotted key, e.g. --set learner.batch_size=512; repeatable")


def build_config(cls: type, args: argparse.Namespace, **flag_overrides: Any) -> Any:
  """The config from defaults, --config, dedicated flags (when given), then --set."""
  from core import config as config_lib
  flags = [f"{k}={v}" for k, v in flag_overrides.items() if v is not None]
  return config_lib.build(cls, args.config, [*flags, *args.overrides])
