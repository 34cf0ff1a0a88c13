"""One way to build any backbone as pure functions: `make_network(config, game) -> Network`.

  net = make_network(NetworkConfig.from_preset("griffin", "small"), pyspiel.load_game("go"))
  params = net.init(rng_key, observation, legal)                 # [B, ...], [B, A]
  out = net.apply(params, observation, legal)                    # one position, no history
  state = net.initial_state(batch_size)
  out, state = net.step(params, state, observation, legal, reset) # acting, one move at a time
  outs, state = net.unroll(params, state, obs_seq, legal_seq, reset_seq)  # training, [T, B, ...]

Learners and actors hold a `Network` and never ask which backbone it is. For
the MLP, transformer, MoE and ResNet the state is empty and `step` is `apply`; a
Griffin network carries its blocks' state across moves (a move's squares are
fed as consecutive tokens), and `unroll` gives exactly what stepping gives.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from agents.networks import encoders, griffin, heads, layers, mlp, resnet, transformer
from agents.networks.config import Backbone, NetworkConfig, PolicyHead


class NetworkOutput(NamedTuple):
  """What a network returns for a batch of positions."""
  logits: jax.Array    # [B, A] float32 policy logits, -inf on illegal actions.
  value: jax.Array     # [B] float32 value estimate.
  aux_loss: jax.Array  # [] load-balancing loss (MoE), 0 otherwise; weight it by config.moe.load_balance_weight.


class GriffinState(NamedTuple):
  """A Griffin network's carried history."""
  layers: tuple        # per block: griffin.RecurrentState or attention.KVCache.
  moves: jax.Array     # [B] int32 moves seen (the time axis of the rotary positions).
  tokens: jax.Array    # [B] int32 tokens seen (for the causal attention window).


@dataclasses.dataclass(frozen=True)
class Network:
  """Pure functions of one network; see the module docstring for the call sequence.

  `features`, where set, are the indices of the observation entries the
  network reads (the MLP's on Stratego); it then also takes observations
  already cut to them, so an actor may store only those in replay.

  `apply_actions`, where set, is `apply_actions(params, obs, action_ids) ->
  (logits [..., K], value [..., 1])`: the unmasked logits of the K actions
  `action_ids` names (an entry < 0 reads action 0), computing only what they
  need. `action_logits` uses it, or `apply` and a gather where it is None.
  """
  config: NetworkConfig
  spec: encoders.GameSpec
  init: Callable[..., Any]
  apply: Callable[..., NetworkOutput]
  initial_state: Callable[[int], Any]
  step: Callable[..., tuple[NetworkOutput, Any]]
  unroll: Callable[..., tuple[NetworkOutput, Any]]
  features: np.ndarray | None = dataclasses.field(default=None, compare=False)
  apply_actions: Callable[..., tuple[jax.Array, jax.Array]] | None = dataclasses.field(default=None, compare=False)

  @property
  def is_recurrent(self) -> bool:
    return self.config.backbone is Backbone.GRIFFIN

  @property
  def num_actions(self) -> int:
    return self.spec.num_actions

  def action_logits(self, params, observation, action_ids) -> tuple[jax.Array, jax.Array]:
    """(logits [B, K], value [B]) of the K actions `action_ids` [B, K] names, unmasked (< 0 reads action 0).

    For a recurrent backbone this is one position without history, as `apply`.
    """
    action_ids = jnp.asarray(action_ids, jnp.int32)
    if self.apply_actions is not None:
      logits, value = self.apply_actions(params, observation, action_ids)
      return logits, value[..., 0]
    out = self.apply(params, observation, jnp.ones(observation.shape[:1] + (self.num_actions,), bool))
    return jnp.take_along_axis(out.logits, jnp.maximum(action_ids, 0), axis=-1), out.value


def _initial_state(config: NetworkConfig, batch: int):
  if config.backbone is not Backbone.GRIFFIN:
    return ()
  zeros = jnp.zeros((batch,), jnp.int32)
  return GriffinState(layers=griffin.initial_state(config, batch), moves=zeros, tokens=zeros)


def _forward(config: NetworkConfig, spec: encoders.GameSpec, observation, legal, state):
  dtype = jnp.dtype(config.dtype.value)
  tokens = encoders.Encoder(spec, config.encoder, config.width)(observation, dtype)
  b, length = tokens.x.shape[:2]
  aux = jnp.zeros((), jnp.float32)
  new_state = state
  if config.backbone in (Backbone.TRANSFORMER, Backbone.MOE):
    token_pos = jnp.broadcast_to(jnp.arange(length, dtype=jnp.int32), (b, length))
    x, aux = transformer.Transformer(config)(tokens.x, tokens.positions, token_pos)
  elif config.backbone is Backbone.RESNET:
    x = resnet.ResNet(config)(tokens.x, spec.grid(config.encoder))
  else:
    move = jnp.broadcast_to(state.moves[:, None, None], (b, length, 1))
    positions = jnp.concatenate([move, tokens.positions], axis=-1)  # (move, row, column)
    token_pos = state.tokens[:, None] + jnp.arange(length, dtype=jnp.int32)
    x, layer_state = griffin.Griffin(config)(tokens.x, positions, token_pos, state.layers)
    new_state = GriffinState(layers=layer_state, moves=state.moves + 1, tokens=state.tokens + length)
  x = layers.RMSNorm(name="final_norm")(x)
  pooled = jnp.mean(x, axis=1)
  kind = heads.resolve_policy_head(config.head, spec, length, config.backbone is Backbone.GRIFFIN)
  logits = heads.PolicyHeadModule(config.head, spec, kind)(x, pooled, legal)
  value = heads.ValueHead(config.value_hidden)(pooled)
  return NetworkOutput(logits=logits, value=value, aux_loss=aux), new_state


def make_network(config: NetworkConfig, game: Any, action_from_to=None, observation_shape=None) -> Network:
  """Builds the network for `game` (a pyspiel.Game or GameSpec).

  Args:
    config: the network config.
    game: the game, for its observation shape and number of actions.
    action_from_to: optional action -> (from, to) token table for the FROM_TO head.
    observation_shape: the input's shape, by default the game's observation tensor's.

  Returns:
    A `Network` of pure functions (jit them at the call site).
  """
  spec = encoders.spec_from_game(game, action_from_to, observation_shape)
  if config.backbone is Backbone.MLP:
    return _make_mlp(config, spec, game)
  # Raise a config/game mismatch now, not at the first trace.
  heads.resolve_policy_head(config.head, spec, spec.num_tokens(config.encoder),
                            config.backbone is Backbone.GRIFFIN)
  transformed = hk.without_apply_rng(hk.transform(
      lambda obs, legal, state: _forward(config, spec, obs, legal, state)))

  def initial_state(batch: int):
    return _initial_state(config, batch)

  def init(rng_key, observation, legal):
    return transformed.init(rng_key, observation, legal, initial_state(observation.shape[0]))

  def apply(params, observation, legal) -> NetworkOutput:
    return transformed.apply(params, observation, legal, initial_state(observation.shape[0]))[0]

  def step(params, state, observation, legal, reset=None):
    if reset is not None and config.backbone is Backbone.GRIFFIN:
      fresh = initial_state(observation.shape[0])
      keep = ~jnp.asarray(reset, bool)
      state = jax.tree.map(
          lambda s, f: jnp.where(keep.reshape((-1,) + (1,) * (s.ndim - 1)), s, f), state, fresh)
    return transformed.apply(params, observation, legal, state)

  def unroll(params, state, observations, legal, resets=None):
    """Steps over axis 0 (time): observations [T, B, ...], legal [T, B, A], resets [T, B]."""
    if config.backbone is not Backbone.GRIFFIN:
      t, b = observations.shape[:2]
      out = apply(params, observations.reshape((t * b,) + observations.shape[2:]),
                  legal.reshape((t * b,) + legal.shape[2:]))
      return NetworkOutput(logits=out.logits.reshape(t, b, -1), value=out.value.reshape(t, b),
                           aux_loss=out.aux_loss), state
    if resets is None:
      resets = jnp.zeros(observations.shape[:2], bool)

    def body(carry, xs):
      out, carry = step(params, carry, *xs)
      return carry, out

    state, outs = jax.lax.scan(body, state, (observations, legal, resets))
    return outs._replace(aux_loss=jnp.mean(outs.aux_loss)), state

  return Network(config=config, spec=spec, init=init, apply=apply, initial_state=initial_state,
                 step=step, unroll=unroll)


def for_game(config: NetworkConfig, game: Any) -> Network:
  """The network of `game` that reads `games.openspiel_io.observe(state)`: what learners train and agents load.

  That is the information-state tensor where the game has one (poker, Stratego), else the observation tensor.
  """
  from games import openspiel_io
  return make_network(config, game, observation_shape=openspiel_io.observation_shape(game))


def mlp_from_to_dim(config: NetworkConfig, spec: encoders.GameSpec) -> int:
  """The MLP's from-to width: `head.from_to_dim` with a FROM_TO head (AUTO: where the game has the table), else 0."""
  kind = config.head.policy
  if kind is PolicyHead.SQUARES:
    raise ValueError("the MLP has no SQUARES head; use head.policy=flat or from_to")
  if kind is PolicyHead.AUTO:
    kind = PolicyHead.FLAT if spec.action_from_to is None else PolicyHead.FROM_TO
  if kind is PolicyHead.FROM_TO and spec.action_from_to is None:
    raise ValueError(f"a FROM_TO head needs the game's action -> (from, to) table; {spec.name} has none")
  return config.head.from_to_dim if kind is PolicyHead.FROM_TO else 0


def mlp_inputs(spec: encoders.GameSpec, game: Any, from_to: bool) -> mlp.MlpInputs:
  """What the MLP reads: on Stratego only the entries that can vary, elsewhere the whole observation."""
  config = getattr(game, "config", None)
  if spec.name == "stratego" and config is not None:
    from games.stratego import observation
    features = observation.informative_features(config)
    return mlp.MlpInputs(features, observation.square_features(config, features), observation.action_from_to())
  if not from_to:
    return mlp.MlpInputs()
  planes, rows, cols = spec.observation_shape  # a board: square s's inputs are plane p's entry s
  squares = np.arange(planes)[None, :] * rows * cols + np.arange(rows * cols)[:, None]
  return mlp.MlpInputs(squares=squares, from_to=spec.action_from_to)


def _make_mlp(config: NetworkConfig, spec: encoders.GameSpec, game: Any) -> Network:
  """The MLP (see `agents.networks.mlp`) as a `Network`; observations may have any leading dimensions."""
  from_to_dim = mlp_from_to_dim(config, spec)
  inputs = mlp_inputs(spec, game, bool(from_to_dim))
  transformed = hk.without_apply_rng(hk.transform(
      lambda obs, action_ids=None: mlp.forward(config.hidden, from_to_dim, spec.num_actions, inputs, obs,
                                               action_ids)))

  def init(rng_key, observation, legal=None):
    del legal  # The MLP's parameters do not depend on it.
    return transformed.init(rng_key, observation)

  def apply(params, observation, legal) -> NetworkOutput:
    logits, value = transformed.apply(params, observation)
    return NetworkOutput(logits=heads.mask_logits(logits, legal), value=value[..., 0],
                         aux_loss=jnp.zeros((), jnp.float32))

  def step(params, state, observation, legal, reset=None):
    del reset
    return apply(params, observation, legal), state

  def unroll(params, state, observations, legal, resets=None):
    del resets
    return apply(params, observations, legal), state

  return Network(config=config, spec=spec, init=init, apply=apply, initial_state=lambda batch: (),
                 step=step, unroll=unroll, features=inputs.features, apply_actions=transformed.apply)
