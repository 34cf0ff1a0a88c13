"""Win rate against a uniformly random player on the batched JAX Stratego rules.

`vs_random.play_vs_random` drives one pyspiel state per game, and every
Stratego move there is a separate jitted single-game call. Here all games are
one batched `games.stratego.State` (`evaluation.stratego_batch.play`): each
move is one jitted observe and one jitted step for every game at once, and one policy call on every game (one
batch shape, so one compilation) whose answers count where the agent is to
move. The games, seats and counting are those of
`vs_random.play_vs_random` (the agent is Red in even-numbered games), and the
observations are the OpenSpiel game's (`tests/test_stratego_self_play.py`
checks the JAX rules against it), so the two give the same win rate in
expectation. `benchmarks/stratego_vs_random.py` times the two. The result
also counts how the games ended (`MatchResult.ends`, from `engine.end_reason`):
a flag taken, a side left without a legal move, or a draw and why.
"""

from __future__ import annotations

import collections

import numpy as np

from evaluation import stratego_batch, vs_random
from games import openspiel_io
from games.stratego import engine
from games.stratego.openspiel_game import StrategoGame


supports = stratego_batch.supports  # the games the JAX rules can deal


def play_vs_random(game: StrategoGame, probs_fn: vs_random.ProbsFn, num_games: int, seed: int = 0,
                   greedy: bool = False) -> vs_random.MatchResult:
  """Plays `num_games` games of `probs_fn` against uniform random, alternating seats.

  Args:
    game: a `stratego(...)` game that `supports` accepts.
    probs_fn: `(obs [N, O], legal [N, A]) -> probs [N, A]` on the OpenSpiel game's observations.
    num_games: games to play.
    seed: seed of the setups and of both players' sampling.
    greedy: play the agent's most likely action instead of sampling.
  """
  if not isinstance(game, StrategoGame):
    raise ValueError(f"{game} is not Stratego: this evaluator plays stratego(...) games only "
                     f"(a policy trained on another game belongs to evaluation.vs_random)")
  if not supports(game):
    raise ValueError(f"{game}: the JAX rules need deployment=play or random, or an initial_board")
  seats = np.arange(num_games) % 2
  rng = np.random.default_rng(seed)

  def choose(turn: stratego_batch.Turn) -> np.ndarray:
    actions = np.zeros(num_games, np.int32)  # a finished game ignores its action
    agent = ~turn.terminal & (turn.player == seats)
    if agent.any():
      # The policy sees every game, so its batch keeps one shape (one compilation); only the agent's rows count.
      mask = np.where(turn.terminal[:, None], True, turn.legal).astype(np.float32)
      probs = np.asarray(probs_fn(turn.observe(), mask), np.float64)[agent] * mask[agent]
      probs /= probs.sum(axis=-1, keepdims=True)
      actions[agent] = np.argmax(probs, axis=-1) if greedy else openspiel_io.sample_actions(probs, rng)
    other = ~turn.terminal & ~agent
    if other.any():
      uniform = turn.legal[other].astype(np.float64)
      actions[other] = openspiel_io.sample_actions(uniform / uniform.sum(axis=-1, keepdims=True), rng)
    return actions

  played = stratego_batch.play(game.config, stratego_batch.deal(game, num_games, seed), choose)
  returns = played.returns[np.arange(num_games), seats]
  return vs_random.MatchResult.from_returns(returns, count_ends(returns, played.ends))


def count_ends(returns: np.ndarray, reasons: np.ndarray) -> dict[str, int]:
  """Games per (agent's result, `engine.END_*` reason), e.g. {"won: flag captured": 875, ...}, most first."""
  result = np.where(returns > 0, "won", np.where(returns < 0, "lost", "drawn"))
  counts = collections.Counter(f"{r}: {engine.END_NAMES[e]}" for r, e in zip(result, reasons))
  return dict(counts.most_common())
