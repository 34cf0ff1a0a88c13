"""Atomic checkpoints and exported policies as plain `.npz` files of a tree's leaves.

Why this format: orbax is not in our pinned stack, and pickle would run code
from the file on load. An `.npz` holds only arrays (read with
`allow_pickle=False`), any numpy can open it, and writing it to a temporary
name and renaming makes a crash leave either the old file or the new one,
never half of one. The tree's structure comes from the reader's template (the
same config builds the same structure); the key paths are stored too and
checked on load, so a mismatched config fails loudly instead of loading
weights into the wrong layers.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import jax
import numpy as np

from core import files
from core.errors import UserError


class CheckpointError(UserError):
  """A checkpoint that is missing, unreadable or does not fit the config."""


def _paths(tree: Any) -> list[str]:
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return [jax.tree_util.keystr(path) for path, _ in flat]


def save(path: str | pathlib.Path, tree: Any, meta: dict | None = None) -> pathlib.Path:
  """Writes `tree`'s leaves (and a JSON `meta` dict) to `path` atomically."""
  path = pathlib.Path(path)
  leaves = [np.asarray(x) for x in jax.tree.leaves(tree)]
  arrays = {f"leaf_{i:05d}": x for i, x in enumerate(leaves)}
  arrays["__paths__"] = np.asarray(_paths(tree))
  arrays["__meta__"] = np.asarray(json.dumps(meta or {}))
  with files.atomic_open(path, "wb") as f:
    np.savez(f, **arrays)
  return path


def read_meta(path: str | pathlib.Path) -> dict:
  """The JSON metadata stored with a checkpoint."""
  try:
    with np.load(path, allow_pickle=False) as data:
      return json.loads(str(data["__meta__"]))
  except (OSError, KeyError, ValueError) as e:
    raise CheckpointError(f"cannot read {path}: {e}") from None


def load(path: str | pathlib.Path, template: Any, subtree: str | None = None) -> tuple[Any, dict]:
  """Reads a tree shaped like `template` (and its meta) back from `path`.

  With `subtree`, the file holds a dict and `template` is the shape of its
  entry `subtree` (e.g. a learner state's "params"), which alone is read.
  """
  path = pathlib.Path(path)
  try:
    with np.load(path, allow_pickle=False) as data:
      paths = [str(p) for p in data["__paths__"]]
      index = range(len(paths))
      if subtree is not None:
        prefix = jax.tree_util.keystr((jax.tree_util.DictKey(subtree),))
        index = [i for i in index if paths[i].startswith(prefix)]
        paths = [paths[i][len(prefix):] for i in index]
      leaves = [data[f"leaf_{i:05d}"] for i in index]
      meta = json.loads(str(data["__meta__"]))
  except (OSError, KeyError, ValueError) as e:
    raise CheckpointError(f"cannot read checkpoint {path}: {e}") from None
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
