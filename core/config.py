"""Frozen-dataclass configs filled from YAML files and dotted `key=value` overrides.

A config is a tree of frozen dataclasses. `build` makes one from its defaults,
then a YAML mapping, then overrides such as `learner.batch_size=512`, checking
every key and value on the way; `to_dict`/`dump` write the resolved config so
that `build(cls, path)` rebuilds it exactly.

  cfg = build(TrainConfig, yaml_path="run.yaml", overrides=["learner.lr=1e-4"])
  dump(cfg, run_dir / "config.yaml")
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import math
import pathlib
import types
import typing
from typing import Any, Mapping, Sequence, TypeVar

import yaml

from core import files
from core.errors import UserError

T = TypeVar("T")


class ConfigError(UserError):
  """A config file or override that does not fit the config's schema."""


def _field_types(cls: type) -> dict[str, Any]:
  hints = typing.get_type_hints(cls)
  return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _unknown_key(key: str, valid: Sequence[str], prefix: str) -> ConfigError:
  full = prefix + key
  close = difflib.get_close_matches(key, valid, n=3, cutoff=0.5)
  if close:
    hint = "did you mean " + " or ".join(f"'{prefix}{c}'" for c in close) + "?"
  else:
    hint = "valid keys: " + ", ".join(f"'{prefix}{v}'" for v in valid)
  return ConfigError(f"unknown config key '{full}'; {hint}")


def _coerce(value: Any, tp: Any, where: str) -> Any:
  """Checks `value` against type `tp`, converting where it is lossless."""
  origin = typing.get_origin(tp)
  if tp is Any:
    return value
  if origin in (typing.Union, types.UnionType):
    args = typing.get_args(tp)
    if value is None and type(None) in args:
      return None
    errors = []
    for arg in args:
      if arg is type(None):
        continue
      try:
        return _coerce(value, arg, where)
      except ConfigError as e:
        errors.append(str(e))
    raise ConfigError(errors[0] if errors else f"{where}: bad value {value!r}")
  if origin in (tuple, list):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
      raise ConfigError(f"{where}: expected a list, got {value!r}")
    args = typing.get_args(tp)
    if origin is tuple and args and args[-1] is not Ellipsis:
      if len(args) != len(value):
        raise ConfigError(f"{where}: expected {len(args)} items, got {len(value)}")
      items = [_coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args))]
    else:
      item_tp = args[0] if args else Any
      items = [_coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value)]
    return tuple(items) if origin is tuple else items
  if dataclasses.is_dataclass(tp):
    if isinstance(value, tp):
      return value
    if not isinstance(value, Mapping):
      raise ConfigError(f"{where}: expected a mapping of {tp.__name__} fields, got {value!r}")
    return _from_mapping(tp, value, prefix=f"{where}.")
  if isinstance(tp, type) and issubclass(tp, enum.Enum):
    if isinstance(value, tp):
      return value
    names = {m.name.lower(): m for m in tp}
    names.update({str(m.value).lower(): m for m in tp})
    key = str(value).lower()
    if key in names:
      return names[key]
    choices = ", ".join(m.name.lower() for m in tp)
    raise ConfigError(f"{where}: '{value}' is not one of {choices}")
  if tp is bool:
    if isinstance(value, bool):
      return value
    raise ConfigError(f"{where}: expected true or false, got {value!r}")
  if tp is int:
    if isinstance(value, int) and not isinstance(value, bool):
      return value
    if isinstance(value, float) and value.is_integer():
      return int(value)
    raise ConfigError(f"{where}: expected an integer, got {value!r}")
  if tp is float:
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
      number = float(value)
    elif isinstance(value, str):
      try:
        number = float(value)  # YAML 1.1 reads `1e-4` as a string.
      except ValueError:
        pass
    if number is None:
      raise ConfigError(f"{where}: expected a number, got {value!r}")
    if math.isnan(number):
      raise ConfigError(f"{where}: expected a number, got NaN")
    return number
  if tp is str:
    if isinstance(value, str):
      return value
    raise ConfigError(f"{where}: expected a string, got {value!r}")
  if tp is pathlib.Path:
    return pathlib.Path(value)
  raise TypeError(f"{where}: config fields of type {tp!r} are not supported")


def _from_mapping(cls: type[T], data: Mapping[str, Any], prefix: str = "") -> T:
  types_ = _field_types(cls)
  defaults = {f.name: f.default for f in dataclasses.fields(cls)}
  kwargs = {}
  for key, value in data.items():
    if key not in types_:
      raise _unknown_key(str(key), list(types_), prefix)
    kwargs[key] = _coerce(value, types_[key], prefix + key)
    _check_finite(kwargs[key], prefix + key, allow_inf=_is_inf(defaults[key]))
  try:
    return cls(**kwargs)
  except ValueError as e:  # __post_init__ validation.
    raise ConfigError(f"{prefix.rstrip('.') or cls.__name__}: {e}") from None


def _is_inf(value: Any) -> bool:
  return isinstance(value, float) and math.isinf(value)


def _check_finite(value: Any, where: str, allow_inf: bool) -> None:
  """Refuses an infinite number unless the field's own default is infinite (a cutoff that means "none")."""
  if isinstance(value, (list, tuple)):
    for i, v in enumerate(value):
      _check_finite(v, f"{where}[{i}]", allow_inf=False)
  elif _is_inf(value) and not allow_inf:
    raise ConfigError(f"{where}: expected a finite number, got {value}")


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
  out = dict(base)
  for k, v in update.items():
    if isinstance(v, Mapping) and isinstance(out.get(k), dict):
      out[k] = _merge(out[k], v)
    else:
      out[k] = v
  return out


# Deeper YAML than this is no config; PyYAML would recurse past Python's stack on it.
MAX_YAML_DEPTH = 100


def load_yaml(text: str | bytes, where: str) -> Any:
  """Reads YAML text, or raises ConfigError naming `where` and the line for text that is not YAML.

  Args:
    text: the YAML; bytes must be UTF-8.
    where: what the text is, for the message, e.g. "config file run.yaml".
  """
  if isinstance(text, bytes):
    try:
      text = text.decode("utf-8")
    except UnicodeDecodeError as e:
      line = text.count(b"\n", 0, e.start) + 1
      raise ConfigError(f"{where} is not UTF-8 text (byte 0x{text[e.start]:02x} at line {line})") from None
  depth = max_depth = 0
  for ch in text:  # Flow nesting only; block nesting is bounded by indentation a reader can see.
    depth += (ch in "[{") - (ch in "]}")
    max_depth = max(max_depth, depth)
  if max_depth > MAX_YAML_DEPTH:
    raise ConfigError(f"{where} nests brackets {max_depth} deep; a config needs at most {MAX_YAML_DEPTH}")
  try:
    return yaml.safe_load(text)
  except yaml.YAMLError as e:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    line = f" at line {mark.line + 1}" if mark is not None else ""
    if isinstance(e, yaml.reader.ReaderError):
      problem = f"unacceptable character #x{e.character:04x}" if isinstance(e.character, int) else e.reason
      line = f" at line {text.count(chr(10), 0, e.position) + 1}"
    raise ConfigError(f"{where} is not valid YAML{line}: {problem}") from None
  except RecursionError:
    raise ConfigError(f"{where} nests too deeply to be a config") from None


def parse_override(cls: type, override: str) -> dict[str, Any]:
  """Turns `a.b=value` into `{'a': {'b': value}}`, checking the path against `cls`."""
  if "=" not in override:
    raise ConfigError(f"override '{override}' must look like key=value, e.g. learner.batch_size=512")
  path, _, raw = override.partition("=")
  keys = path.strip().split(".")
  node: Any = cls
  for i, key in enumerate(keys):
    prefix = ".".join(keys[:i]) + ("." if i else "")
    if not dataclasses.is_dataclass(node):
      raise ConfigError(f"'{prefix.rstrip('.')}' has no sub-keys (in override '{override}')")
    types_ = _field_types(node)
    if key not in types_:
      raise _unknown_key(key, list(types_), prefix)
    node = types_[key]
  value = load_yaml(raw, f"override '{override}'") if raw.strip() else ""
  nested: Any = value
  for key in reversed(keys):
    nested = {key: nested}
  return nested


def build(cls: type[T], yaml_path: str | pathlib.Path | None = None,
          overrides: Sequence[str] = (), base: T | None = None) -> T:
  """Makes a `cls` config from its defaults (or `base`), a YAML file, then dotted overrides.

  Args:
    cls: a (frozen) dataclass type whose fields may be nested dataclasses.
    yaml_path: optional YAML file with a mapping of some of the fields.
    overrides: strings `dotted.key=value`; the value is read as YAML.
    base: optional starting config, such as a preset, instead of `cls()`.

  Returns:
    The config. Raises `ConfigError` naming the key for any unknown key or bad value.
  """
  data: dict[str, Any] = to_dict(base) if base is not None else {}
  if yaml_path is not None:
    path = pathlib.Path(yaml_path)
    try:
      raw = path.read_bytes()
    except OSError as e:
      raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
    loaded = load_yaml(raw, f"config file {path}")
    if loaded is None:
      loaded = {}
    if not isinstance(loaded, Mapping):
      raise ConfigError(f"config file {path} must hold a mapping of keys, not {type(loaded).__name__}")
    data = _merge(data, loaded)
  for override in overrides:
    data = _merge(data, parse_override(cls, override))
  return _from_mapping(cls, data)


def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
  """A `cls` config from a mapping such as `to_dict` returns (missing keys keep their defaults)."""
  return _from_mapping(cls, data)


def to_dict(cfg: Any) -> Any:
  """A plain YAML-ready view of a config: enums by name, tuples as lists."""
  if dataclasses.is_dataclass(cfg):
    return {f.name: to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
  if isinstance(cfg, enum.Enum):
    return cfg.name.lower()
  if isinstance(cfg, (list, tuple)):
    return [to_dict(v) for v in cfg]
  if isinstance(cfg, pathlib.Path):
    return str(cfg)
  return cfg


def dump(cfg: Any, path: str | pathlib.Path) -> pathlib.Path:
  """Writes the resolved config as YAML (atomically) and returns the path."""
  return files.write_atomic(path, yaml.safe_dump(to_dict(cfg), sort_keys=False))
