"""Win rate of a policy against a uniformly random player, over many games played in lock step."""

from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

import numpy as np
import pyspiel

from games import openspiel_io

ProbsFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclasses.dataclass(frozen=True)
class MatchResult:
  """Counts of a match. `ends`, where the match knows them: games per way they ended, e.g. "won: flag captured"."""
  games: int
  wins: int
  draws: int
  losses: int
  mean_return: float
  ends: Mapping[str, int] = dataclasses.field(default_factory=dict)

  @property
  def win_rate(self) -> float:
    return self.wins / max(self.games, 1)

  @classmethod
  def from_returns(cls, returns: np.ndarray, ends: Mapping[str, int] | None = None) -> "MatchResult":
    """Counts the agent's final returns, one per game (0 for a draw)."""
    return cls(games=len(returns), wins=int(np.sum(returns > 0)), draws=int(np.sum(returns == 0)),
               losses=int(np.sum(returns < 0)), mean_return=float(np.mean(returns)), ends=dict(ends or {}))


def play_vs_random(game: pyspiel.Game, probs_fn: ProbsFn, num_games: int, seed: int = 0,
                   greedy: bool = False, max_moves: int = 100_000) -> MatchResult:
  """Plays `num_games` games of `probs_fn` against uniform random, alternating seats.

  The agent is player 0 in even-numbered games and player 1 in odd ones. All
  agent moves across the running games are one batched `probs_fn` call. A game
  that passes `max_moves` moves counts as a draw.

  Args:
    game: a two-player OpenSpiel game.
    probs_fn: `(obs [N, O], legal [N, A]) -> probs [N, A]`.
    num_games: games to play.
    seed: seed of both players' sampling and of chance.
    greedy: play the agent's most likely action instead of sampling.
    max_moves: a cap per game.
  """
  rng = np.random.default_rng(seed)
  states = [openspiel_io.play_chance(game.new_initial_state(), rng) for _ in range(num_games)]
  seats = np.arange(num_games) % 2
  moves = np.zeros(num_games, np.int64)
  while True:
    live = [i for i, s in enumerate(states) if not s.is_terminal() and moves[i] < max_moves]
    if not live:
      break
    agent = [i for i in live if states[i].current_player() == seats[i]]
    if agent:
      obs = np.asarray([openspiel_io.observe(states[i]) for i in agent], np.float32)
      legal = np.asarray([states[i].legal_actions_mask() for i in agent], np.float32)
      probs = np.asarray(probs_fn(obs, legal), np.float64) * legal
      probs /= probs.sum(axis=-1, keepdims=True)
      acts = np.argmax(probs, axis=-1) if greedy else openspiel_io.sample_actions(probs, rng)
      for i, a in zip(agent, acts):
        states[i].apply_action(int(a))
    agent_set = set(agent)
    for i in live:
      if i in agent_set:
        continue
      states[i].apply_action(int(rng.choice(states[i].legal_actions())))
    for i in live:
      moves[i] += 1
      openspiel_io.play_chance(states[i], rng)
  returns = np.asarray([s.returns()[seats[i]] if s.is_terminal() else 0.0 for i, s in enumerate(states)])
  return MatchResult.from_returns(returns)
