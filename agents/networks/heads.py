"""Policy heads (flat, per-square, factorised from/to) with illegal actions masked, and a value head.

Whatever the head, the policy is logits over the game's OpenSpiel actions:
legal actions get finite logits (soft-capped), illegal ones -inf, so
`jax.nn.softmax` gives them probability 0. Use `masked_log_softmax` for log
probabilities that stay finite (0 on illegal actions) in losses.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from agents.networks import layers
from agents.networks.config import HeadConfig, PolicyHead
from agents.networks.encoders import GameSpec


def resolve_policy_head(config: HeadConfig, spec: GameSpec, num_tokens: int, causal: bool = False) -> PolicyHead:
  """The concrete head for AUTO, after checking a requested head fits the game.

  Args:
    config: the head config.
    spec: the game.
    num_tokens: tokens per position.
    causal: the backbone reads a move's tokens in order (Griffin), so square
      i's token has not seen the squares after it; AUTO then picks FLAT, which
      reads the pool of all tokens. Otherwise AUTO picks FROM_TO where the
      game has an action -> (from, to) table (Stratego), SQUARES where its
      first actions are its squares (Go), FLAT for the rest.
  """
  kind = config.policy
  squares_fit = spec.is_board and spec.num_actions >= num_tokens
  if kind is PolicyHead.AUTO:
    if causal:
      return PolicyHead.FLAT
    if spec.action_from_to is not None:
      return PolicyHead.FROM_TO
    return PolicyHead.SQUARES if squares_fit else PolicyHead.FLAT
  if kind is PolicyHead.SQUARES and not squares_fit:
    raise ValueError(f"a SQUARES head needs a board game (planes x height x width) with an action per square; "
                     f"{spec.name} has observation {list(spec.observation_shape)} and {spec.num_actions} actions")
  if kind is PolicyHead.FROM_TO and spec.action_from_to is None:
    raise ValueError(f"a FROM_TO head needs the game's action -> (from, to) table; {spec.name} has none")
  return kind


def extra_actions(kind: PolicyHead, spec: GameSpec, num_tokens: int) -> np.ndarray:
  """Actions whose logit a linear layer reads off the pooled features (all of them for FLAT)."""
  if kind is PolicyHead.FLAT:
    return np.arange(spec.num_actions)
  if kind is PolicyHead.SQUARES:
    return np.arange(num_tokens, spec.num_actions)
  table = np.asarray(spec.action_from_to).reshape(-1, 2)
  return np.flatnonzero(table[:, 0] < 0)


def mask_logits(logits: jax.Array, legal: jax.Array) -> jax.Array:
  """-inf on illegal actions."""
  return jnp.where(legal.astype(bool), logits, -jnp.inf)


def legal_policy(logits: jax.Array, legal: jax.Array) -> jax.Array:
  """Softmax over the legal actions only; illegal actions get probability 0 (any logits there, -inf too)."""
  legal = legal.astype(bool)
  l_min = jnp.min(jnp.where(legal, logits, jnp.inf), axis=-1, keepdims=True)
  logits = jnp.where(legal, logits, l_min)
  logits = logits - jnp.max(logits, axis=-1, keepdims=True)
  exp = jnp.where(legal, jnp.exp(logits), 0.0)
  return exp / jnp.sum(exp, axis=-1, keepdims=True)


def masked_log_softmax(logits: jax.Array, legal: jax.Array) -> jax.Array:
  """log pi over legal actions, 0 (not -inf) on illegal ones, so pi * log pi has no NaN."""
  legal = legal.astype(bool)
  safe = jnp.where(legal, logits, jnp.finfo(jnp.float32).min)
  return jnp.where(legal, jax.nn.log_softmax(safe, axis=-1), 0.0)


def from_to_scores(query: jax.Array, key: jax.Array, src, dst) -> jax.Array:
  """The from-to term of move logits: query(from square) . key(to square) / sqrt(d).

  The one pairwise score every FROM_TO head uses (the token backbones' and the MLP's).

  Args:
    query, key: [..., S, d] per-square queries and keys.
    src, dst: int [M], the same M moves' squares for every position (all pairs
      are scored with one einsum, then gathered), or int [..., M], moves that
      differ per position (only those M pairs are scored).

  Returns:
    [..., M] float32 scores.
  """
  scale = 1.0 / np.sqrt(query.shape[-1])
  if np.ndim(src) == 1:
    pair = jnp.einsum("...fd,...td->...ft", query, key).astype(jnp.float32) * scale
    return pair[..., src, dst]
  q_from = jnp.take_along_axis(query, src[..., None], axis=-2)
  k_to = jnp.take_along_axis(key, dst[..., None], axis=-2)
  return jnp.sum(q_from * k_to, axis=-1).astype(jnp.float32) * scale


class PolicyHeadModule(hk.Module):
  """Features -> [B, A] masked logits."""

  def __init__(self, config: HeadConfig, spec: GameSpec, kind: PolicyHead, name: str | None = "policy"):
    super().__init__(name=name)
    self.config = config
    self.spec = spec
    self.kind = kind

  def __call__(self, tokens: jax.Array, pooled: jax.Array, legal: jax.Array) -> jax.Array:
    """Args: tokens [B, L, D], pooled [B, D], legal [B, A] (bool or 0/1)."""
    b, length, _ = tokens.shape
    num_actions = self.spec.num_actions
    extra = extra_actions(self.kind, self.spec, length)
    logits = jnp.zeros((b, num_actions), jnp.float32)
    if len(extra):
      extra_logits = layers.Dense(len(extra), bias=True, name="pooled_logits")(pooled)
      logits = logits.at[:, extra].set(extra_logits.astype(jnp.float32))
    if self.kind is PolicyHead.SQUARES:
      square = layers.Dense(1, bias=True, name="square_logits")(tokens)[..., 0]  # [B, L]
      logits = logits.at[:, :length].set(square.astype(jnp.float32))
    elif self.kind is PolicyHead.FROM_TO:
      table = np.asarray(self.spec.action_from_to).reshape(-1, 2)
      moves = np.flatnonzero(table[:, 0] >= 0)
      src, dst = table[moves, 0], table[moves, 1]
      from_logit = layers.Dense(1, bias=True, name="from_logits")(tokens)[..., 0]  # [B, L]
      q = layers.Dense(self.config.from_to_dim, name="from_query")(tokens)
      k = layers.Dense(self.config.from_to_dim, name="to_key")(tokens)
      move_logits = from_logit.astype(jnp.float32)[:, src] + from_to_scores(q, k, src, dst)
      logits = logits.at[:, moves].set(move_logits)
    logits = layers.soft_cap(logits, self.config.final_logit_cap)
    return mask_logits(logits, legal)


class ValueHead(hk.Module):
  """Pooled features -> scalar value through one gelu hidden layer."""

  def __init__(self, hidden: int, name: str | None = "value"):
    super().__init__(name=name)
    self.hidden = hidden

  def __call__(self, pooled: jax.Array) -> jax.Array:
    h = jax.nn.gelu(layers.Dense(self.hidden, bias=True, name="hidden")(pooled))
    return layers.Dense(1, bias=True, name="out")(h)[..., 0].astype(jnp.float32)
