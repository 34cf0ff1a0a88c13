"""NashConv of a network policy through OpenSpiel's exact best responses (small games only).

NashConv = sum over players of (best-response value against the others - the
player's value); 0 exactly at a Nash equilibrium. For two-player zero-sum games
it is twice the exploitability.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyspiel
from open_spiel.python import policy as policy_lib
from open_spiel.python.algorithms import exploitability

from games import openspiel_io

ProbsFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


class NashConvEvaluator:
  """Computes NashConv of `probs_fn` on `game`, batching all information states in one call.

  Args:
    game: a small OpenSpiel game (every information state is enumerated once, here).
    probs_fn: `(obs [N, O], legal [N, A]) -> probs [N, A]`.
  """

  def __init__(self, game: pyspiel.Game):
    self.game = game
    self._tabular = policy_lib.TabularPolicy(game)
    states = self._tabular.states
    self._obs = np.asarray([openspiel_io.observe(s) for s in states], np.float32)
    self._legal = np.asarray([s.legal_actions_mask() for s in states], np.float32)
    self.num_states = len(states)

  def tabular(self, probs_fn: ProbsFn) -> policy_lib.TabularPolicy:
    """The network policy as an OpenSpiel `TabularPolicy` (illegal actions 0, rows sum to 1)."""
    probs = np.asarray(probs_fn(self._obs, self._legal), np.float64) * self._legal
    probs /= probs.sum(axis=-1, keepdims=True)
    tab = self._tabular.__copy__()
    tab.action_probability_array = probs
    return tab

  def __call__(self, probs_fn: ProbsFn) -> float:
    return float(exploitability.nash_conv(self.game, self.tabular(probs_fn)))
