"""Static tables of the 10x10 board used by the rules: line targets, directions, distances."""

from __future__ import annotations

import numpy as np

NUM_SQUARES = 100
NUM_LINE_TARGETS = 18
NUM_DEPLOY_ACTIONS = 40
NUM_MOVE_ACTIONS = NUM_SQUARES * NUM_LINE_TARGETS
NUM_ACTIONS = NUM_DEPLOY_ACTIONS + NUM_MOVE_ACTIONS

# Directions: 0 left (-file), 1 right (+file), 2 down (-rank), 3 up (+rank).
DIR_STEP = np.array([(0, -1), (0, 1), (-1, 0), (1, 0)], np.int32)  # (d_rank, d_file)


def line_target(src: int, j: int) -> int:
  """Target square of line index j (0-8: other files of the row, 9-17: other ranks of the column)."""
  rank, file = divmod(src, 10)
  if j < 9:
    f = j if j < file else j + 1
    return rank * 10 + f
  r = j - 9 if j - 9 < rank else j - 8
  return r * 10 + file


def line_index(src: int, dst: int) -> int:
  """Inverse of `line_target`; -1 when dst is not on src's row or column (or is src)."""
  (r0, f0), (r1, f1) = divmod(src, 10), divmod(dst, 10)
  if src == dst or (r0 != r1 and f0 != f1):
    return -1
  if r0 == r1:
    return f1 if f1 < f0 else f1 - 1
  return 9 + (r1 if r1 < r0 else r1 - 1)


def _build():
  target = np.zeros((NUM_SQUARES, NUM_LINE_TARGETS), np.int32)
  dist = np.zeros_like(target)
  direction = np.zeros_like(target)
  for s in range(NUM_SQUARES):
    for j in range(NUM_LINE_TARGETS):
      t = line_target(s, j)
      (r0, f0), (r1, f1) = divmod(s, 10), divmod(t, 10)
      target[s, j] = t
      dist[s, j] = abs(r1 - r0) + abs(f1 - f0)
      direction[s, j] = (0 if f1 < f0 else 1) if r0 == r1 else (2 if r1 < r0 else 3)
  return target, dist, direction


TARGET, DIST, DIRECTION = _build()
RANK = np.arange(NUM_SQUARES, dtype=np.int32) // 10
FILE = np.arange(NUM_SQUARES, dtype=np.int32) % 10

# Zobrist-style keys for position hashing (more-squares rule): key[code, square], 0 for empty and lakes.
# Symmetric under a change of frame (key[blue c, 99 - s] == key[red c, s]), so a position has one hash
# whoever looks at it.
_rng = np.random.RandomState(20240611)
ZOBRIST = np.zeros((26, NUM_SQUARES), np.uint32)
ZOBRIST[1:13] = _rng.randint(1, 2**31 - 1, size=(12, NUM_SQUARES), dtype=np.int64).astype(np.uint32)
ZOBRIST[13:25] = ZOBRIST[1:13, ::-1]

# Moves computed as [direction 4, distance 1-9, from-square 100] are put in action order with this gather.
RAY_INDEX = (DIRECTION * 900 + (DIST - 1) * 100 + np.arange(NUM_SQUARES)[:, None]).astype(np.int32)

# For a square a and its line index j (s = TARGET[a, j]), the line index of a seen from s.
INVERSE = np.array([[line_index(line_target(a, j), a) for j in range(NUM_LINE_TARGETS)]
                    for a in range(NUM_SQUARES)], np.int32)
