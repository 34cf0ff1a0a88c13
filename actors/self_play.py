"""Batched self-play: many OpenSpiel games at once, one network call per move for all of them.

Works for any sequential two-player zero-sum OpenSpiel game (Kuhn and Leduc
poker, Stratego, Go, ...). Each finished game becomes one trajectory of
`trajectory_max` steps (padded with `valid = 0`; a game that runs longer is cut
there), or with `pack` shares its row with the games before and after it (see
`actors.trajectory_buffer`). Full rows are handed out in chunks of
`chunk_size`, ready to write to replay as one item.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyspiel

from actors.trajectory_buffer import TrajectoryBuffer
from core import interfaces
from games.openspiel_io import (check_game, load_game, observation_size, observe, play_chance,  # noqa: F401
                                sample_actions)

PolicyFn = Callable[[object, np.ndarray, np.ndarray], np.ndarray]


def mix_uniform(probs, legal, explore: float):
  """(1 - explore) * probs + explore * uniform over `legal` (numpy or JAX arrays, [..., A])."""
  return (1 - explore) * probs + explore * legal / legal.sum(axis=-1, keepdims=True)


class SelfPlayActor(interfaces.Actor):
  """Runs `num_games` self-play games in lock step and writes finished ones to a replay.

  Args:
    game: the OpenSpiel game.
    policy_fn: `(params, obs [N, O], legal [N, A]) -> probs [N, A]`, called once per move.
    num_games: games played at once (N).
    trajectory_max: steps kept per row (T).
    chunk_size: finished rows written to replay together as one item.
    replay: where chunks go (None keeps them in `self.ready` for the caller).
    seed: seed of the actor's sampling and chance.
    pack: several games per row (see `actors.trajectory_buffer`).
    explore: the share of each move's policy given to a uniformly random legal
      move. The mixture is what is sampled and recorded as the acting policy
      (mu), so the learner's importance weights correct for it.
  """

  def __init__(self, game: pyspiel.Game, policy_fn: PolicyFn, num_games: int, trajectory_max: int,
               chunk_size: int, replay: interfaces.Replay | None = None, seed: int = 0, pack: bool = False,
               explore: float = 0.0):
    check_game(game)
    if not 0 <= explore < 1:
      raise ValueError(f"explore must be in [0, 1), got {explore}")
    self._explore = explore
    self.game = game
    self._policy_fn = policy_fn
    self._n, self._t_max = num_games, trajectory_max
    self._rng = np.random.default_rng(seed)
    obs_size, num_actions = observation_size(game), game.num_distinct_actions()
    n, t = num_games, trajectory_max
    self._buf = TrajectoryBuffer({
        # float16 halves replay memory (Stratego's inputs are 5,800 numbers a move); the
        # learner computes in float32. Planes of 0/1 and simple fractions stay exact.
        "obs": np.zeros((n, t, obs_size), np.float16),
        "legal": np.zeros((n, t, num_actions), np.float32),
        "player_id": np.zeros((n, t), np.int32),
        "valid": np.zeros((n, t), np.float32),
        "action_oh": np.zeros((n, t, num_actions), np.float32),
        "policy": np.zeros((n, t, num_actions), np.float32),
        "rewards": np.zeros((n, t, game.num_players()), np.float32),
        # No `action_ids`: slot k is action k (see `Trajectories`).
    }, chunk_size, replay, pack)
    self.ready = self._buf.ready
    self._states = [self._new_game() for _ in range(n)]
    self.moves = 0

  @property
  def games_finished(self) -> int:
    return self._buf.games_finished

  def _new_game(self) -> pyspiel.State:
    return play_chance(self.game.new_initial_state(), self._rng)

  # What a subclass with another game representation replaces (see `actors.tabular_self_play`).

  def _observe(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(obs [N, O] float32, legal [N, A] float32, player [N] int32) of the games' current states."""
    obs = np.asarray([observe(s) for s in self._states], np.float32)
    legal = np.asarray([s.legal_actions_mask() for s in self._states], np.float32)
    player = np.asarray([s.current_player() for s in self._states], np.int32)
    return obs, legal, player

  def _advance(self, actions: np.ndarray) -> np.ndarray:
    """Plays `actions` and the chance nodes after them, game by game; returns rewards [N, P] float32."""
    for i, state in enumerate(self._states):
      state.apply_action(int(actions[i]))
      play_chance(state, self._rng)
    return np.asarray([s.rewards() for s in self._states], np.float32)

  def _terminal(self) -> np.ndarray:
    return np.asarray([s.is_terminal() for s in self._states])

  def _restart(self, i: int) -> None:
    self._states[i] = self._new_game()

  def run_step(self, params, version: int) -> int:
    n = self._n
    obs, legal, player = self._observe()
    probs = np.asarray(self._policy_fn(params, obs, legal), np.float64)
    probs = probs * legal
    probs /= probs.sum(axis=-1, keepdims=True)
    if self._explore:
      probs = mix_uniform(probs, legal, self._explore)
    actions = sample_actions(probs, self._rng)
    rewards = self._advance(actions)
    self._buf.record(np.arange(n), version, actions, obs=obs, legal=legal, player_id=player, policy=probs,
                     rewards=rewards)
    terminal = self._terminal()
    for i in np.flatnonzero(terminal | self._buf.full_rows()):  # in order: new games draw chance in turn
      if terminal[i]:
        self._buf.end_game(i)
        self._restart(i)
      else:
        self._buf.cut(i)
        if not self._buf.pack:
          self._restart(i)
    self.moves += n
    return n
