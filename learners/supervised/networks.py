"""The supervised learner's network: built through the one stack, `agents.networks`."""

from __future__ import annotations

import jax
import numpy as np

from agents import networks
from learners.supervised.config import SupervisedConfig


def make_network(cfg: SupervisedConfig, game) -> networks.Network:
  """The network `cfg.network` describes, for `game`'s observations and actions."""
  return networks.for_game(cfg.network, game)


def init(net: networks.Network, game, seed: int):
  """Fresh parameters for `net` on `game`."""
  obs = np.zeros((1, game.observation_tensor_size()), np.float32)
  legal = np.ones((1, game.num_distinct_actions()), bool)
  return net.init(jax.random.PRNGKey(seed), obs, legal)
