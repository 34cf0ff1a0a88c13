"""Routing: exactly k experts per token with weights summing to 1; the load-balancing loss."""

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.networks import layers, moe


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
