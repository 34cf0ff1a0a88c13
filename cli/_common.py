"""Shared pieces of the subcommands: the one-line-error parser and config options."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from typing import Any, NoReturn

from core import config as config_lib


def version() -> str:
  """The installed stratago version, or "unknown" when run from a source tree."""
  try:
    return importlib.metadata.version("stratago")
  except importlib.metadata.PackageNotFoundError:
    return "unknown"


class Parser(argparse.ArgumentParser):
  """An ArgumentParser whose errors are one line and exit 2, never a usage dump."""

  def error(self, message: str) -> NoReturn:
    sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
    raise SystemExit(2)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
  """Keeps the examples' line breaks and shows defaults that say something."""

  def _get_help_string(self, action: argparse.Action) -> str:
    help_ = action.help or ""
    if "%(default)" in help_ or action.default in (None, False, [], argparse.SUPPRESS):
      return help_
    return help_ + " (default: %(default)s)"


def add_config_options(parser: argparse.ArgumentParser) -> None:
  """Adds `--config FILE` and repeatable `--set key=value` to a subcommand."""
  parser.add_argument("--config", metavar="FILE", default=None,
                      help="YAML file of config values (a run's config.yaml repeats that run)")
  parser.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                      help="override one config value by dotted key, e.g. --set learner.batch_size=512; repeatable")


def build_config(cls: type, args: argparse.Namespace, **flag_overrides: Any) -> Any:
  """The config from defaults, --config, dedicated flags (when given), then --set."""
  flags = [f"{k}={v}" for k, v in flag_overrides.items() if v is not None]
  return config_lib.build(cls, args.config, [*flags, *args.overrides])
