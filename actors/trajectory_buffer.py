"""The per-game trajectory buffers both self-play actors fill, and the chunks they hand to replay.

A row holds one game, padded to T steps, or, with `pack`, as many whole games
as fit, one blank step apart. R-NaD's v-trace restarts at a blank (invalid)
step, so packed games do not leak into one another, and a barrage row of 256
steps then carries two or three games where it carried one game of about 96
moves and 160 steps of padding. A game still running when its row fills goes
on in the next row: its steps in the full row are blanked (they have no end,
so no return to learn from), and its remaining steps, which reach the end, are
kept; v-trace's targets at a step depend only on the steps after it.
"""

from __future__ import annotations

import numpy as np

from core import interfaces
from core.interfaces import Trajectories


class TrajectoryBuffer:
  """N trajectory rows of T steps, written a move at a time; full or finished ones leave in chunks.

  Args:
    fields: every `Trajectories` field but `version`, as an [N, T, ...] array
      holding what an unplayed step holds (zeros; -1 for empty action slots).
      A row that leaves goes back to these contents. Without `action_ids`
      the chunks have None there (slot k is action k).
    chunk_size: finished rows written to replay together as one item.
    replay: where chunks go (None keeps them in `ready`).
    pack: keep several games in a row (see the module docstring).
  """

  def __init__(self, fields: dict[str, np.ndarray], chunk_size: int, replay: interfaces.Replay | None,
               pack: bool = False):
    self.fields = fields
    self._blank = {k: v[0].copy() for k, v in fields.items()}
    n, self._t_max = next(iter(fields.values())).shape[:2]
    self.pack = pack
    self.t = np.zeros((n,), np.int64)  # steps recorded so far, per row
    self._start = np.zeros((n,), np.int64)  # where the row's running game's steps begin
    self._version = np.zeros((n,), np.int32)
    self._chunk = chunk_size
    self._replay = replay
    self._done: list[dict[str, np.ndarray]] = []
    self.ready: list[Trajectories] = []
    self.games_finished = 0

  def record(self, rows: np.ndarray, version: int, action_slot: np.ndarray, **values: np.ndarray) -> None:
    """Appends one step for the games `rows`: `values[k][j]` is field k of game `rows[j]`.

    Marks the step valid and its `action_slot` taken; a row's first step
    records the parameter `version` it was played with.
    """
    t = self.t[rows]
    self._version[rows[t == 0]] = version
    for name, value in values.items():
      self.fields[name][rows, t] = value
    self.fields["valid"][rows, t] = 1
    self.fields["action_oh"][rows, t, action_slot] = 1
    self.t[rows] += 1

  def full(self, i: int) -> bool:
    """Row `i` has no room for another step."""
    return bool(self.t[i] >= self._t_max)

  def full_rows(self) -> np.ndarray:
    """[N] bool: the rows with no room for another step."""
    return self.t >= self._t_max

  def end_game(self, i: int) -> None:
    """The game in row `i` is over. The caller starts the next one in the same row."""
    self.games_finished += 1
    if not self.pack or self.t[i] + 1 >= self._t_max:
      self._emit(i)
      return
    self.t[i] += 1  # one blank step: v-trace starts afresh before the next game
    self._start[i] = self.t[i]

  def cut(self, i: int) -> None:
    """Row `i` is full while its game goes on.

    Without `pack` the game ends here, unfinished (the learner sees no reward
    for it, as for a draw), and the caller starts a new one. With `pack` the
    game's steps in this row are blanked, the row leaves and the game goes on
    in the emptied row.
    """
    if not self.pack:
      self.games_finished += 1
      self._emit(i)
      return
    start = self._start[i]
    if start > 0:  # a row of only the running game's steps holds nothing to learn from: drop it
      for k, v in self.fields.items():
        v[i, start:] = self._blank[k][start:]
      self._emit(i)
    else:
      self._clear(i)

  def _clear(self, i: int) -> None:
    for k, v in self.fields.items():
      v[i] = self._blank[k]
    self.t[i] = 0
    self._start[i] = 0

  def _emit(self, i: int) -> None:
    """Row `i` joins the next chunk and is cleared."""
    episode = {k: v[i].copy() for k, v in self.fields.items()}
    episode["version"] = self._version[i].copy()
    self._done.append(episode)
    self._clear(i)
    if len(self._done) >= self._chunk:
      chunk = Trajectories(**{k: np.stack([e[k] for e in self._done]) for k in self._done[0]})
      self._done = []
      if self._replay is not None:
        self._replay.add(chunk)
      else:
        self.ready.append(chunk)
