"""Attention math: sliding window vs a hand-built band mask, GQA vs MHA, soft-cap, RoPE, fused kernels."""

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.networks import attention, layers
from agents.networks.config import AttentionConfig, AttentionImpl


def _reference(q, k, v, mask, cap=0.0):
  """Per-head numpy attention: softmax(cap*tanh(q.k/sqrt(h)/cap) masked) v, kv head n // (N/K)."""
  b, l, n, h = q.shape
  group = n // k.shape[2]
  out = np.zeros_like(q)
  for bi in range(b):
    for ni in range(n):
      s = q[bi, :, ni] @ k[bi, :, ni // group].T / np.sqrt(h)
      if cap:
        s = cap * np.tanh(s / cap)
      s = np.where(mask[bi], s, -np.inf)
      p = np.exp(s - s.max(-1, keepdims=True))
      p /= p.sum(-1, keepdims=True)
      out[bi, :, ni] = p @ v[bi, :, ni // group]
  return out


def _qkv(b=2, l=7, n=4, kv=4, h=8, seed=0):
  r = np.random.default_rng(seed)
  return (r.normal(size=(b, l, n, h)).astype(np.float32), r.normal(size=(b, l, kv, h)).astype(np.float32),
          r.normal(size=(b, l, kv, h)).astype(np.float32))


@pytest.mark.parametrize("window,causal", [(1, False), (2, False), (3, True), (5, True)])
def test_sliding_window_equals_full_attention_with_hand_built_band(window, causal):
  q, k, v = _qkv(l=7)
  pos = np.tile(np.arange(7), (2, 1))
  band = np.zeros((7, 7), bool)
  for i in range(7):
    for j in range(7):
      band[i, j] = abs(i - j) < window and (j <= i or not causal)
  band = np.broadcast_to(band, (2, 7, 7))
  windowed = attention.attend(q, k, v, attention.attention_mask(pos, pos, window, causal))
  full_with_band = attention.attend(q, k, v, jnp.asarray(band))
  np.testing.assert_allclose(windowed, full_with_band, atol=1e-6)
  np.testing.assert_allclose(windowed, _reference(q, k, v, band), atol=1e-5)
  if window == 1 and not causal:  # Each token sees only itself: the output is its own value.
    np.testing.assert_allclose(windowed, v, atol=1e-6)


def test_window_wider_than_sequence_is_global():
  q, k, v = _qkv(l=5)
  pos = np.tile(np.arange(5), (2, 1))
  np.testing.assert_allclose(attention.attend(q, k, v, attention.attention_mask(pos, pos, 5, False)),
                             attention.attend(q, k, v, attention.attention_mask(pos, pos, None, False)),
                             atol=1e-6)


def test_grouped_query_with_kv_heads_equal_heads_is_multi_head():
  q, k, v = _qkv(n=4, kv=4)
  mask = np.ones((2, 7, 7), bool)
  np.testing.assert_allclose(attention.attend(q, k, v, mask), _reference(q, k, v, mask), atol=1e-5)


@pytest.mark.parametrize("kv", [1, 2])
def test_grouped_query_equals_multi_head_with_repeated_kv_heads(kv):
  q, k, v = _qkv(n=4, kv=kv)
  mask = np.ones((2, 7, 7), bool)
  rep = lambda x: np.repeat(x, 4 // kv, axis=2)
  np.testing.assert_allclose(attention.attend(q, k, v, mask), attention.attend(q, rep(k), rep(v), mask),
                             atol=1e-6)
  np.testing.assert_allclose(attention.attend(q, k, v, mask), _reference(q, k, v, mask), atol=1e-5)


def test_attention_logit_soft_cap_matches_reference():
  q, k, v = _qkv(n=2, kv=1)
  q = q * 10  # big logits so the cap bites
  mask = np.ones((2, 7, 7), bool)
  np.testing.assert_allclose(attention.attend(q, k, v, mask, logit_cap=2.0),
                             _reference(q, k, v, mask, cap=2.0), atol=1e-5)


@pytest.mark.parametrize("cap", [1.0, 30.0, 50.0])
def test_soft_cap_is_cap_tanh_and_stays_inside(cap):
  x = np.array([-1e6, -100.0, -3.0, -0.5, 0.0, 0.25, 7.0, 1e4], np.float32)
  y = np.asarray(layers.soft_cap(jnp.asarray(x), cap))
  np.testing.assert_allclose(y, cap * np.tanh(x / cap), rtol=1e-6)
  assert np.all(np.abs(y) <= cap) and np.all(np.abs(y[np.abs(x) < cap]) < cap)
  assert y[4] == 0.0 and abs(y[5] - 0.25) < 0.25 ** 3 / cap ** 2  # ~identity near 0


def test_soft_cap_zero_is_identity():
  x = jnp.array([-5.0, 1e3])
  np.testing.assert_array_equal(layers.soft_cap(x, 0.0), x)


def test_rope_scores_depend_only_on_relative_position():
  r = np.random.default_rng(1)
  q = r.normal(size=(1, 1, 1, 8)).astype(np.float32)
  k = r.normal(size=(1, 1, 1, 8)).astype(np.float32)
  def score(pq, pk):
    rq = layers.apply_rope(q, jnp.array([[pq]]), 10_000.0)
    rk = layers.apply_rope(k, jnp.array([[pk]]), 10_000.0)
    return float(jnp.sum(rq * rk))
  # Two axes (row, column): shifting both positions by the same offset keeps the score.
  assert score((1, 2), (3, 5)) == pytest.approx(score((4, 0), (6, 3)), abs=1e-5)
  assert score((0, 0), (0, 0)) == pytest.approx(float(np.sum(q * k)), abs=1e-5)
  assert score((1, 2), (3, 5)) != pytest.approx(score((1, 2), (3, 6)), abs=1e-3)
  assert layers.rotary_split(4, 3) == [2, 1, 1]


def test_cached_chunks_equal_one_call():
  """A causal local layer fed in chunks with its key/value cache equals one call over the whole sequence."""
  cfg = AttentionConfig(num_heads=4, num_kv_heads=2, head_dim=8, window=3)
  f = hk.without_apply_rng(hk.transform(
      lambda x, p, t, c: attention.Attention(cfg, window=3, causal=True, name="a")(x, p, t, c)))
  x = np.random.default_rng(2).normal(size=(2, 6, 16)).astype(np.float32)
  pos = np.tile(np.arange(6), (2, 1))
  positions = pos[..., None]
  cache = attention.empty_cache(2, 3, 2, 8, jnp.float32)
  params = f.init(jax.random.PRNGKey(0), x, positions, pos, cache)
  whole, _ = f.apply(params, x, positions, pos, cache)
  parts = []
  for lo, hi in [(0, 1), (1, 4), (4, 6)]:
    y, cache = f.apply(params, x[:, lo:hi], positions[:, lo:hi], pos[:, lo:hi], cache)
    parts.append(y)
  np.testing.assert_allclose(np.concatenate(parts, axis=1), whole, atol=1e-5)
  np.testing.assert_array_equal(cache.pos, np.tile([3, 4, 5], (2, 1)))


def test_no_mask_equals_all_true_mask():
  q, k, v = _qkv(n=4, kv=2)
  mask = np.ones((2, 7, 7), bool)
  np.testing.assert_allclose(attention.attend(q, k, v, None), attention.attend(q, k, v, mask), atol=1e-6)
  np.testing.assert_allclose(attention.attend(q, k, v, None), _reference(q, k, v, mask), atol=1e-5)


@pytest.mark.parametrize("length", [6, 7])
@pytest.mark.parametrize("window,causal,cached", [(None, False, False), (3, False, False), (3, True, True)])
def test_dot_product_attention_kernel_equals_einsums(window, causal, cached, length):
  """`implementation=xla` runs jax.nn.dot_product_attention, the call that `cudnn` makes on a GPU:
  with the same parameters it gives the einsum layer's output (global, windowed, and cached causal;
  7 tokens take the padding that cuDNN needs for odd lengths)."""
  def layer(impl):
    cfg = AttentionConfig(num_heads=4, num_kv_heads=2, head_dim=8, window=3, logit_cap=0.0,
                          implementation=impl)
    return hk.without_apply_rng(hk.transform(
        lambda x, p, t, c: attention.Attention(cfg, window=window, causal=causal, name="a")(x, p, t, c)))
  x = np.random.default_rng(3).normal(size=(2, length, 16)).astype(np.float32)
  pos = np.tile(np.arange(length), (2, 1))
  cache = attention.empty_cache(2, 3, 2, 8, jnp.float32) if cached else None
  einsum, fused = layer(AttentionImpl.EINSUM), layer(AttentionImpl.XLA)
  params = einsum.init(jax.random.PRNGKey(0), x, pos[..., None], pos, cache)
  want, want_cache = einsum.apply(params, x, pos[..., None], pos, cache)
  got, got_cache = fused.apply(params, x, pos[..., None], pos, cache)
  np.testing.assert_allclose(got, want, atol=1e-5)
  if cached:
    np.testing.assert_array_equal(got_cache.pos, want_cache.pos)


@pytest.mark.parametrize("impl", [AttentionImpl.CUDNN, AttentionImpl.XLA])
def test_fused_kernels_refuse_a_soft_cap(impl):
  with pytest.raises(ValueError, match="logit_cap=0"):
    AttentionConfig(logit_cap=50.0, implementation=impl)
  assert AttentionConfig(logit_cap=0.0, implementation=impl).implementation is impl


def test_odd_lengths_pad_one_token_that_nobody_sees():
  """7 queries and 9 keys become 8 and 10: real queries see the same keys as before."""
  q, k, v = _qkv(l=7, n=4, kv=2)
  k9, v9 = (np.concatenate([x, x[:, :2]], axis=1) for x in (k, v))
  mask = np.random.default_rng(4).random((2, 7, 9)) < 0.6
  mask[:, :, 0] = True
  got = attention.attend_fused(q, k9, v9, jnp.asarray(mask), AttentionImpl.XLA)
  assert got.shape == q.shape
  np.testing.assert_allclose(got, _reference(q, k9, v9, mask), atol=1e-5)


def test_odd_lengths_are_padded_without_a_mask_too(monkeypatch):
  """A global layer (no mask) of 7 tokens reaches the kernel as 8, with the 8th key hidden."""
  seen, kernel = [], jax.nn.dot_product_attention
  monkeypatch.setattr(jax.nn, "dot_product_attention",
                      lambda q, k, v, **kw: seen.append((q.shape[1], k.shape[1])) or kernel(q, k, v, **kw))
  q, k, v = _qkv(l=7, n=4, kv=2)
  got = attention.attend_fused(q, k, v, None, AttentionImpl.XLA)
  np.testing.assert_allclose(got, _reference(q, k, v, np.ones((2, 7, 7), bool)), atol=1e-5)
  assert seen == [(8, 8)]
