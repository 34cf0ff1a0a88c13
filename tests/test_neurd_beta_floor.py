"""benchmarks/neurd_beta_floor.py: the floored policy by hand, and Kuhn's floor at the default beta."""

import importlib.util
import pathlib

import numpy as np
import pyspiel
import pytest

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "neurd_beta_floor.py"
_SPEC = importlib.util.spec_from_file_location("neurd_beta_floor", _PATH)
floor = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(floor)


def test_actions_outside_the_support_end_beta_below_the_mean():
  policy = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
  legal = np.array([[1, 1, 0], [1, 1, 1], [1, 1, 1]], np.float64)
  got = floor.floored(policy, legal, beta=2.0)
  e = np.e
  # Two legal actions: logits +2 and -2. Three with one unplayed: +1, +1, -2 (mean 0). A policy whose
  # centred log-probabilities are all above -2 is left as it is.
  np.testing.assert_allclose(got[0], [e ** 4 / (e ** 4 + 1), 1 / (e ** 4 + 1), 0.0], rtol=1e-9)
  np.testing.assert_allclose(got[1], np.array([e, e, e ** -2]) / (2 * e + e ** -2), rtol=1e-9)
  np.testing.assert_allclose(got[2], policy[2], rtol=1e-9)


def test_kuhn_floor_at_beta_2_is_where_the_kuhn_preset_ends():
  solved, floors = floor.nashconv_floors(pyspiel.load_game("kuhn_poker"), 200, [2.0, 6.0])
  assert solved < 1e-3
  assert floors[2.0] == pytest.approx(0.0213, abs=5e-4)
  assert floors[6.0] < 1e-3
