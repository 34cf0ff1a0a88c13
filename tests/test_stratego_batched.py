"""The batched JAX form (jit + vmap) agrees with the OpenSpiel form move by move, and its inits are sound."""

import functools

import jax
import numpy as np
import pyspiel
import pytest

import games  # noqa: F401  (registers stratego)
from games.stratego import engine
from games.stratego import notation
from games.stratego import observation
from games.stratego import pieces as P


@pytest.mark.parametrize("variant,num_games,max_moves", [
    ("barrage", 12, 150),
    ("classic", 4, 80),
    pytest.param("barrage", 64, 600, marks=pytest.mark.slow),
    pytest.param("classic", 16, 400, marks=pytest.mark.slow),
])
def test_batched_and_openspiel_forms_agree_move_by_move(variant, num_games, max_moves):
  g = pyspiel.load_game("stratego", {"variant": variant, "deployment": "random", "max_moves": max_moves})
  config = g.config
  states = [g.new_initial_state() for _ in range(num_games)]
  batch = jax.tree.map(lambda x: np.stack([x] * num_games), engine.init_deployment(config))
  vstep = jax.jit(jax.vmap(functools.partial(engine.step, config)))
  vobs = jax.jit(jax.vmap(functools.partial(observation.observe, config), in_axes=(0, None)))
  rng = np.random.default_rng(0)
  checked = 0
  while not all(s.is_terminal() for s in states):
    legal = np.asarray(batch.legal)
    obs = [np.asarray(vobs(batch, p)) for p in (0, 1)]
    actions = np.zeros(num_games, np.int32)
    for i, s in enumerate(states):
      assert bool(batch.terminal[i]) == s.is_terminal()
      if s.is_terminal():
        assert np.asarray(batch.rewards[i]).tolist() == s.returns()
        continue
      want = [a for a, _ in s.chance_outcomes()] if s.is_chance_node() else s.legal_actions()
      assert np.flatnonzero(legal[i]).tolist() == want
      for p in (0, 1):
        np.testing.assert_array_equal(obs[p][i].reshape(-1), np.asarray(s.observation_tensor(p)))
      actions[i] = rng.choice(want)
      s.apply_action(int(actions[i]))
      checked += 1
    batch = vstep(batch, actions)
  final = np.asarray(batch.rewards)
  assert final.tolist() == [s.returns() for s in states]
  assert checked > num_games * 2 * P.num_pieces(P.Variant(variant))
  assert np.all(final.sum(-1) == 0)


@pytest.mark.parametrize("variant", [P.Variant.CLASSIC, P.Variant.BARRAGE])
def test_init_random_deploys_every_piece_in_the_home_rows(variant):
  config = engine.RulesConfig(variant=variant)
  keys = jax.random.split(jax.random.PRNGKey(7), 64)
  boards = np.asarray(jax.jit(jax.vmap(functools.partial(engine.init_random, config)))(keys).board)
  want = P.counts(variant)
  for b in boards:
    red, blue = b[notation.SETUP_SQUARES], b[99 - notation.SETUP_SQUARES]
    assert np.bincount(red, minlength=25)[1:13].tolist() == want[1:].tolist()
    assert np.bincount(blue, minlength=25)[13:25].tolist() == want[1:].tolist()
    assert (b[40:60] == np.where(np.isin(np.arange(40, 60), P.LAKE_SQUARES), P.LAKE, 0)).all()
  assert len({b.tobytes() for b in boards}) == 64  # all different


def test_deal_starts_from_a_board_from_deployment_or_at_random():
  config = engine.RulesConfig(variant=P.Variant.BARRAGE)
  keys = jax.random.split(jax.random.PRNGKey(5), 3)
  layout = np.asarray(engine.init_random(config, jax.random.PRNGKey(9)).board)
  cases = [(engine.deal(config, keys), [engine.init_random(config, k) for k in keys]),
           (engine.deal(config, keys, deploy=True), [engine.init_deployment(config)] * 3),
           (engine.deal(config, keys, initial_board=layout), [engine.init_from_board(config, layout)] * 3)]
  for batch, singles in cases:
    for i, one in enumerate(singles):
      jax.tree.map(lambda b, o, i=i: np.testing.assert_array_equal(np.asarray(b)[i], np.asarray(o)), batch, one)
  assert len({np.asarray(b).tobytes() for b in cases[0][0].board}) == 3
  assert int(cases[1][0].placed[0]) == 0 and int(cases[2][0].placed[0]) == 16


def test_step_leaves_a_finished_game_alone():
  config = engine.RulesConfig()
  board = notation.parse_board("A" * 9 + "D" + "A" * 32 + "__AA__AA" + "AA__AA__AA" + "A" * 39 + "Y")
  state = engine.init_from_board(config, board)
  action = 40 + 9 * 18 + 9 + 8  # j1-j10: the scout takes the flag
  done = engine.step(config, state, action)
  assert bool(engine.is_terminal(done)) and np.asarray(engine.returns(done)).tolist() == [1.0, -1.0]
  assert not np.asarray(engine.legal_action_mask(done)).any()
  again = engine.step(config, done, 40)
  for a, b in zip(jax.tree.leaves(done), jax.tree.leaves(again)):
    np.testing.assert_array_equal(a, b)
