"""Routed feed-forward: each token goes to the top-k of E GeGLU experts, with a load-balancing loss.

Routing is pure (`route`, `load_balancing_loss`); `MoeFeedForward` is the
Haiku layer. Experts are computed densely and combined with the routing
weights (zero for experts a token was not sent to): exact, no token dropping,
at E/k times the FLOPs of a capacity-based dispatch. The FLOP counter counts
the k active experts (model FLOPs).
"""

from __future__ import annotations

from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp

from agents.networks import layers


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


class MoeFeedForward(hk.Module):
  """Top-k routed GeGLU experts; returns the output and the load-balancing loss."""

  def __init__(self, num_experts: int, top_k: int, ffw_dim: int, name: str | None = None):
    super().__init__(name=name)
    self.num_experts = num_experts
    self.top_k = top_k
    self.ffw_dim = ffw_dim

  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    shape, width = x.shape, x.shape[-1]
    tokens = x.reshape(-1, width)
    routing = route(layers.Dense(self.num_experts, name="router")(tokens), self.top_k)
    init = hk.initializers.TruncatedNormal(1.0 / width ** 0.5)
    w_in = hk.get_parameter("gating", (self.num_experts, width, 2, self.ffw_dim), jnp.float32, init=init)
    w_out = hk.get_parameter("linear", (self.num_experts, self.ffw_dim, width), jnp.float32,
                             init=hk.initializers.TruncatedNormal(1.0 / self.ffw_dim ** 0.5))
    gate_up = jnp.einsum("TD,EDGF->TEGF", tokens, w_in.astype(x.dtype))
    hidden = jax.nn.gelu(gate_up[:, :, 0]) * gate_up[:, :, 1]
    hidden = hidden * routing.weights.astype(x.dtype)[..., None]
    out = jnp.einsum("TEF,EFD->TD", hidden, w_out.astype(x.dtype))
    return out.reshape(shape), load_balancing_loss(routing)
