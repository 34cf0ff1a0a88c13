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

  `apply_actions`, where set, is `apply_actions(params, obs, action_ids) ->
  (logits [..., K], value)`: the logits of the K actions `action_ids` names
  (any entry < 0 reads action 0), equal to `apply`'s logits gathered at them.
  The learner uses it on slotted trajectories (see `learning.Trajectories`),
  where it may skip work that only the other actions need.

  `num_actions`, where set, is the game's number of actions (the size of
  `apply`'s logits), which NeuRD's reference centring needs on slotted
  trajectories.
  """
  init: Callable[[chex.PRNGKey, chex.Array], chex.ArrayTree]
  apply: Callable[[chex.ArrayTree, chex.Array], tuple[chex.Array, chex.Array]]
  features: np.ndarray | None = dataclasses.field(default=None, compare=False)
  apply_actions: Callable[[chex.ArrayTree, chex.Array, chex.Array], tuple[chex.Array, chex.Array]] | None = (
      dataclasses.field(default=None, compare=False))
  num_actions: int | None = None

  def slot_logits(self, params: chex.ArrayTree, obs: chex.Array,
                  action_ids: chex.Array) -> tuple[chex.Array, chex.Array]:
    """(logits [..., K], value) of the actions `action_ids` (< 0 reads action 0).

    `apply_actions` where the network has one, else `apply` then a gather.
    """
    action_ids = jnp.asarray(action_ids, jnp.int32)
    if self.apply_actions is not None:
      return self.apply_actions(params, obs, action_ids)
    logits, v = self.apply(params, obs)
    return jnp.take_along_axis(logits, jnp.maximum(action_ids, 0), axis=-1), v


def mlp(cfg: config_lib.NetworkConfig, num_actions: int, features=None, squares=None, from_to=None) -> Network:
  """A ReLU MLP torso with a linear policy head (num_actions logits) and a linear value head.

  With `cfg.from_to_dim` > 0 (which needs `squares` and `from_to`) every move's
  logit also gets a pairwise term: the dot product of a query read off the
  square it leaves and a key read off the square it reaches, each a linear map
  of that square's own inputs plus a learned embedding of the square plus a
  map of the torso's output. One set of weights scores "this piece onto that
  square" on every square, which a linear head over the torso has to learn
  square by square. `Network.apply_actions` computes that term only for the
  actions asked for, not for all S x S square pairs.

  Args:
    cfg: the widths (`hidden`, `from_to_dim`).
    num_actions: logits out.
    features: indices of the observation entries the MLP reads (None: all), e.g.
      `games.stratego.observation.informative_features` to skip constant ones.
    squares: int [S, C]: the indices, in what the MLP reads, of square s's C inputs.
    from_to: int [num_actions, 2]: each action's (from, to) square, (-1, -1) for an action that is no move.
  """
  features = None if features is None else np.asarray(features, np.int32)
  pairwise = cfg.from_to_dim > 0
  if pairwise:
    if squares is None or from_to is None:
      raise ValueError("from_to_dim > 0 needs a game with squares and an action -> (from, to) table (Stratego)")
    squares, from_to = np.asarray(squares, np.int32), np.asarray(from_to, np.int32)
    moves = np.flatnonzero(from_to[:, 0] >= 0)
    num_squares = squares.shape[0]
    pair_index = from_to[moves, 0] * num_squares + from_to[moves, 1]  # into the flat [S * S] pair scores
    if np.array_equal(moves, np.arange(moves[0], moves[-1] + 1)):
      moves = slice(int(moves[0]), int(moves[-1]) + 1)  # Stratego's: a slice, not a scatter

  def forward(obs, action_ids=None):
    if features is not None and obs.shape[-1] != len(features):
      obs = jnp.take(obs, features, axis=-1)
    torso = hk.nets.MLP(list(cfg.hidden), activate_final=True, name="torso")(obs)
    logits = hk.Linear(num_actions, name="policy")(torso)
    value = hk.Linear(1, name="value")(torso)
    if action_ids is not None:
      ids = jnp.maximum(action_ids, 0)
      logits = jnp.take_along_axis(logits, ids, axis=-1)
      if pairwise:  # only the K actions' pairs, not all S x S of them
        q, k = _square_embeddings(cfg.from_to_dim, obs[..., squares], torso)
        frm, to = jnp.asarray(from_to)[ids, 0], jnp.asarray(from_to)[ids, 1]
        q_from = jnp.take_along_axis(q, jnp.maximum(frm, 0)[..., None], axis=-2)
        k_to = jnp.take_along_axis(k, jnp.maximum(to, 0)[..., None], axis=-2)
        logits += jnp.where(frm >= 0, jnp.sum(q_from * k_to, -1) / np.sqrt(cfg.from_to_dim), 0.0)
    elif pairwise:
      q, k = _square_embeddings(cfg.from_to_dim, obs[..., squares], torso)
      scores = jnp.einsum("...fd,...td->...ft", q, k) / np.sqrt(cfg.from_to_dim)
      logits = logits.at[..., moves].add(scores.reshape(obs.shape[:-1] + (-1,))[..., pair_index])
    return logits, value

  transformed = hk.without_apply_rng(hk.transform(forward))
  return Network(init=transformed.init, apply=transformed.apply, features=features,
                 apply_actions=transformed.apply, num_actions=num_actions)


def _square_embeddings(dim: int, square_inputs, torso):
  """Query and key [..., S, dim] of every square, from [..., S, C] square inputs and the [..., H] torso.

  A move's pair score is q(from) . k(to) / sqrt(dim).
  """
  num_squares = square_inputs.shape[-2]
  init = hk.initializers.TruncatedNormal(0.02)

  def embed(name):
    position = hk.get_parameter(f"{name}_square", (num_squares, dim), init=init)
    context = hk.Linear(dim, with_bias=False, name=f"{name}_context")(torso)[..., None, :]
    return hk.Linear(dim, name=name)(square_inputs) + position + context

  with hk.name_scope("from_to"):
    return embed("query"), embed("key")


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

  return Network(init=init, apply=apply, num_actions=num_actions)


def num_params(params: chex.ArrayTree) -> int:
  return int(sum(jnp.size(x) for x in jax.tree.leaves(params)))


def for_game(cfg: config_lib.NetworkConfig, game) -> Network:
  """The network `cfg` describes for a pyspiel `game`: what the launcher trains and `export.load` rebuilds.

  On Stratego the MLP reads only the observation entries that can vary
  (`games.stratego.observation.informative_features`), and its from-to term
  (`cfg.from_to_dim`) reads each square's planes among them.
  """
  if cfg.backbone is config_lib.Backbone.MLP:
    features = squares = from_to = None
    config = getattr(game, "config", None)
    if game.get_type().short_name == "stratego" and config is not None:
      from games.stratego import observation
      features = observation.informative_features(config)
      squares = observation.square_features(config, features)
      from_to = observation.action_from_to()
    return mlp(cfg, game.num_distinct_actions(), features, squares, from_to)
  return lm_backbone(cfg, game)
