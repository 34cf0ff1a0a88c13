"""The supervised losses, pure functions of network outputs and targets."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def policy_loss(logits: jax.Array, move: jax.Array) -> jax.Array:
  """[B] cross-entropy of the move played under the policy (`logits` [B, A], -inf on illegal actions)."""
  logp = jax.nn.log_softmax(logits, axis=-1)
  return -jnp.take_along_axis(logp, move[:, None], axis=-1)[:, 0]


def value_loss(value: jax.Array, outcome: jax.Array) -> jax.Array:
  """[B] squared error of the value against the game's outcome for the side to move (+1, -1, 0)."""
  return jnp.square(value - outcome)


def top_k_hits(logits: jax.Array, move: jax.Array, k: int) -> jax.Array:
  """[B] 1.0 where the move played is among the policy's k most likely moves."""
  _, top = jax.lax.top_k(logits, k)
  return jnp.any(top == move[:, None], axis=-1).astype(jnp.float32)
