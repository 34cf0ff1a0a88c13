"""Piece types, letter codes, and the piece sets of the classic and barrage variants.

Square codes (one int per square, the letter's offset from `A`):
  0 `A` empty; 1-12 Red `B`-`M`; 13-24 Blue `N`-`Y`; 25 `_` lake.
A piece's *type* is its Red code 1-12 (Blue code minus 12), in this order:
  1 bomb, 2 spy, 3 scout, 4 miner, 5 sergeant, 6 lieutenant, 7 captain,
  8 major, 9 colonel, 10 general, 11 marshal, 12 flag.
"""

from __future__ import annotations

import enum

import numpy as np

EMPTY = 0
LAKE = 25
NUM_TYPES = 12
BLUE_OFFSET = 12

BOMB, SPY, SCOUT, MINER, SERGEANT, LIEUTENANT, CAPTAIN, MAJOR, COLONEL, GENERAL, MARSHAL, FLAG = range(1, 13)

TYPE_NAMES = ("bomb", "spy", "scout", "miner", "sergeant", "lieutenant", "captain",
              "major", "colonel", "general", "marshal", "flag")

# Strength used in attacks, indexed by type (index 0 unused). Bomb and flag are handled apart.
STRENGTH = np.array([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0], np.int32)

# Every square of both lakes: c5 d5 g5 h5 c6 d6 g6 h6.
LAKE_SQUARES = (42, 43, 46, 47, 52, 53, 56, 57)


class Variant(enum.Enum):
  """Which piece set each side plays with."""
  CLASSIC = "classic"
  BARRAGE = "barrage"


# Pieces per type (index = type - 1, bomb first ... flag last).
_COUNTS = {
    Variant.CLASSIC: (6, 1, 8, 5, 4, 4, 4, 3, 2, 1, 1, 1),
    Variant.BARRAGE: (1, 1, 2, 1, 0, 0, 0, 0, 0, 1, 1, 1),
}

# The order pieces are placed in during deployment: flag, bombs, then strongest to weakest.
_PLACEMENT_ORDER = (FLAG, BOMB, MARSHAL, GENERAL, COLONEL, MAJOR, CAPTAIN, LIEUTENANT,
                    SERGEANT, MINER, SCOUT, SPY)


def counts(variant: Variant) -> np.ndarray:
  """Pieces per type for one side: int array [13], index = type (index 0 unused)."""
  return np.array((0,) + _COUNTS[variant], np.int32)


def num_pieces(variant: Variant) -> int:
  """Pieces per side: 40 classic, 8 barrage."""
  return int(sum(_COUNTS[variant]))


def placement_order(variant: Variant) -> np.ndarray:
  """Types in the order deployment places them, one entry per piece."""
  c = counts(variant)
  return np.array([t for t in _PLACEMENT_ORDER for _ in range(c[t])], np.int32)


def letter(code: int) -> str:
  """Square code -> letter (`A`..`Y` or `_`)."""
  return "_" if code == LAKE else chr(ord("A") + int(code))


def code(ch: str) -> int:
  """Letter -> square code; `a` counts as `A`. Raises ValueError for anything else."""
  if ch == "_":
    return LAKE
  if ch == "a":
    return EMPTY
  c = ord(ch) - ord("A")
  if not 0 <= c <= 24 or len(ch) != 1:
    raise ValueError(f"unknown board letter {ch!r}")
  return c
