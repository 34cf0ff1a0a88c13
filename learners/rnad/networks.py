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
import numpy as np

from learners.rnad import config as config_lib


@dataclasses.dataclass(frozen=True)
class Network:
  """A pure pair: `init(rng_key, obs) -> params` and `apply(params, obs) -> (logits, value)`.

  `features`, where set, are the indices of the observation entries the
  network reads; it then also takes observations already cut to them (so an
  actor may store only those in replay).
  """
  init: Callable[[chex.PRNGKey, chex.Array], chex.ArrayTree]
  apply: Callable[[chex.ArrayTree, chex.Array], tuple[chex.Array, chex.Array]]
  features: np.ndarray | None = dataclasses.field(default=None, compare=False)


def mlp(cfg: config_lib.NetworkConfig, num_actions: int, features=None) -> Network:
  """A ReLU MLP torso with a linear policy head (num_actions logits) and a linear value head.

  Args:
    cfg: the widths.
    num_actions: logits out.
    features: indices of the observation entries the MLP reads (None: all), e.g.
      `games.stratego.observation.informative_features` to skip constant ones.
  """
  features = None if features is None else np.asarray(features, np.int32)

  def forward(obs):
    if features is not None and obs.shape[-1] != len(features):
      obs = jnp.take(obs, features, axis=-1)
    torso = hk.nets.MLP(list(cfg.hidden), activate_final=True, name="torso")(obs)
    logits = hk.Linear(num_actions, name="policy")(torso)
    value = hk.Linear(1, name="value")(torso)
    return logits, value

  transformed = hk.without_apply_rng(hk.transform(forward))
  return Network(init=transformed.init, apply=transformed.apply, features=features)


def lm_backbone(cfg: config_lib.NetworkConfig, game) -> Network:
  """An LM-stack backbone from `agents.networks` (transformer, moe, griffin, resnet) as a `Network`.

  The backbone sees every action as legal (R-NaD masks illegal actions
  itself), observations with any leading dimensions are flattened into one
  batch, and a recurrent backbone (griffin) starts from a fresh state at each
  position. The MoE load-balancing loss is not added to R-NaD's loss.

  Args:
    cfg: the network config; `cfg.backbone` must not be MLP.
    game: the pyspiel game, for its observation shape and number of actions.
  """
  from agents import networks as lm
  from games import openspiel_io
  num_actions = game.num_distinct_actions()
  # R-NaD feeds the information-state tensor where a game has one (see openspiel_io.observe). A game's
  # action -> (from, to) table (Stratego's) indexes its squares, which its information-state tensor
  # shares with its observation tensor; with it the AUTO head is the factorised FROM_TO one.
  spec = lm.spec_from_game(game, observation_shape=openspiel_io.observation_shape(game))
  net = lm.make_network(lm.NetworkConfig.from_preset(cfg.backbone.value, cfg.preset), spec)

  def flat(obs):
    return obs.reshape((-1, obs.shape[-1])), obs.shape[:-1]

  def init(rng_key, obs):
    obs, _ = flat(obs)
    return net.init(rng_key, obs, jnp.ones((obs.shape[0], num_actions), bool))

  def apply(params, obs):
    obs, lead = flat(obs)
    out = net.apply(params, obs, jnp.ones((obs.shape[0], num_actions), bool))
    return out.logits.reshape(lead + (num_actions,)), out.value.reshape(lead + (1,))

  return Network(init=init, apply=apply)


def num_params(params: chex.ArrayTree) -> int:
  return int(sum(jnp.size(x) for x in jax.tree.leaves(params)))


def for_game(cfg: config_lib.NetworkConfig, game) -> Network:
  """The network `cfg` describes for a pyspiel `game`: what the launcher trains and `export.load` rebuilds.

  On Stratego the MLP reads only the observation entries that can vary
  (`games.stratego.observation.informative_features`).
  """
  if cfg.backbone is config_lib.Backbone.MLP:
    features = None
    config = getattr(game, "config", None)
    if game.get_type().short_name == "stratego" and config is not None:
      from games.stratego import observation
      features = observation.informative_features(config)
    return mlp(cfg, game.num_distinct_actions(), features)
  return lm_backbone(cfg, game)
