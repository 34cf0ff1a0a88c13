"""The policy-value network R-NaD trains, built through `agents.networks` (any backbone; an MLP by default).

R-NaD masks illegal actions itself, so it asks the network for unmasked
logits: every action counts as legal, observations may have any leading
dimensions ([B, T, O] in a batch), and a recurrent backbone (griffin) sees each
position without its history. The MoE load-balancing loss is not added to
R-NaD's loss.

  net = networks.make_network(cfg.network, game)
  params = networks.init(net, rng_key, example_obs)
  logits, v = networks.policy_value(net, params, obs)        # [..., A], [..., 1]
"""

from __future__ import annotations

import chex
import jax.numpy as jnp

from agents import networks as networks_lib
from agents.networks import Network, NetworkConfig


def make_network(cfg: NetworkConfig, game) -> Network:
  """The network `cfg` describes for a pyspiel `game`, reading what `games.openspiel_io.observe` returns."""
  return networks_lib.for_game(cfg, game)


def _flat(obs: chex.Array):
  return obs.reshape((-1, obs.shape[-1])), obs.shape[:-1]


def init(network: Network, rng_key: chex.PRNGKey, example_obs: chex.Array) -> chex.ArrayTree:
  """Fresh parameters from an observation batch [..., O]."""
  obs, _ = _flat(jnp.asarray(example_obs, jnp.float32))
  return network.init(rng_key, obs, jnp.ones((obs.shape[0], network.num_actions), bool))


def policy_value(network: Network, params: chex.ArrayTree, obs: chex.Array,
                 action_ids: chex.Array | None = None) -> tuple[chex.Array, chex.Array]:
  """Unmasked logits [..., A] (or [..., K] of `action_ids`, < 0 reading action 0) and values [..., 1]."""
  flat, lead = _flat(obs)
  if action_ids is None:
    out = network.apply(params, flat, jnp.ones((flat.shape[0], network.num_actions), bool))
    logits, value = out.logits, out.value
  else:
    logits, value = network.action_logits(params, flat, action_ids.reshape((-1, action_ids.shape[-1])))
  return logits.reshape(lead + logits.shape[-1:]), value.reshape(lead + (1,))
