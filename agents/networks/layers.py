"""Small shared layers: dense einsum, RMSNorm, layer norm, rotary embeddings, soft-cap, GeGLU.

Dimension letters in einsums: B batch, L query tokens, S key tokens, D model
width, F feed-forward width, N query heads, K key/value heads, H head width,
P position axes.
"""

from __future__ import annotations

import math
from typing import Sequence

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np


def soft_cap(x: jax.Array, cap: float) -> jax.Array:
  """`cap * tanh(x / cap)`: smooth, inside (-cap, cap); cap 0 returns x unchanged."""
  if not cap:
    return x
  return cap * jnp.tanh(x / cap)


class Dense(hk.Module):
  """A linear map whose weight has any shape `in_shape + out_shape`, cast to the input's dtype."""

  def __init__(self, out_shape: int | Sequence[int], in_ndim: int = 1, bias: bool = False,
               name: str | None = None):
    super().__init__(name=name)
    self.out_shape = (out_shape,) if isinstance(out_shape, int) else tuple(out_shape)
    self.in_ndim = in_ndim
    self.bias = bias

  def __call__(self, x: jax.Array) -> jax.Array:
    in_shape = x.shape[-self.in_ndim:]
    fan_in = int(np.prod(in_shape))
    w = hk.get_parameter("w", in_shape + self.out_shape, jnp.float32,
                         init=hk.initializers.TruncatedNormal(1.0 / math.sqrt(fan_in)))
    # One 2-D matmul (rows x fan_in) @ (fan_in x fan_out): its backward is two plain GEMMs,
    # which XLA runs far faster than an einsum contracting over several batch axes.
    lead = x.shape[:-self.in_ndim]
    y = jnp.dot(x.reshape(-1, fan_in), w.astype(x.dtype).reshape(fan_in, -1))
    y = y.reshape(lead + self.out_shape)
    if self.bias:
      b = hk.get_parameter("b", self.out_shape, jnp.float32, init=jnp.zeros)
      y = y + b.astype(x.dtype)
    return y


class RMSNorm(hk.Module):
  """Gemma's RMSNorm: x / rms(x) * (1 + scale), computed in float32, scale starting at 0."""

  def __init__(self, eps: float = 1e-6, name: str | None = None):
    super().__init__(name=name)
    self.eps = eps

  def __call__(self, x: jax.Array) -> jax.Array:
    scale = hk.get_parameter("scale", x.shape[-1:], jnp.float32, init=jnp.zeros)
    x32 = x.astype(jnp.float32)
    y = x32 * jax.lax.rsqrt(jnp.mean(jnp.square(x32), axis=-1, keepdims=True) + self.eps)
    return (y * (1.0 + scale)).astype(x.dtype)


class LayerNorm(hk.Module):
  """Layer norm over the last axis with scale and offset (the ResNet's stateless batch-norm stand-in)."""

  def __init__(self, eps: float = 1e-5, name: str | None = None):
    super().__init__(name=name)
    self.eps = eps

  def __call__(self, x: jax.Array) -> jax.Array:
    scale = hk.get_parameter("scale", x.shape[-1:], jnp.float32, init=jnp.ones)
    offset = hk.get_parameter("offset", x.shape[-1:], jnp.float32, init=jnp.zeros)
    x32 = x.astype(jnp.float32)
    mean = jnp.mean(x32, axis=-1, keepdims=True)
    var = jnp.var(x32, axis=-1, keepdims=True)
    return ((x32 - mean) * jax.lax.rsqrt(var + self.eps) * scale + offset).astype(x.dtype)


def rotary_split(num_pairs: int, num_axes: int) -> list[int]:
  """How many rotary pairs each position axis gets (earlier axes get the remainder)."""
  return [num_pairs // num_axes + (i < num_pairs % num_axes) for i in range(num_axes)]


def apply_rope(x: jax.Array, positions: jax.Array, base: float) -> jax.Array:
  """Rotary embedding with several position axes (axial RoPE).

  Args:
    x: [B, L, N, H] queries or keys, H even.
    positions: [B, L, P] integer positions, one per axis (e.g. row and column).
    base: base period.

  Returns:
    x rotated: pair i of the H/2 pairs (first half with second half, as Gemma)
    turns by positions[axis(i)] / base**(2j / (2 n_axis)), j its index in the axis.
  """
  half = x.shape[-1] // 2
  angles = []
  for axis, n in enumerate(rotary_split(half, positions.shape[-1])):
    if n == 0:
      continue
    timescale = base ** (np.arange(n, dtype=np.float32) / n)
    angles.append(positions[..., axis, None].astype(jnp.float32) / timescale)
  angle = jnp.concatenate(angles, axis=-1)[..., None, :]  # [B, L, 1, H/2]
  sin, cos = jnp.sin(angle), jnp.cos(angle)
  x1, x2 = jnp.split(x.astype(jnp.float32), 2, axis=-1)
  out = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
  return out.astype(x.dtype)


class GeGLU(hk.Module):
  """Gated feed-forward: (gelu(x W_gate) * x W_up) W_down, no biases (Gemma)."""

  def __init__(self, ffw_dim: int, name: str | None = None):
    super().__init__(name=name)
    self.ffw_dim = ffw_dim

  def __call__(self, x: jax.Array) -> jax.Array:
    gate_up = Dense((2, self.ffw_dim), name="gating")(x)  # [..., 2, F]
    hidden = jax.nn.gelu(gate_up[..., 0, :]) * gate_up[..., 1, :]
    return Dense(x.shape[-1], name="linear")(hidden)
