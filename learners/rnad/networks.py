"""The policy-value network R-NaD trains: any `init`/`apply` pair; an MLP by default.

A network maps observations [..., O] to (logits [..., A], value [..., 1]). Legal
masking is the learner's job, so a backbone needs no notion of legality. To use
another backbone (e.g. from `agents`), wrap it as a `Network`:

  net = Network(init=lambda key, obs: ..., apply=lambda params, obs: (logits, value))
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import chex
import haiku as hk
import jax
import jax.numpy as jnp

from learners.rnad import config as config_lib


@dataclasses.dataclass(frozen=True)
class Network:
  """A pure pair: `init(rng_key, obs) -> params` and `apply(params, obs) -> (logits, value)`."""
  init: Callable[[chex.PRNGKey, chex.Array], chex.ArrayTree]
  apply: Callable[[chex.ArrayTree, chex.Array], tuple[chex.Array, chex.Array]]


def mlp(cfg: config_lib.NetworkConfig, num_actions: int) -> Network:
  """A ReLU MLP torso with a linear policy head (num_actions logits) and a linear value head."""

  def forward(obs):
    torso = hk.nets.MLP(list(cfg.hidden), activate_final=True, name="torso")(obs)
    logits = hk.Linear(num_actions, name="policy")(torso)
    value = hk.Linear(1, name="value")(torso)
    return logits, value

  transformed = hk.without_apply_rng(hk.transform(forward))
  return Network(init=transformed.init, apply=transformed.apply)


def num_params(params: chex.ArrayTree) -> int:
  return int(sum(jnp.size(x) for x in jax.tree.leaves(params)))
