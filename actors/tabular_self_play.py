"""Self-play on a small game's enumerated tree (`games.game_tree`): array lookups instead of OpenSpiel calls.

The same actor as `actors.self_play.SelfPlayActor`, with each game held as a
node of the tree: observing the batch is one gather, moving it another, and
only games at a chance node (Leduc's public card, a new deal) take a step of
Python. It draws its random numbers as the OpenSpiel actor does, so with the
same seed and policy the two write the same trajectories (a test holds them
to it). Kuhn and Leduc poker's presets use it (`actors.tabular`).
"""

from __future__ import annotations

import numpy as np
import pyspiel

from actors.self_play import PolicyFn, SelfPlayActor
from core import interfaces
from games import game_tree


class TabularSelfPlayActor(SelfPlayActor):
  """`SelfPlayActor` on `game_tree.build(game)`."""

  def __init__(self, game: pyspiel.Game, policy_fn: PolicyFn, num_games: int, trajectory_max: int,
               chunk_size: int, replay: interfaces.Replay | None = None, seed: int = 0, pack: bool = False,
               explore: float = 0.0):
    self.tree = game_tree.build(game)
    super().__init__(game, policy_fn, num_games, trajectory_max, chunk_size, replay, seed, pack, explore)
    self._states = np.asarray(self._states, np.int64)  # each game's state is its node on the tree

  def _new_game(self) -> int:
    return game_tree.play_chance(self.tree, 0, self._rng)

  def _observe(self):
    nodes = self._states
    return self.tree.obs[nodes], self.tree.legal[nodes], self.tree.player[nodes]

  def _advance(self, actions: np.ndarray) -> np.ndarray:
    nodes = self.tree.child[self._states, actions]
    for i in np.flatnonzero(self.tree.player[nodes] == game_tree.CHANCE):  # in order, as the OpenSpiel actor
      nodes[i] = game_tree.play_chance(self.tree, int(nodes[i]), self._rng)
    self._states = nodes
    return self.tree.rewards[nodes]

  def _terminal(self) -> np.ndarray:
    return self.tree.player[self._states] == game_tree.TERMINAL

  def _restart(self, i: int) -> None:
    self._states[i] = self._new_game()
