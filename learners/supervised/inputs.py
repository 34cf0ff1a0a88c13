"""The supervised learner's inputs: Go dataset rows as observation tensors, legal masks and targets.

  batch = make_batch(rows, size, perms, rng)   # obs [B, 4*N*N], legal [B, N*N+1], move [B], value [B]

`rows` are `retrieval.dataset.PositionDataset` rows (planes of the side to
move and the opponent, the move played, who was to play, the outcome); with
`perms` (`games.go.symmetry_permutations`) each position and its move are
turned by a random one of the board's 8 symmetries.
"""

from __future__ import annotations

import numpy as np

from games import go


def legal_mask(planes: np.ndarray) -> np.ndarray:
  """bool [B, N*N + 1]: the empty points and pass, from planes [B, 2, N, N] (ko and suicide not known here)."""
  occupied = planes.reshape(len(planes), 2, -1).any(axis=1)
  return np.concatenate([~occupied, np.ones((len(planes), 1), bool)], axis=1)


def make_batch(rows: dict[str, np.ndarray], size: int, perms: np.ndarray | None,
               rng: np.random.Generator | None) -> dict[str, np.ndarray]:
  """Learner inputs from dataset rows; with `perms` ([8, N*N+1]), each position in a random symmetry."""
  planes, move = rows["planes"].reshape(len(rows["move"]), 2, size * size), rows["move"].astype(np.int32)
  if perms is not None:
    k = rng.integers(len(perms), size=len(move))
    chosen = perms[k]                                   # [B, N*N + 1]: where each point goes
    moved = np.empty_like(planes)
    np.put_along_axis(moved, np.broadcast_to(chosen[:, None, :-1], planes.shape), planes, axis=2)
    planes, move = moved, np.take_along_axis(chosen, move[:, None], axis=1)[:, 0]
  planes = planes.reshape(-1, 2, size, size)
  return {"obs": go.observation_from_planes(planes, rows["to_play"]), "legal": legal_mask(planes),
          "move": move, "value": rows["value"].astype(np.float32)}
