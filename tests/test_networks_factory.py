"""make_network: every backbone on every encoder gives finite logits exactly on legal actions."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pyspiel
import pytest

from agents.networks import (AttentionConfig, Backbone, DType, GameSpec, GriffinConfig, HeadConfig, MoeConfig,
                             NetworkConfig, PolicyHead, counting, make_network, masked_log_softmax)

import networks_fakes as fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)

GAMES = ["go(board_size=9)", "tic_tac_toe", "kuhn_poker", "leduc_poker"]  # two boards, two flat


def _move_game() -> GameSpec:
  """A 3x3 board of 2 planes whose actions are moves to an orthogonal neighbour, plus a pass."""
  moves = [(f, t) for f in range(9) for t in range(9) if abs(f // 3 - t // 3) + abs(f % 3 - t % 3) == 1]
  return GameSpec(name="moves", observation_shape=(2, 3, 3), num_actions=len(moves) + 1,
                  action_from_to=tuple(moves) + ((-1, -1),))


@pytest.mark.parametrize("game_name", GAMES)
@pytest.mark.parametrize("backbone", list(Backbone))
def test_finite_logits_exactly_on_legal_actions(backbone, game_name):
  game = pyspiel.load_game(game_name)
  obs, legal = fakes.trajectory(game, steps=3, batch=2, seed=1)
  obs, legal = obs.reshape(6, -1), legal.reshape(6, -1)
  net = make_network(fakes.tiny(backbone), game)
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs, legal)
  out = jax.jit(net.apply)(params, obs, legal)
  assert out.logits.shape == legal.shape and out.value.shape == (6,)
  np.testing.assert_array_equal(np.isfinite(out.logits), legal)
  assert np.all(np.isneginf(np.asarray(out.logits)[~legal]))
  assert np.all(np.abs(np.asarray(out.logits)[legal]) < fakes.tiny(backbone).head.final_logit_cap)
  probs = jax.nn.softmax(out.logits)
  np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
  np.testing.assert_array_equal(np.asarray(probs)[~legal], 0.0)
  assert np.all(np.isfinite(out.value))
  if backbone is Backbone.MOE:
    assert float(out.aux_loss) >= 0.9
  else:
    assert float(out.aux_loss) == 0.0


@pytest.mark.parametrize("backbone", list(Backbone))
def test_from_to_head_on_a_move_game(backbone):
  spec = _move_game()
  cfg = dataclasses.replace(fakes.tiny(backbone), head=HeadConfig(policy=PolicyHead.FROM_TO, from_to_dim=8))
  net = make_network(cfg, spec)
  obs = np.random.default_rng(0).integers(0, 2, size=(3, 18)).astype(np.float32)
  legal = np.random.default_rng(1).random((3, spec.num_actions)) < 0.4
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs, legal)
  out = jax.jit(net.apply)(params, obs, legal)
  np.testing.assert_array_equal(np.isfinite(out.logits), legal)
  assert counting.count(cfg, spec).params == sum(x.size for x in jax.tree.leaves(params))


def test_squares_head_reads_one_token_per_board_action():
  """Go: 81 square actions from the tokens plus pass from the pool; AUTO picks it."""
  game = pyspiel.load_game("go(board_size=9)")
  net = make_network(fakes.tiny(Backbone.TRANSFORMER), game)
  obs, legal = fakes.trajectory(game, steps=1, batch=1)
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs[0], legal[0])
  assert params["policy/square_logits"]["w"].shape == (32, 1)
  assert params["policy/pooled_logits"]["w"].shape == (32, 1)  # the pass


def test_masked_log_softmax_and_gradients_stay_finite():
  game = pyspiel.load_game("tic_tac_toe")
  obs, legal = fakes.trajectory(game, steps=4, batch=1, seed=2)
  obs, legal = obs[:, 0], legal[:, 0]
  net = make_network(fakes.tiny(Backbone.TRANSFORMER), game)
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs, legal)

  def loss(p):
    out = net.apply(p, obs, legal)
    log_pi = masked_log_softmax(out.logits, legal)
    return -jnp.sum(jnp.exp(log_pi) * log_pi) + jnp.sum(out.value ** 2)

  value, grads = jax.jit(jax.value_and_grad(loss))(params)
  assert np.isfinite(float(value))
  assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grads))
  log_pi = masked_log_softmax(net.apply(params, obs, legal).logits, legal)
  np.testing.assert_array_equal(np.asarray(log_pi)[~legal], 0.0)
  np.testing.assert_allclose(np.exp(np.where(legal, log_pi, -np.inf)).sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("backbone", [Backbone.TRANSFORMER, Backbone.GRIFFIN])
def test_bfloat16_compute_close_to_float32(backbone):
  game = pyspiel.load_game("tic_tac_toe")
  obs, legal = fakes.trajectory(game, steps=2, batch=2)
  obs, legal = obs.reshape(4, -1), legal.reshape(4, -1)
  cfg = fakes.tiny(backbone)
  net32, net16 = make_network(cfg, game), make_network(dataclasses.replace(cfg, dtype=DType.BFLOAT16), game)
  params = jax.jit(net32.init)(jax.random.PRNGKey(0), obs, legal)
  out32, out16 = net32.apply(params, obs, legal), net16.apply(params, obs, legal)
  assert out16.logits.dtype == jnp.float32
  np.testing.assert_array_equal(np.isfinite(out16.logits), legal)
  np.testing.assert_allclose(np.asarray(out16.value), np.asarray(out32.value), atol=0.1)


def test_stateless_backbones_step_and_unroll_equal_apply():
  game = pyspiel.load_game("kuhn_poker")
  obs, legal = fakes.trajectory(game, steps=2, batch=3)
  net = make_network(fakes.tiny(Backbone.MOE), game)
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs[0], legal[0])
  assert net.initial_state(3) == () and not net.is_recurrent
  outs, _ = net.unroll(params, (), obs, legal)
  out, state = net.step(params, (), obs[1], legal[1])
  np.testing.assert_allclose(outs.logits[1], out.logits, atol=1e-5)
  np.testing.assert_allclose(out.value, net.apply(params, obs[1], legal[1]).value, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: AttentionConfig(num_heads=4, num_kv_heads=3),
    lambda: AttentionConfig(head_dim=7),
    lambda: AttentionConfig(window=0),
    lambda: MoeConfig(num_experts=4, top_k=5),
    lambda: NetworkConfig(width=0),
    lambda: NetworkConfig(backbone=Backbone.GRIFFIN, width=30, griffin=GriffinConfig(num_lru_heads=4)),
])
def test_bad_configs_raise_value_error(make):
  with pytest.raises(ValueError):
    make()


def test_heads_that_do_not_fit_the_game_raise():
  with pytest.raises(ValueError, match="SQUARES"):
    make_network(dataclasses.replace(fakes.tiny(Backbone.TRANSFORMER), head=HeadConfig(policy=PolicyHead.SQUARES)),
                 pyspiel.load_game("kuhn_poker"))
  with pytest.raises(ValueError, match="FROM_TO"):
    make_network(dataclasses.replace(fakes.tiny(Backbone.TRANSFORMER), head=HeadConfig(policy=PolicyHead.FROM_TO)),
                 pyspiel.load_game("go(board_size=9)"))


@pytest.mark.parametrize("game_name,action", [("go(board_size=9)", 21), ("tic_tac_toe", 5)])
def test_square_action_a_is_token_a(game_name, action):
  """The SQUARES head's premise: OpenSpiel's action a marks grid cell (a // width, a % width)."""
  game = pyspiel.load_game(game_name)
  state = game.new_initial_state()
  before = np.asarray(state.observation_tensor()).reshape(game.observation_tensor_shape())
  state.apply_action(action)
  after = np.asarray(state.observation_tensor()).reshape(game.observation_tensor_shape())
  width = after.shape[2]
  changed = np.argwhere(np.any(before[:2] != after[:2], axis=0) if game_name.startswith("go")
                        else np.any(before != after, axis=0))
  assert [action // width, action % width] in changed.tolist()
