"""The per-game trajectory buffers both self-play actors fill, and the chunks they hand to replay."""

from __future__ import annotations

import numpy as np

from core import interfaces
from learners.rnad.learning import Trajectories


class TrajectoryBuffer:
  """N games' trajectories of up to T steps, written a move at a time; finished ones leave in chunks.

  Args:
    fields: every `Trajectories` field but `version`, as an [N, T, ...] array
      holding what an unplayed step holds (zeros; -1 for empty action slots).
      A finished game's rows go back to these contents.
    chunk_size: finished games written to replay together as one item.
    replay: where chunks go (None keeps them in `ready`).
  """

  def __init__(self, fields: dict[str, np.ndarray], chunk_size: int, replay: interfaces.Replay | None):
    self.fields = fields
    self._blank = {k: v[0].copy() for k, v in fields.items()}
    n = next(iter(fields.values())).shape[0]
    self.t = np.zeros((n,), np.int64)  # steps recorded so far, per game
    self._version = np.zeros((n,), np.int32)
    self._chunk = chunk_size
    self._replay = replay
    self._done: list[dict[str, np.ndarray]] = []
    self.ready: list[Trajectories] = []
    self.games_finished = 0

  def record(self, rows: np.ndarray, version: int, action_slot: np.ndarray, **values: np.ndarray) -> None:
    """Appends one step for the games `rows`: `values[k][j]` is field k of game `rows[j]`.

    Marks the step valid and its `action_slot` taken; a game's first step
    records the parameter `version` it was played with.
    """
    t = self.t[rows]
    self._version[rows[t == 0]] = version
    for name, value in values.items():
      self.fields[name][rows, t] = value
    self.fields["valid"][rows, t] = 1
    self.fields["action_oh"][rows, t, action_slot] = 1
    self.t[rows] += 1

  def finish(self, i: int) -> None:
    """Game `i` is over (or cut): its trajectory joins the next chunk and its rows are cleared."""
    episode = {k: v[i].copy() for k, v in self.fields.items()}
    episode["version"] = self._version[i].copy()
    self._done.append(episode)
    for k, v in self.fields.items():
      v[i] = self._blank[k]
    self.t[i] = 0
    self.games_finished += 1
    if len(self._done) >= self._chunk:
      chunk = Trajectories(**{k: np.stack([e[k] for e in self._done]) for k in Trajectories._fields})
      self._done = []
      if self._replay is not None:
        self._replay.add(chunk)
      else:
        self.ready.append(chunk)
