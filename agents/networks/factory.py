"""One way to build any backbone as pure functions: `make_network(config, game) -> Network`.

  net = make_network(NetworkConfig.from_preset("griffin", "small"), pyspiel.load_game("go"))
  params = net.init(rng_key, observation, legal)                 # [B, ...], [B, A]
  out = net.apply(params, observation, legal)                    # one position, no history
  state = net.initial_state(batch_size)
  out, state = net.step(params, state, observation, legal, reset) # acting, one move at a time
  outs, state = net.unroll(params, state, obs_seq, legal_seq, reset_seq)  # training, [T, B, ...]

Learners and actors hold a `Network` and never ask which backbone it is. For
the transformer, MoE and ResNet the state is empty and `step` is `apply`; a
Griffin network carries its blocks' state across moves (a move's squares are
fed as consecutive tokens), and `unroll` gives exactly what stepping gives.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp

from agents.networks import encoders, griffin, heads, layers, resnet, transformer
from agents.networks.config import Backbone, NetworkConfig


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
  """Pure functions of one network; see the module docstring for the call sequence."""
  config: NetworkConfig
  spec: encoders.GameSpec
  init: Callable[..., Any]
  apply: Callable[..., NetworkOutput]
  initial_state: Callable[[int], Any]
  step: Callable[..., tuple[NetworkOutput, Any]]
  unroll: Callable[..., tuple[NetworkOutput, Any]]

  @property
  def is_recurrent(self) -> bool:
    return self.config.backbone is Backbone.GRIFFIN


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


def make_network(config: NetworkConfig, game: Any, action_from_to=None) -> Network:
  """Builds the network for `game` (a pyspiel.Game or GameSpec).

  Args:
    config: the network config.
    game: the game, for its observation shape and number of actions.
    action_from_to: optional action -> (from, to) token table for the FROM_TO head.

  Returns:
    A `Network` of pure functions (jit them at the call site).
  """
  spec = encoders.spec_from_game(game, action_from_to)
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
