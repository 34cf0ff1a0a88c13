"""The metrics a training run logs as it goes: NashConv (small games) and win rate against random.

The launcher in `actors/` stands on the same floor as `evaluation/`, so it does
not import this module; the caller (the CLI, a test, a benchmark) builds the
evaluator here and hands it to `actors.local.train`.
"""

from __future__ import annotations

from typing import Any, Callable

import pyspiel

from evaluation import nashconv, stratego_vs_random, vs_random

# (probs_fn, learner step, final?) -> metrics.
EvaluateFn = Callable[[nashconv.ProbsFn, int, bool], dict[str, float]]


def evaluator_for(eval_cfg: Any) -> Callable[[pyspiel.Game], EvaluateFn]:
  """Returns `game -> evaluate` for a run's eval config.

  Args:
    eval_cfg: an object with `nashconv` (bool), `vs_random_games` (int) and
      `vs_random_during` (bool), such as `actors.config.EvalConfig`.
  """
  def make(game: pyspiel.Game) -> EvaluateFn:
    exact = nashconv.NashConvEvaluator(game) if eval_cfg.nashconv else None
    # Stratego (placed by the players, dealt at random or from a board): the same games on the batched JAX
    # rules, several times faster.
    match = stratego_vs_random.play_vs_random if stratego_vs_random.supports(game) else vs_random.play_vs_random

    def evaluate(probs: nashconv.ProbsFn, step: int, final: bool) -> dict[str, float]:
      out: dict[str, float] = {}
      if exact is not None:
        out["nashconv"] = exact(probs)
      if eval_cfg.vs_random_games and (final or eval_cfg.vs_random_during):
        res = match(game, probs, eval_cfg.vs_random_games, seed=step)
        out.update(win_rate_vs_random=res.win_rate, mean_return_vs_random=res.mean_return)
      return out
    return evaluate
  return make
