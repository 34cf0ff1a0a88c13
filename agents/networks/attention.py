"""Multi-head, grouped-query and multi-query attention with RoPE, sliding windows and soft-capping.

`attend` is the pure math; `Attention` is the Haiku layer that projects,
rotates, caches keys for step-by-step use, and calls it (or, where the
config's `implementation` asks, `jax.nn.dot_product_attention`: cuDNN's fused
kernel on a GPU). A key/value cache holds the last `window` keys with their
token indices, so a local-attention layer's state has a fixed size however
long the history.
"""

from __future__ import annotations

from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp

from agents.networks import layers
from agents.networks.config import AttentionConfig, AttentionImpl

_MASKED = -2.3819763e38  # Large negative logit for masked keys (finite, so softmax stays NaN-free).


class KVCache(NamedTuple):
  """The last `size` keys and values of one attention layer; pos -1 marks an empty slot."""
  k: jax.Array    # [B, S, K, H]
  v: jax.Array    # [B, S, K, H]
  pos: jax.Array  # [B, S] int32 token indices


def empty_cache(batch: int, size: int, num_kv_heads: int, head_dim: int, dtype) -> KVCache:
  return KVCache(k=jnp.zeros((batch, size, num_kv_heads, head_dim), dtype),
                 v=jnp.zeros((batch, size, num_kv_heads, head_dim), dtype),
                 pos=jnp.full((batch, size), -1, jnp.int32))


def attention_mask(q_pos: jax.Array, k_pos: jax.Array, window: int | None, causal: bool) -> jax.Array:
  """Which keys each query sees.

  Args:
    q_pos: [B, L] token indices of the queries.
    k_pos: [B, S] token indices of the keys; negative marks an empty slot.
    window: None for global attention; else keys with |q - k| < window
      (0 <= q - k < window when causal).
    causal: only keys at or before the query.

  Returns:
    [B, L, S] boolean mask.
  """
  q, k = jnp.asarray(q_pos)[:, :, None], jnp.asarray(k_pos)[:, None, :]
  mask = (k >= 0) & (q >= 0)
  if causal:
    mask = mask & (k <= q)
  if window is not None:
    mask = mask & (jnp.abs(q - k) < window)
  return mask


def attend(q: jax.Array, k: jax.Array, v: jax.Array, mask: jax.Array | None,
           logit_cap: float = 0.0) -> jax.Array:
  """Scaled dot-product attention with grouped key/value heads.

  Args:
    q: [B, L, N, H] queries.
    k, v: [B, S, K, H] keys and values, N a multiple of K (K = N: multi-head; K = 1: multi-query).
    mask: [B, L, S] True where a query may see a key; None: every key.
    logit_cap: soft-cap of the logits (0: none).

  Returns:
    [B, L, N, H] attended values.
  """
  b, l, n, h = q.shape
  kv_heads = k.shape[2]
  q = q.reshape(b, l, kv_heads, n // kv_heads, h) * (h ** -0.5)
  logits = jnp.einsum("BLKGH,BSKH->BKGLS", q, k).astype(jnp.float32)
  logits = layers.soft_cap(logits, logit_cap)
  if mask is not None:
    logits = jnp.where(mask[:, None, None], logits, _MASKED)
  probs = jax.nn.softmax(logits, axis=-1).astype(v.dtype)
  out = jnp.einsum("BKGLS,BSKH->BLKGH", probs, v)
  return out.reshape(b, l, n, h)


def attend_fused(q: jax.Array, k: jax.Array, v: jax.Array, mask: jax.Array | None,
                 implementation: AttentionImpl) -> jax.Array:
  """`attend` without soft-cap, through `jax.nn.dot_product_attention` (cuDNN's kernel or XLA's).

  cuDNN trains only where both lengths are even (jax 0.11.2 on an H100 refused
  81 tokens in a global layer too, with no mask), so an odd length gets one
  padding token, and a mask if it had none: no real query sees the padded key,
  and the padded query's output is dropped. Shapes and meaning as in `attend`.
  """
  length = q.shape[1]
  pad_q, pad_k = length % 2, k.shape[1] % 2
  if pad_q or pad_k:
    if mask is None:
      mask = jnp.ones((q.shape[0], length, k.shape[1]), bool)
    q = jnp.pad(q, ((0, 0), (0, pad_q), (0, 0), (0, 0)))
    k, v = (jnp.pad(x, ((0, 0), (0, pad_k), (0, 0), (0, 0))) for x in (k, v))
    mask = jnp.pad(mask, ((0, 0), (0, 0), (0, pad_k)), constant_values=False)
    mask = jnp.pad(mask, ((0, 0), (0, pad_q), (0, 0)), constant_values=True)
  out = jax.nn.dot_product_attention(q, k, v, mask=None if mask is None else mask[:, None],
                                     implementation=implementation.value)
  return out[:, :length]


class Attention(hk.Module):
  """Self-attention over tokens, optionally with a key/value cache carried between calls.

  Args to the constructor:
    config: heads, key/value heads, head width, soft-cap, rope base.
    window: span of a local layer, None for global.
    causal: queries see only earlier keys (Griffin); boards use False.
  """

  def __init__(self, config: AttentionConfig, window: int | None, causal: bool,
               name: str | None = None):
    super().__init__(name=name)
    self.config = config
    self.window = window
    self.causal = causal

  def __call__(self, x: jax.Array, positions: jax.Array, token_pos: jax.Array,
               cache: KVCache | None = None) -> tuple[jax.Array, KVCache | None]:
    """Attends.

    Args:
      x: [B, L, D] tokens.
      positions: [B, L, P] rotary positions (e.g. row, column).
      token_pos: [B, L] token indices for masks (order in the sequence).
      cache: keys/values of earlier tokens, or None (tokens attend to each other only).

    Returns:
      ([B, L, D] output, the cache updated with these tokens' keys, or None).
    """
    c = self.config
    q = layers.Dense((c.num_heads, c.head_dim), name="q")(x)
    k = layers.Dense((c.num_kv_heads, c.head_dim), name="k")(x)
    v = layers.Dense((c.num_kv_heads, c.head_dim), name="v")(x)
    q = layers.apply_rope(q, positions, c.rope_base)
    k = layers.apply_rope(k, positions, c.rope_base)
    k_pos = token_pos
    new_cache = None
    if cache is not None:
      k = jnp.concatenate([cache.k.astype(k.dtype), k], axis=1)
      v = jnp.concatenate([cache.v.astype(v.dtype), v], axis=1)
      k_pos = jnp.concatenate([cache.pos, token_pos.astype(jnp.int32)], axis=1)
      size = cache.pos.shape[1]
      new_cache = KVCache(k=k[:, -size:].astype(cache.k.dtype), v=v[:, -size:].astype(cache.v.dtype),
                          pos=k_pos[:, -size:])
    # Token indices are never negative without a cache, so a global bidirectional layer sees every key.
    full = cache is None and self.window is None and not self.causal
    mask = None if full else attention_mask(token_pos, k_pos, self.window, self.causal)
    if c.implementation is AttentionImpl.EINSUM:
      out = attend(q, k, v, mask, c.logit_cap)
    else:
      out = attend_fused(q, k, v, mask, c.implementation)
    return layers.Dense(x.shape[-1], in_ndim=2, name="o")(out), new_cache
