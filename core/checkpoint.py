"""Atomic checkpoints and exported policies as plain `.npz` files of a tree's leaves.

Why this format: orbax is not in our pinned stack, and pickle would run code
from the file on load. An `.npz` holds only arrays (read with
`allow_pickle=False`), any numpy can open it, and writing it to a temporary
name and renaming makes a crash leave either the old file or the new one,
never half of one. The tree's structure comes from the reader's template (the
same config builds the same structure); the key paths are stored too and
checked on load, so a mismatched config fails loudly instead of loading
weights into the wrong layers.

A run keeps its last two checkpoints (`save(..., previous=...)`); `load(...,
fallback=...)` reads the previous one when the latest is damaged, so a torn or
corrupted file costs one checkpoint interval, not the run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pathlib
import zipfile
import zlib
from typing import Any, Iterator

import jax
import numpy as np

from core import files
from core.errors import UserError


log = logging.getLogger(__name__)


class CheckpointError(UserError):
  """A checkpoint that is missing, unreadable or does not fit the config."""


class DamagedCheckpointError(CheckpointError):
  """A checkpoint file that is missing, empty, truncated, corrupted or not an `.npz` at all.

  `reason` is the message without the path, e.g. "is empty".
  """

  def __init__(self, path: pathlib.Path, reason: str):
    super().__init__(f"{path} {reason}")
    self.reason = reason


# What a damaged `.npz` raises from numpy and zipfile, besides OSError.
_DAMAGE = (EOFError, zipfile.BadZipFile, zlib.error, KeyError, ValueError, UnicodeDecodeError)


@contextlib.contextmanager
def _open(path: pathlib.Path) -> Iterator[Any]:
  """`np.load(path)` for reading inside the block; any damage becomes one DamagedCheckpointError line."""
  try:
    with open(path, "rb") as f:
      magic = f.read(4)
  except OSError as e:
    raise DamagedCheckpointError(path, f"cannot be read: {e.strerror}") from None
  if not magic:
    raise DamagedCheckpointError(path, "is empty")
  if magic != b"PK\x03\x04":
    raise DamagedCheckpointError(path, "is not an .npz file (no zip header)")
  try:
    with np.load(path, allow_pickle=False) as data:
      yield data
  except (OSError, *_DAMAGE) as e:
    reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    raise DamagedCheckpointError(path, f"is damaged or truncated ({reason})") from None


def _paths(tree: Any) -> list[str]:
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return [jax.tree_util.keystr(path) for path, _ in flat]


def save(path: str | pathlib.Path, tree: Any, meta: dict | None = None,
         previous: str | pathlib.Path | None = None) -> pathlib.Path:
  """Writes `tree`'s leaves (and a JSON `meta` dict) to `path` atomically.

  With `previous`, the file at `path` (if any) moves there once the new one is
  written in full, so the last two checkpoints are kept.
  """
  path = pathlib.Path(path)
  leaves = [np.asarray(x) for x in jax.tree.leaves(tree)]
  arrays = {f"leaf_{i:05d}": x for i, x in enumerate(leaves)}
  arrays["__paths__"] = np.asarray(_paths(tree))
  arrays["__meta__"] = np.asarray(json.dumps(meta or {}))
  with files.atomic_open(path, "wb") as f:
    np.savez(f, **arrays)
    if previous is not None and path.exists():
      f.flush()
      os.replace(path, previous)  # A crash before the rename below leaves `previous` to load.
  return path


def read_meta(path: str | pathlib.Path) -> dict:
  """The JSON metadata stored with a checkpoint."""
  path = pathlib.Path(path)
  with _open(path) as data:
    meta = json.loads(str(data["__meta__"]))
  if not isinstance(meta, dict):
    raise DamagedCheckpointError(path, "is damaged (its metadata is not a mapping)")
  return meta


def load(path: str | pathlib.Path, template: Any, subtree: str | None = None,
         fallback: str | pathlib.Path | None = None) -> tuple[Any, dict]:
  """Reads a tree shaped like `template` (and its meta) back from `path`.

  With `subtree`, the file holds a dict and `template` is the shape of its
  entry `subtree` (e.g. a learner state's "params"), which alone is read.
  With `fallback`, a damaged (or missing) `path` is skipped, with a warning,
  for the checkpoint saved before it; if that fails too, the error is `path`'s.
  """
  try:
    return _load(pathlib.Path(path), template, subtree)
  except DamagedCheckpointError as e:
    if fallback is None or not pathlib.Path(fallback).exists():
      raise
    try:
      loaded = _load(pathlib.Path(fallback), template, subtree)
    except CheckpointError:
      raise e from None
    log.warning("%s; using the previous checkpoint %s (step %s)", e, fallback, loaded[1].get("step"))
    return loaded


def _load(path: pathlib.Path, template: Any, subtree: str | None) -> tuple[Any, dict]:
  with _open(path) as data:
    paths = [str(p) for p in data["__paths__"]]
    index = range(len(paths))
    if subtree is not None:
      prefix = jax.tree_util.keystr((jax.tree_util.DictKey(subtree),))
      index = [i for i in index if paths[i].startswith(prefix)]
      paths = [paths[i][len(prefix):] for i in index]
    leaves = [data[f"leaf_{i:05d}"] for i in index]
    meta = json.loads(str(data["__meta__"]))
  if not isinstance(meta, dict):
    raise DamagedCheckpointError(path, "is damaged (its metadata is not a mapping)")
  expected = _paths(template)
  if paths != expected:
    raise CheckpointError(f"checkpoint {path} does not fit this config "
                          f"({len(paths)} arrays saved, {len(expected)} expected)")
  tmpl_leaves, treedef = jax.tree.flatten(template)
  for got, want, name in zip(leaves, tmpl_leaves, paths):
    if np.shape(got) != np.shape(want):
      raise CheckpointError(f"checkpoint {path}: {name} has shape {np.shape(got)}, "
                            f"this config needs {np.shape(want)}")
  leaves = [np.asarray(x, dtype=np.asarray(w).dtype) for x, w in zip(leaves, tmpl_leaves)]
  return jax.tree.unflatten(treedef, leaves), meta
