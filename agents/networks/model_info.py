"""A network config from a preset plus `key=value` overrides, and its counts as a printable report."""

from __future__ import annotations

import json
from typing import Any, Sequence

from agents.networks import counting, encoders, heads
from agents.networks.config import Backbone, NetworkConfig
from core import config as config_lib
from core.errors import UserError


def _flatten(data: dict[str, Any], prefix: str = "") -> list[str]:
  out = []
  for key, value in data.items():
    if isinstance(value, dict):
      out += _flatten(value, f"{prefix}{key}.")
    else:
      out.append(f"{prefix}{key}={json.dumps(value)}")  # JSON is YAML, which the loader reads.
  return out


def build_config(backbone: str, preset: str, overrides: Sequence[str] = ()) -> NetworkConfig:
  """The preset of `backbone`, then dotted `key=value` overrides (raises UserError on bad keys/values)."""
  base = config_lib.to_dict(NetworkConfig.from_preset(backbone, preset))
  return config_lib.build(NetworkConfig, None, [*_flatten(base), *overrides])


def load_game(name: str):
  """An OpenSpiel game by its string, e.g. 'go(board_size=9)'; a UserError if OpenSpiel refuses it."""
  import difflib
  import pyspiel
  short = name.split("(", 1)[0].strip()
  known = pyspiel.registered_names()
  if short not in known:
    close = difflib.get_close_matches(short, known, n=3, cutoff=0.6)
    hint = ("did you mean " + " or ".join(close) + "?") if close else "see pyspiel.registered_names()"
    raise UserError(f"unknown game '{short}'; {hint}")
  try:
    return pyspiel.load_game(name)
  except pyspiel.SpielError as e:
    raise UserError(f"cannot load game '{name}': {str(e).strip().splitlines()[-1]}") from None


def _si(n: float) -> str:
  for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
    if abs(n) >= scale:
      return f"{n / scale:.2f} {unit}"
  return f"{n:.0f} "


def describe(config: NetworkConfig, game: Any) -> str:
  """The report `stratago model` prints: totals, then one line per layer."""
  try:
    spec = encoders.spec_from_game(game)
    count = counting.count(config, game)
  except ValueError as e:
    raise UserError(str(e)) from None
  if config.backbone is Backbone.MLP:
    head = "from_to" if "from-to" in count.layers[-2].description else "flat"
    lines = [f"model: mlp, hidden {list(config.hidden)}, dtype float32",
             f"game: {spec.name}, observation {list(spec.observation_shape)} read as one flat vector, "
             f"{spec.num_actions} actions, policy head {head}"]
  else:
    rows, cols = spec.grid(config.encoder)
    kind = heads.resolve_policy_head(config.head, spec, count.tokens, config.backbone is Backbone.GRIFFIN)
    lines = [f"model: {config.backbone.value}, width {config.width}, depth {config.depth}, "
             f"dtype {config.dtype.value}",
             f"game: {spec.name}, observation {list(spec.observation_shape)} -> {count.tokens} tokens "
             f"({rows}x{cols}), {spec.num_actions} actions, policy head {kind.value}"]
  lines += [
      f"parameters: {count.params:,}" + (
          f" ({count.active_params:,} active per token)" if count.active_params != count.params else ""),
      f"FLOPs per position: forward {_si(count.flops_forward)}FLOP ({count.flops_forward:,}), "
      f"forward+backward {_si(count.flops_forward_backward)}FLOP ({count.flops_forward_backward:,})",
      f"FLOPs per token: forward {_si(count.flops_forward / count.tokens)}FLOP",
      "layer layout:",
      f"  {'layer':<12}{'params':>14}{'fwd FLOPs':>16}  description",
  ]
  for layer in count.layers:
    lines.append(f"  {layer.name:<12}{layer.params:>14,}{layer.flops:>16,}  {layer.description}")
  return "\n".join(lines)
