"""Gemma / Gemma 2 decoder blocks over a board's tokens (and the MoE variant).

A block is RMSNorm -> attention -> (RMSNorm) -> residual, then RMSNorm ->
GeGLU or routed experts -> (RMSNorm) -> residual; the bracketed post-norms are
Gemma 2's. Layers cycle through the attention pattern (local sliding window,
global). Board tokens are not a sequence in time, so attention is
bidirectional; a local layer sees tokens with |i - j| < window.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp

from agents.networks import attention as attention_lib
from agents.networks import layers
from agents.networks import moe as moe_lib
from agents.networks.config import AttentionKind, NetworkConfig


class TransformerBlock(hk.Module):
  """One Gemma 2 block; returns (tokens, load-balancing loss or 0)."""

  def __init__(self, config: NetworkConfig, layer: int, name: str | None = None):
    super().__init__(name=name)
    self.config = config
    self.layer = layer

  def __call__(self, x: jax.Array, positions: jax.Array, token_pos: jax.Array) -> tuple[jax.Array, jax.Array]:
    c = self.config
    local = c.attention_kind(self.layer) is AttentionKind.LOCAL
    h, _ = attention_lib.Attention(c.attention, window=c.attention.window if local else None,
                                   causal=False, name="attn")(
        layers.RMSNorm(name="pre_attn_norm")(x), positions, token_pos)
    if c.post_norm:
      h = layers.RMSNorm(name="post_attn_norm")(h)
    x = x + h
    aux = jnp.zeros((), jnp.float32)
    y = layers.RMSNorm(name="pre_ffw_norm")(x)
    if c.is_moe_layer(self.layer):
      y, aux = moe_lib.MoeFeedForward(c.moe.num_experts, c.moe.top_k, c.expert_ffw_dim, dispatch=c.moe.dispatch,
                                      capacity_factor=c.moe.capacity_factor, name="moe")(y)
    else:
      y = layers.GeGLU(c.ffw_dim, name="mlp")(y)
    if c.post_norm:
      y = layers.RMSNorm(name="post_ffw_norm")(y)
    return x + y, aux


class Transformer(hk.Module):
  """A stack of `depth` blocks; returns (tokens, load-balancing loss averaged over routed layers)."""

  def __init__(self, config: NetworkConfig, name: str | None = "transformer"):
    super().__init__(name=name)
    self.config = config

  def __call__(self, x: jax.Array, positions: jax.Array, token_pos: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Args: x [B, L, D] tokens, positions [B, L, P] rotary positions, token_pos [B, L] indices."""
    aux = jnp.zeros((), jnp.float32)
    for i in range(self.config.depth):
      x, layer_aux = TransformerBlock(self.config, i, name=f"block_{i}")(x, positions, token_pos)
      aux = aux + layer_aux
    routed = sum(self.config.is_moe_layer(i) for i in range(self.config.depth))
    return x, aux / max(routed, 1)
