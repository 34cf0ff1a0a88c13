"""Routed feed-forward: each token goes to the top-k of E GeGLU experts, with a load-balancing loss.

Routing and dispatch are pure (`route`, `load_balancing_loss`, `capacity`,
`dispatch`); `MoeFeedForward` is the Haiku layer. Two ways to run the experts
(`MoeDispatch`), with the same parameters:

  DENSE   every expert on every token, combined with the routing weights (zero
          for experts a token was not sent to): exact, no token dropping, at
          E/k times the FLOPs of the active experts.
  SPARSE  per position (the L tokens of one observation, so a position's output
          does not depend on the rest of the batch), each expert gets C =
          `capacity(L, E, k, capacity_factor)` slots; tokens are gathered into
          their experts' slots, first choices before second ones and earlier
          tokens first (GShard's priority), the experts run on [E, C] slots
          and the outputs are gathered back. A choice past its expert's C
          slots is dropped: that expert adds nothing to that token (the
          residual carries it). FLOPs: E * C tokens, about capacity_factor * k
          per token instead of E.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp

from agents.networks import layers
from agents.networks.config import MoeDispatch


class Routing(NamedTuple):
  """Where tokens go."""
  weights: jax.Array   # [T, E] combine weights: k nonzero per token, summing to 1.
  experts: jax.Array   # [T, k] chosen experts, best first.
  probs: jax.Array     # [T, E] softmax of the router logits over all experts.


def route(logits: jax.Array, top_k: int) -> Routing:
  """Top-k routing (Mixtral): the k largest logits, weights a softmax over those k.

  Args:
    logits: [T, E] router logits for T tokens.
    top_k: experts per token.
  """
  logits = logits.astype(jnp.float32)
  top_logits, experts = jax.lax.top_k(logits, top_k)
  top_weights = jax.nn.softmax(top_logits, axis=-1)
  one_hot = jax.nn.one_hot(experts, logits.shape[-1], dtype=jnp.float32)  # [T, k, E]
  weights = jnp.einsum("TK,TKE->TE", top_weights, one_hot)
  return Routing(weights=weights, experts=experts, probs=jax.nn.softmax(logits, axis=-1))


def load_balancing_loss(routing: Routing) -> jax.Array:
  """Switch Transformer's auxiliary loss, E * sum_e f_e * P_e.

  f_e is the fraction of the T*k assignments that went to expert e, P_e the
  mean router probability of e. It is exactly 1 when the router is uniform;
  when f follows P (f = P, or tokens sharing one router distribution) it is
  >= 1 with equality only at uniform routing, and it reaches E / k when every
  token sends all its probability to the same k experts. (For a handful of
  tokens with disagreeing routers it can dip a little below 1.)
  """
  num_experts = routing.probs.shape[-1]
  assigned = jax.nn.one_hot(routing.experts, num_experts, dtype=jnp.float32).sum(axis=1)  # [T, E]
  fraction = jnp.mean(assigned, axis=0) / routing.experts.shape[-1]
  mean_prob = jnp.mean(routing.probs, axis=0)
  return num_experts * jnp.sum(fraction * mean_prob)


def capacity(num_tokens: int, num_experts: int, top_k: int, capacity_factor: float) -> int:
  """Slots per expert, C = ceil(capacity_factor * k * T / E), at most T (a token picks an expert once)."""
  return max(1, min(num_tokens, math.ceil(capacity_factor * top_k * num_tokens / num_experts - 1e-9)))


class Dispatch(NamedTuple):
  """Which token fills each expert slot, and which slot each choice went to."""
  slot_token: jax.Array  # [E, C] int32 token in each slot; T (no token) where a slot is empty.
  token_slot: jax.Array  # [T, k] int32 flat slot e * C + c of each choice; E * C where it was dropped.


def dispatch(experts: jax.Array, num_experts: int, capacity: int) -> Dispatch:
  """Capacity-limited slots for T tokens' top-k choices (one position; vmap over positions).

  Choices claim slots in priority order: every token's first choice (tokens
  in order), then every second choice, and so on; an expert's first
  `capacity` claims get its slots 0..C-1, the rest are dropped.

  Args:
    experts: [T, k] int chosen experts, best first (`Routing.experts`).
    num_experts: E.
    capacity: C, slots per expert.
  """
  num_tokens, top_k = experts.shape
  claims = experts.T.reshape(-1)  # [k*T] choice-major: the priority order.
  one_hot = jax.nn.one_hot(claims, num_experts, dtype=jnp.int32)  # [k*T, E]
  position = jnp.sum((jnp.cumsum(one_hot, axis=0) - 1) * one_hot, axis=-1)  # earlier claims on that expert
  empty = num_experts * capacity
  slot = jnp.where(position < capacity, claims * capacity + position, empty).astype(jnp.int32)
  token = jnp.tile(jnp.arange(num_tokens, dtype=jnp.int32), top_k)
  slot_token = jnp.full((empty,), num_tokens, jnp.int32).at[slot].set(token, mode="drop")
  return Dispatch(slot_token=slot_token.reshape(num_experts, capacity), token_slot=slot.reshape(top_k, num_tokens).T)


class MoeFeedForward(hk.Module):
  """Top-k routed GeGLU experts; returns the output and the load-balancing loss."""

  def __init__(self, num_experts: int, top_k: int, ffw_dim: int, dispatch: MoeDispatch = MoeDispatch.DENSE,
               capacity_factor: float = 1.25, name: str | None = None):
    super().__init__(name=name)
    self.num_experts = num_experts
    self.top_k = top_k
    self.ffw_dim = ffw_dim
    self.dispatch = dispatch
    self.capacity_factor = capacity_factor

  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Args: x [..., L, D], the L tokens of each position (SPARSE's capacity is per position)."""
    shape, width = x.shape, x.shape[-1]
    tokens = x.reshape(-1, width)
    routing = route(layers.Dense(self.num_experts, name="router")(tokens), self.top_k)
    init = hk.initializers.TruncatedNormal(1.0 / width ** 0.5)
    w_in = hk.get_parameter("gating", (self.num_experts, width, 2, self.ffw_dim), jnp.float32,
                            init=init).astype(x.dtype)
    w_out = hk.get_parameter("linear", (self.num_experts, self.ffw_dim, width), jnp.float32,
                             init=hk.initializers.TruncatedNormal(1.0 / self.ffw_dim ** 0.5)).astype(x.dtype)
    if self.dispatch is MoeDispatch.DENSE:
      gate_up = jnp.einsum("TD,EDGF->TEGF", tokens, w_in)
      hidden = jax.nn.gelu(gate_up[:, :, 0]) * gate_up[:, :, 1]
      hidden = hidden * routing.weights.astype(x.dtype)[..., None]
      out = jnp.einsum("TEF,EFD->TD", hidden, w_out)
    else:
      out = self._sparse(tokens.reshape(-1, shape[-2], width), routing, w_in, w_out)
    return out.reshape(shape), load_balancing_loss(routing)

  def _sparse(self, x: jax.Array, routing: Routing, w_in: jax.Array, w_out: jax.Array) -> jax.Array:
    """x [B, L, D] -> [B * L, D] through capacity-limited slots, per position b."""
    b, length, width = x.shape
    c = capacity(length, self.num_experts, self.top_k, self.capacity_factor)
    experts = routing.experts.reshape(b, length, self.top_k)
    plan = jax.vmap(functools.partial(dispatch, num_experts=self.num_experts, capacity=c))(experts)
    take = jax.vmap(lambda rows, index: rows[index])  # per position: rows [N, D], index [...] -> [..., D]
    zero = jnp.zeros((b, 1, width), x.dtype)
    slots = take(jnp.concatenate([x, zero], axis=1), plan.slot_token)  # [B, E, C, D]; empty slots are 0
    gate_up = jnp.einsum("BECD,EDGF->BECGF", slots, w_in)
    hidden = jax.nn.gelu(gate_up[..., 0, :]) * gate_up[..., 1, :]
    expert_out = jnp.einsum("BECF,EFD->BECD", hidden, w_out).reshape(b, -1, width)
    chosen = take(jnp.concatenate([expert_out, zero], axis=1), plan.token_slot)  # [B, L, k, D]; dropped are 0
    weights = jnp.take_along_axis(routing.weights, routing.experts, axis=-1).reshape(b, length, self.top_k)
    return jnp.einsum("BLK,BLKD->BLD", weights.astype(x.dtype), chosen).reshape(-1, width)
