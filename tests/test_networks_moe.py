"""Routing: exactly k experts per token with weights summing to 1; the load-balancing loss; sparse dispatch."""

import dataclasses

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pyspiel
import pytest

from agents.networks import Backbone, MoeDispatch, layers, make_network, moe

import networks_fakes as fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)


@pytest.mark.parametrize("num_experts,k", [(4, 1), (4, 2), (8, 2), (8, 8)])
def test_each_token_goes_to_exactly_k_experts_with_weights_summing_to_one(num_experts, k):
  logits = np.random.default_rng(0).normal(size=(50, num_experts)).astype(np.float32) * 3
  r = moe.route(jnp.asarray(logits), k)
  np.testing.assert_array_equal(np.count_nonzero(np.asarray(r.weights), axis=1), np.full(50, k))
  np.testing.assert_allclose(np.asarray(r.weights).sum(axis=1), np.ones(50), atol=1e-6)
  # The chosen experts are the k largest logits.
  np.testing.assert_array_equal(np.sort(r.experts, axis=1), np.sort(np.argsort(-logits, axis=1)[:, :k], axis=1))


def test_route_weights_are_softmax_over_the_top_k_logits():
  r = moe.route(jnp.array([[0.0, np.log(3.0), 5.0 - 10.0, np.log(1.0)]]), 2)
  # top-2 logits: log 3 (expert 1) and 0 (experts 0 and 3 tie; top_k takes the lower index).
  np.testing.assert_allclose(r.weights[0], [0.25, 0.75, 0.0, 0.0], atol=1e-6)
  np.testing.assert_array_equal(r.experts[0], [1, 0])


@pytest.mark.parametrize("num_experts,k,tokens", [(4, 1, 8), (4, 2, 6), (8, 2, 16)])
def test_load_balancing_loss_is_one_for_uniform_routing(num_experts, k, tokens):
  r = moe.route(jnp.zeros((tokens, num_experts)), k)
  assert float(moe.load_balancing_loss(r)) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("probs", [[0.25, 0.25, 0.25, 0.25], [0.3, 0.3, 0.2, 0.2], [0.4, 0.3, 0.2, 0.1],
                                   [0.7, 0.1, 0.1, 0.1], [0.97, 0.01, 0.01, 0.01]])
@pytest.mark.parametrize("k", [1, 2])
def test_load_balancing_loss_is_minimal_at_uniform(probs, k):
  """Tokens sharing router probabilities p: loss = E/k * (sum of the top-k p) >= 1, = 1 iff uniform."""
  p = np.asarray(probs, np.float32)
  r = moe.route(jnp.log(jnp.tile(p, (10, 1))), k)
  expected = 4 / k * np.sort(p)[::-1][:k].sum()
  loss = float(moe.load_balancing_loss(r))
  assert loss == pytest.approx(expected, rel=1e-5)
  assert loss >= 1.0 - 1e-6
  assert (loss == pytest.approx(1.0, abs=1e-6)) == (probs == [0.25] * 4)


def test_load_balancing_loss_is_num_experts_when_one_expert_takes_everything():
  r = moe.route(jnp.tile(jnp.array([30.0, 0.0, 0.0, 0.0]), (5, 1)), 1)
  assert float(moe.load_balancing_loss(r)) == pytest.approx(4.0, rel=1e-5)


def test_moe_layer_equals_weighted_sum_of_its_experts():
  f = hk.transform(lambda x: moe.MoeFeedForward(4, 2, 16, name="moe")(x))
  x = np.random.default_rng(1).normal(size=(2, 3, 8)).astype(np.float32)
  params = f.init(jax.random.PRNGKey(0), x)
  out, aux = f.apply(params, None, x)
  p = params["moe"]
  router_w = params["moe/router"]["w"]
  tokens = x.reshape(-1, 8)
  r = moe.route(tokens @ np.asarray(router_w), 2)
  want = np.zeros_like(tokens)
  for t in range(len(tokens)):
    for e in np.asarray(r.experts[t]):
      gu = np.einsum("d,dgf->gf", tokens[t], np.asarray(p["gating"][e]))
      hidden = np.asarray(jax.nn.gelu(gu[0])) * gu[1]
      want[t] += float(r.weights[t, e]) * hidden @ np.asarray(p["linear"][e])
  np.testing.assert_allclose(np.asarray(out).reshape(-1, 8), want, atol=1e-4)
  assert float(aux) == pytest.approx(float(moe.load_balancing_loss(r)), rel=1e-6)


@pytest.mark.parametrize("tokens,num_experts,k,factor,want", [
    (100, 8, 2, 1.25, 32),   # ceil(31.25)
    (81, 8, 2, 1.25, 26),    # ceil(25.3125)
    (9, 4, 2, 2.0, 9),       # E / k: one slot per token, nothing can drop
    (10, 4, 2, 100.0, 10),   # never more slots than tokens
    (6, 4, 1, 0.1, 1),
])
def test_capacity(tokens, num_experts, k, factor, want):
  assert moe.capacity(tokens, num_experts, k, factor) == want


def test_dispatch_fills_slots_in_token_order_and_drops_the_overflow():
  """k=1, E=2, C=2: expert 0 is chosen by tokens 0, 1, 3, 4 and keeps 0 and 1; expert 1 by 2 and 5."""
  plan = moe.dispatch(jnp.array([[0], [0], [1], [0], [0], [1]]), num_experts=2, capacity=2)
  np.testing.assert_array_equal(plan.slot_token, [[0, 1], [2, 5]])
  np.testing.assert_array_equal(plan.token_slot, [[0], [1], [2], [4], [4], [3]])  # 4 = E * C: dropped
  assert int(np.sum(np.asarray(plan.token_slot) == 4)) == 2


def test_dispatch_serves_first_choices_before_second_choices():
  """k=2, E=3, C=2. Expert 0 is the first choice of tokens 0, 1, 3 and the second of token 2: it keeps 0, 1.
  Expert 1: first of token 2, second of 0 and 3: keeps 2, 0. Expert 2: second of token 1."""
  plan = moe.dispatch(jnp.array([[0, 1], [0, 2], [1, 0], [0, 1]]), num_experts=3, capacity=2)
  np.testing.assert_array_equal(plan.slot_token, [[0, 1], [2, 0], [1, 4]])  # 4 = T: an empty slot
  np.testing.assert_array_equal(plan.token_slot, [[0, 3], [1, 4], [2, 6], [6, 6]])  # 6 = E * C: dropped
  assert int(np.sum(np.asarray(plan.token_slot) == 6)) == 3  # token 3 lost both experts, token 2 its second


def _layer(dispatch, factor, k=2, num_experts=4):
  return hk.transform(lambda x: moe.MoeFeedForward(num_experts, k, 16, dispatch=dispatch, capacity_factor=factor,
                                                   name="moe")(x))


@pytest.mark.parametrize("num_experts,k", [(4, 1), (4, 2), (8, 2), (3, 3)])
def test_sparse_equals_dense_when_capacity_drops_nothing(num_experts, k):
  x = np.random.default_rng(2).normal(size=(3, 9, 8)).astype(np.float32)
  dense = _layer(MoeDispatch.DENSE, 1.0, k, num_experts)
  sparse = _layer(MoeDispatch.SPARSE, num_experts / k, k, num_experts)  # C = L
  params = dense.init(jax.random.PRNGKey(0), x)
  assert jax.tree.structure(params) == jax.tree.structure(sparse.init(jax.random.PRNGKey(0), x))
  want, want_aux = dense.apply(params, None, x)
  got, got_aux = jax.jit(sparse.apply)(params, None, x)
  np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
  assert float(got_aux) == pytest.approx(float(want_aux), rel=1e-6)


def test_sparse_layer_gives_zero_to_exactly_the_dropped_tokens():
  """k=1, E=2, C=1 per position: the router sends feature 0 to expert 0 and feature 1 to expert 1.

  Position 0 has tokens (e0, e0, e1, e1): tokens 1 and 3 overflow. Position 1 (e1, e0, e0, e0): tokens 2, 3 do."""
  e0, e1 = np.eye(4, dtype=np.float32)[:2]
  x = np.stack([np.stack([e0, 0.5 * e0, e1, 2 * e1]), np.stack([e1, e0, 3 * e0, e0])])  # [2, 4, 4]
  layer = _layer(MoeDispatch.SPARSE, 0.5, k=1, num_experts=2)  # C = ceil(0.5 * 1 * 4 / 2) = 1
  params = layer.init(jax.random.PRNGKey(0), x)
  params["moe/router"] = {"w": jnp.array([[5.0, 0], [0, 5.0], [0, 0], [0, 0]]), "b": jnp.zeros(2)}
  out = np.asarray(layer.apply(params, None, x)[0])
  dense = np.asarray(_layer(MoeDispatch.DENSE, 1.0, k=1, num_experts=2).apply(params, None, x)[0])
  dropped = np.all(out == 0, axis=-1)
  np.testing.assert_array_equal(dropped, [[False, True, False, True], [False, False, True, True]])
  assert int(dropped.sum()) == 4
  np.testing.assert_allclose(out[~dropped], dense[~dropped], atol=1e-6)  # kept tokens get their expert in full
  assert np.all(np.abs(dense[dropped]).sum(-1) > 0)


def test_sparse_gradients_are_finite_and_reach_router_and_experts():
  x = np.random.default_rng(3).normal(size=(2, 9, 8)).astype(np.float32)
  layer = _layer(MoeDispatch.SPARSE, 1.0)  # C = ceil(1 * 2 * 9 / 4) = 5: some choices drop

  def loss(params):
    out, aux = layer.apply(params, None, x)
    return jnp.sum(out ** 2) + aux

  params = layer.init(jax.random.PRNGKey(0), x)
  grads = jax.jit(jax.grad(loss))(params)
  for leaf in jax.tree.leaves(grads):
    assert np.all(np.isfinite(leaf))
  assert np.abs(grads["moe/router"]["w"]).sum() > 0
  used = np.abs(np.asarray(grads["moe"]["gating"])).sum(axis=(1, 2, 3))
  assert np.all(used > 0)  # with this seed every expert gets some of the 18 tokens x 2 choices


def test_sparse_network_matches_dense_without_drops_and_positions_do_not_share_slots():
  """Same parameters, C = L: equal outputs. With C < L a position's output does not depend on its batch."""
  game = pyspiel.load_game("go(board_size=9)")
  obs, legal = (a.reshape(4, -1) for a in fakes.trajectory(game, steps=2, batch=2, seed=4))
  base = fakes.tiny(Backbone.MOE)  # 4 experts, top 2

  def net(dispatch, factor):
    return make_network(dataclasses.replace(base, moe=dataclasses.replace(
        base.moe, dispatch=dispatch, capacity_factor=factor)), game)

  dense = net(MoeDispatch.DENSE, 1.0)
  exact, tight = net(MoeDispatch.SPARSE, 2.0), net(MoeDispatch.SPARSE, 1.0)  # C = 81 and 41
  params = dense.init(jax.random.PRNGKey(0), obs, legal)
  want = dense.apply(params, obs, legal)
  got = jax.jit(exact.apply)(params, obs, legal)
  np.testing.assert_allclose(got.logits, want.logits, atol=1e-4, rtol=1e-4)
  np.testing.assert_allclose(got.value, want.value, atol=1e-5, rtol=1e-5)
  batch = tight.apply(params, obs, legal)
  alone = tight.apply(params, obs[2:3], legal[2:3])
  np.testing.assert_allclose(batch.logits[2:3], alone.logits, atol=1e-5, rtol=1e-5)
  assert np.all(np.isfinite(np.asarray(batch.logits)) == legal)
