"""Griffin / RecurrentGemma: RG-LRU recurrent blocks mixed with local attention, with carried state.

A residual block is RMSNorm -> temporal mixer -> residual, then RMSNorm ->
GeGLU -> residual. The temporal mixer is either the recurrent block
(gelu(W_y x) * RG-LRU(conv1d(W_x x)), projected back) or causal local
multi-query attention; blocks follow the pattern (default two recurrent to one
attention). Each layer's state has a fixed size (RG-LRU hidden state, the last
conv_width - 1 conv inputs, the last `window` keys), so a history of any
length is carried in constant memory. Feeding a sequence in one call or in
pieces with the state carried gives the same result.
"""

from __future__ import annotations

from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from agents.networks import attention as attention_lib
from agents.networks import layers
from agents.networks.config import BlockKind, NetworkConfig

_MIN_RAD, _MAX_RAD = 0.9, 0.999  # Range of the recurrence's decay `a` at initialisation.


class RecurrentState(NamedTuple):
  """State of one recurrent block."""
  conv: jax.Array  # [B, conv_width - 1, W] the last inputs of the temporal conv.
  h: jax.Array     # [B, W] float32 RG-LRU hidden state.


def linear_scan(a: jax.Array, b: jax.Array, h0: jax.Array, parallel: bool = False) -> jax.Array:
  """h_t = a_t * h_{t-1} + b_t over axis 1, from h0.

  Args:
    a, b: [B, L, W].
    h0: [B, W] state before the first step.
    parallel: an associative (log-depth) scan instead of a sequential
      `lax.scan`; on CPU its backward pass is about 100x slower, so it is off
      by default (RecurrentGemma also defaults to the sequential scan off TPU).

  Returns:
    [B, L, W] every h_t.
  """
  if not parallel:
    def step(h, ab):
      h = ab[0] * h + ab[1]
      return h, h
    _, h = jax.lax.scan(step, h0, (jnp.swapaxes(a, 0, 1), jnp.swapaxes(b, 0, 1)))
    return jnp.swapaxes(h, 0, 1)
  b = b.at[:, 0].add(a[:, 0] * h0)

  def combine(left, right):
    a_l, b_l = left
    a_r, b_r = right
    return a_l * a_r, a_r * b_l + b_r

  _, h = jax.lax.associative_scan(combine, (a, b), axis=1)
  return h


def _rnn_param_init(shape, dtype):
  """a_param such that a = exp(-8 * 0.5 * softplus(a_param)) is in [0.9, 0.999] (a^2 uniform)."""
  unif = jax.random.uniform(hk.next_rng_key(), shape, dtype, _MIN_RAD ** 2, _MAX_RAD ** 2)
  a_real = 0.5 * jnp.log(unif)
  return jnp.log(jnp.expm1(-a_real))  # softplus^-1(-a_real)


class BlockDiagonal(hk.Module):
  """A block-diagonal linear map with bias: `num_blocks` independent square blocks."""

  def __init__(self, num_blocks: int, name: str | None = None):
    super().__init__(name=name)
    self.num_blocks = num_blocks

  def __call__(self, x: jax.Array) -> jax.Array:
    width = x.shape[-1]
    bw = width // self.num_blocks
    w = hk.get_parameter("w", (self.num_blocks, bw, bw), jnp.float32,
                         init=hk.initializers.TruncatedNormal(1.0 / np.sqrt(bw)))
    b = hk.get_parameter("b", (self.num_blocks, bw), jnp.float32, init=jnp.zeros)
    xh = x.reshape(x.shape[:-1] + (self.num_blocks, bw))
    y = jnp.einsum("...hi,hij->...hj", xh, w.astype(x.dtype)) + b.astype(x.dtype)
    return y.reshape(x.shape)


class RGLRU(hk.Module):
  """Real-gated linear recurrent unit (Griffin eq. 1-4), computed in float32."""

  def __init__(self, num_heads: int, parallel_scan: bool = False, name: str | None = None):
    super().__init__(name=name)
    self.num_heads = num_heads
    self.parallel_scan = parallel_scan

  def __call__(self, x: jax.Array, h0: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Args: x [B, L, W], h0 [B, W]. Returns ([B, L, W] outputs, [B, W] last state)."""
    gate_x = jax.nn.sigmoid(BlockDiagonal(self.num_heads, name="input_gate")(x).astype(jnp.float32))
    gate_a = jax.nn.sigmoid(BlockDiagonal(self.num_heads, name="a_gate")(x).astype(jnp.float32))
    a_param = hk.get_parameter("a_param", x.shape[-1:], jnp.float32, init=_rnn_param_init)
    log_a = -8.0 * gate_a * jax.nn.softplus(a_param)
    a = jnp.exp(log_a)
    multiplier = jnp.sqrt(1.0 - jnp.exp(2.0 * log_a))
    h = linear_scan(a, gate_x * x.astype(jnp.float32) * multiplier, h0.astype(jnp.float32),
                    self.parallel_scan)
    return h.astype(x.dtype), h[:, -1]


class Conv1D(hk.Module):
  """Causal depthwise temporal convolution of `taps` taps, with the last inputs as state."""

  def __init__(self, taps: int, name: str | None = None):
    super().__init__(name=name)
    self.taps = taps

  def __call__(self, x: jax.Array, cache: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Args: x [B, L, W], cache [B, taps - 1, W]. Returns ([B, L, W], new cache)."""
    width, length = x.shape[-1], x.shape[1]
    w = hk.get_parameter("w", (self.taps, width), jnp.float32,
                         init=hk.initializers.TruncatedNormal(1.0 / np.sqrt(self.taps)))
    b = hk.get_parameter("b", (width,), jnp.float32, init=jnp.zeros)
    xe = jnp.concatenate([cache.astype(x.dtype), x], axis=1)
    y = sum(xe[:, j:j + length] * w[j].astype(x.dtype) for j in range(self.taps))
    return y + b.astype(x.dtype), xe[:, xe.shape[1] - (self.taps - 1):].astype(cache.dtype)


class RecurrentBlock(hk.Module):
  """Griffin's temporal mixer: linear_out(gelu(linear_y x) * RG-LRU(conv(linear_x x)))."""

  def __init__(self, config: NetworkConfig, name: str | None = None):
    super().__init__(name=name)
    self.config = config

  def __call__(self, x: jax.Array, state: RecurrentState) -> tuple[jax.Array, RecurrentState]:
    c = self.config
    y = jax.nn.gelu(layers.Dense(c.lru_width, bias=True, name="linear_y")(x))
    z = layers.Dense(c.lru_width, bias=True, name="linear_x")(x)
    z, conv = Conv1D(c.griffin.conv_width, name="conv1d")(z, state.conv)
    z, h = RGLRU(c.griffin.num_lru_heads, c.griffin.parallel_scan, name="rg_lru")(z, state.h)
    out = layers.Dense(x.shape[-1], bias=True, name="linear_out")(z * y)
    return out, RecurrentState(conv=conv, h=h)


def initial_state(config: NetworkConfig, batch: int) -> tuple:
  """Zero state for every layer: RecurrentState or an empty KVCache of `window` slots."""
  dtype = jnp.dtype(config.dtype.value)
  state = []
  for i in range(config.depth):
    if config.block_kind(i) is BlockKind.RECURRENT:
      state.append(RecurrentState(
          conv=jnp.zeros((batch, config.griffin.conv_width - 1, config.lru_width), dtype),
          h=jnp.zeros((batch, config.lru_width), jnp.float32)))
    else:
      a = config.attention
      state.append(attention_lib.empty_cache(batch, a.window, a.num_kv_heads, a.head_dim, dtype))
  return tuple(state)


class Griffin(hk.Module):
  """The Griffin stack over a causal token sequence, carrying each layer's state."""

  def __init__(self, config: NetworkConfig, name: str | None = "griffin"):
    super().__init__(name=name)
    self.config = config

  def __call__(self, x: jax.Array, positions: jax.Array, token_pos: jax.Array,
               state: tuple) -> tuple[jax.Array, tuple]:
    """Runs the blocks.

    Args:
      x: [B, L, D] tokens, in time order.
      positions: [B, L, P] rotary positions.
      token_pos: [B, L] token indices in the history (for the causal window).
      state: from `initial_state` or a previous call.

    Returns:
      ([B, L, D] features, the new state).
    """
    c = self.config
    new_state = []
    for i in range(c.depth):
      with hk.name_scope(f"block_{i}"):
        h = layers.RMSNorm(name="temporal_pre_norm")(x)
        if c.block_kind(i) is BlockKind.RECURRENT:
          h, s = RecurrentBlock(c, name="recurrent")(h, state[i])
        else:
          h, s = attention_lib.Attention(c.attention, window=c.attention.window, causal=True,
                                         name="attn")(h, positions, token_pos, state[i])
        x = x + h
        x = x + layers.GeGLU(c.ffw_dim, name="mlp")(layers.RMSNorm(name="ffw_pre_norm")(x))
      new_state.append(s)
    return x, tuple(new_state)
