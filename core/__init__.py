"""Floor 0: config loading, user errors, logging and metrics shared by every package.

The names below are loaded on first use, not when `core` is imported: every
`stratago ... --help` imports `core.errors`, and must not pay for YAML
(`core.config`) or NumPy (`core.metrics`) on the way.
"""

import importlib

# Public name -> (module, attribute in it).
_EXPORTS = {
    "ConfigError": ("core.config", "ConfigError"),
    "build_config": ("core.config", "build"),
    "dump_config": ("core.config", "dump"),
    "config_to_dict": ("core.config", "to_dict"),
    "UserError": ("core.errors", "UserError"),
    "MetricsWriter": ("core.metrics", "MetricsWriter"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
  if name not in _EXPORTS:
    raise AttributeError(f"module 'core' has no attribute {name!r}")
  module, attribute = _EXPORTS[name]
  value = getattr(importlib.import_module(module), attribute)
  globals()[name] = value  # Later look-ups skip this function.
  return value


def __dir__():
  return sorted([*globals(), *_EXPORTS])
