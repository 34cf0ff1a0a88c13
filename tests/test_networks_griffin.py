"""Griffin: the RG-LRU and the whole backbone give the same numbers in one call as stepped with carried state."""

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pyspiel
import pytest

from agents.networks import NetworkConfig, make_network
from agents.networks import griffin
from agents.networks.config import Backbone, GriffinConfig, BlockKind

import networks_fakes as fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)


@pytest.mark.parametrize("parallel", [False, True])
def test_linear_scan_matches_hand_recurrence(parallel):
  a = np.array([[[0.5], [0.25], [2.0]]], np.float32)
  b = np.array([[[1.0], [2.0], [3.0]]], np.float32)
  h = griffin.linear_scan(jnp.asarray(a), jnp.asarray(b), jnp.array([[4.0]]), parallel)
  # h1 = .5*4 + 1 = 3; h2 = .25*3 + 2 = 2.75; h3 = 2*2.75 + 3 = 8.5
  np.testing.assert_allclose(h[0, :, 0], [3.0, 2.75, 8.5])


@pytest.mark.parametrize("parallel", [False, True])
def test_rg_lru_sequence_equals_steps_with_carried_state(parallel):
  def f(x, h0):
    lru = griffin.RGLRU(num_heads=2, parallel_scan=parallel, name="lru")
    whole, h_last = lru(x, h0)
    h, steps = h0, []
    for t in range(x.shape[1]):
      y, h = lru(x[:, t:t + 1], h)
      steps.append(y)
    return whole, h_last, jnp.concatenate(steps, axis=1), h
  f = hk.transform(f)
  x = np.random.default_rng(0).normal(size=(3, 11, 8)).astype(np.float32)
  h0 = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)
  params = f.init(jax.random.PRNGKey(0), x, h0)
  whole, h_last, stepped, h = f.apply(params, None, x, h0)
  np.testing.assert_allclose(whole, stepped, atol=1e-5)
  np.testing.assert_allclose(h_last, h, atol=1e-5)
  # decay a = exp(-8 * gate * softplus(a_param)); at gate 1 it is a^8 of a in [0.9, 0.999]
  a_at_gate_one = np.exp(-8 * jax.nn.softplus(params["lru"]["a_param"]))
  assert np.all(a_at_gate_one >= 0.9 ** 8 - 1e-5) and np.all(a_at_gate_one <= 0.999 ** 8 + 1e-5)


def test_conv1d_matches_hand_convolution_and_cache():
  f = hk.without_apply_rng(hk.transform(lambda x, c: griffin.Conv1D(3, name="conv")(x, c)))
  x = np.arange(1, 6, dtype=np.float32).reshape(1, 5, 1)
  cache = np.array([[[10.0], [20.0]]], np.float32)
  params = f.init(jax.random.PRNGKey(0), x, cache)
  params = {"conv": {"w": jnp.array([[1.0], [10.0], [100.0]]), "b": jnp.array([0.5])}}
  y, new_cache = f.apply(params, x, cache)
  # y_t = 1*x_{t-2} + 10*x_{t-1} + 100*x_t + .5 over [10, 20, 1, 2, 3, 4, 5]
  np.testing.assert_allclose(y[0, :, 0], [10 + 200 + 100.5, 20 + 10 + 200.5, 1 + 20 + 300.5,
                                          2 + 30 + 400.5, 3 + 40 + 500.5])
  np.testing.assert_allclose(new_cache[0, :, 0], [4.0, 5.0])


@pytest.mark.parametrize("chunks", [[1] * 10, [4, 6], [3, 3, 4]])
def test_griffin_backbone_one_call_equals_chunks_with_carried_state(chunks):
  cfg = fakes.tiny(Backbone.GRIFFIN, depth=3, window=4)  # window < sequence: the cache must slide
  f = hk.without_apply_rng(hk.transform(
      lambda x, p, t, s: griffin.Griffin(cfg)(x, p, t, s)))
  r = np.random.default_rng(3)
  x = r.normal(size=(2, 10, cfg.width)).astype(np.float32)
  token_pos = np.tile(np.arange(10, dtype=np.int32), (2, 1))
  positions = np.stack([token_pos // 5, token_pos % 5, token_pos * 0], -1)
  state = griffin.initial_state(cfg, 2)
  params = hk.transform(lambda x, p, t, s: griffin.Griffin(cfg)(x, p, t, s)).init(
      jax.random.PRNGKey(0), x, positions, token_pos, state)
  apply = jax.jit(f.apply)
  whole, whole_state = apply(params, x, positions, token_pos, state)
  outs, lo = [], 0
  for n in chunks:
    y, state = apply(params, x[:, lo:lo + n], positions[:, lo:lo + n], token_pos[:, lo:lo + n], state)
    outs.append(y)
    lo += n
  np.testing.assert_allclose(np.concatenate(outs, axis=1), whole, atol=1e-4)
  for a, b in zip(jax.tree.leaves(state), jax.tree.leaves(whole_state)):
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_network_unroll_equals_stepping_and_reset_restarts():
  game = pyspiel.load_game("tic_tac_toe")
  cfg = fakes.tiny(Backbone.GRIFFIN)
  net = make_network(cfg, game)
  obs, legal = fakes.trajectory(game, steps=5, batch=2)  # [T, B, ...]
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs[0], legal[0])
  resets = np.zeros((5, 2), bool)
  resets[3, 1] = True  # batch row 1 starts a new game at t=3
  outs, final = jax.jit(net.unroll)(params, net.initial_state(2), obs, legal, resets)
  state, step = net.initial_state(2), jax.jit(net.step)
  for t in range(5):
    out, state = step(params, state, obs[t], legal[t], resets[t])
    np.testing.assert_allclose(out.logits, outs.logits[t], atol=1e-4)
    np.testing.assert_allclose(out.value, outs.value[t], atol=1e-4)
  np.testing.assert_array_equal(final.moves, [5, 2])
  np.testing.assert_array_equal(final.tokens, [45, 18])
  # After a reset the network has forgotten the earlier moves: same as a fresh start on t=3.
  fresh, _ = jax.jit(net.unroll)(params, net.initial_state(2), obs[3:], legal[3:], None)
  np.testing.assert_allclose(outs.logits[3:, 1], fresh.logits[:, 1], atol=1e-4)
  # ... while row 0 remembers: the history changes its output.
  assert not np.allclose(outs.value[3:, 0], fresh.value[:, 0], atol=1e-4)
