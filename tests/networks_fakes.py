"""Tiny network configs and OpenSpiel trajectories shared by the networks tests."""

import dataclasses

import numpy as np
import pyspiel

from agents.networks.config import AttentionConfig, Backbone, NetworkConfig, Preset


def tiny(backbone: Backbone, depth: int | None = None, window: int | None = None, **kw) -> NetworkConfig:
  """The tiny preset of `backbone`, optionally with another depth or attention window."""
  cfg = NetworkConfig.from_preset(backbone, Preset.TINY)
  if window is not None:
    kw["attention"] = dataclasses.replace(cfg.attention, window=window)
  if depth is not None:
    kw["depth"] = depth
  return dataclasses.replace(cfg, **kw)


def trajectory(game: pyspiel.Game, steps: int, batch: int, seed: int = 0):
  """Observations [T, B, obs] and legal masks [T, B, A] from random play (restarting finished games)."""
  rng = np.random.default_rng(seed)
  obs = np.zeros((steps, batch, int(np.prod(game.observation_tensor_shape()))), np.float32)
  legal = np.zeros((steps, batch, game.num_distinct_actions()), bool)
  for b in range(batch):
    state = game.new_initial_state()
    for t in range(steps):
      while state.is_chance_node() or state.is_terminal():
        if state.is_terminal():
          state = game.new_initial_state()
        else:
          actions, probs = zip(*state.chance_outcomes())
          state.apply_action(int(rng.choice(actions, p=probs)))
      obs[t, b] = state.observation_tensor()
      legal[t, b] = np.asarray(state.legal_actions_mask(), bool)
      state.apply_action(int(rng.choice(state.legal_actions())))
  return obs, legal


def mlp(*hidden: int, from_to_dim: int = 0) -> NetworkConfig:
  """An MLP of these widths; with `from_to_dim` its from-to term (FROM_TO head), else a flat head."""
  from agents.networks.config import HeadConfig, PolicyHead
  head = (HeadConfig(policy=PolicyHead.FROM_TO, from_to_dim=from_to_dim) if from_to_dim
          else HeadConfig(policy=PolicyHead.FLAT))
  return NetworkConfig(backbone=Backbone.MLP, hidden=hidden, head=head)


def network(cfg: NetworkConfig, game, obs_size: int = 5):
  """`cfg`'s network on a pyspiel game (as learners build it), or on a made-up game of `game` actions."""
  from agents import networks
  if isinstance(game, int):
    return networks.make_network(cfg, networks.GameSpec("made_up", (obs_size,), game))
  return networks.for_game(cfg, game)


class UniformEvaluator:
  """A search evaluator standing in for an untrained network: uniform priors over legal moves, value 0."""

  def __init__(self):
    self.calls = 0
    self.positions = 0

  def evaluate(self, states):
    legal = np.asarray([s.legal_actions_mask() for s in states], np.float64)
    self.calls += 1
    self.positions += len(states)
    return legal / legal.sum(axis=1, keepdims=True), np.zeros(len(states))


class RandomEvaluator:
  """Seeded random priors and values: a network with opinions, for tests that only need legal play."""

  def __init__(self, seed: int = 0):
    self._rng = np.random.default_rng(seed)

  def evaluate(self, states):
    legal = np.asarray([s.legal_actions_mask() for s in states], np.float64)
    p = legal * self._rng.random(legal.shape)
    return p / p.sum(axis=1, keepdims=True), self._rng.uniform(-1, 1, len(states))


def tiny_go_policy(path, board_size: int = 5, backbone: Backbone = Backbone.MLP, seed: int = 0):
  """Writes an untrained policy file of `backbone`'s tiny preset for Go on `board_size`; returns (path, net, params)."""
  import jax
  from agents import policy
  from games import go, openspiel_io
  game = go.load_game(go.GoConfig(board_size=board_size))
  cfg = tiny(backbone)
  net = network(cfg, game)
  obs = np.zeros((1, openspiel_io.observation_size(game)), np.float32)
  params = net.init(jax.random.PRNGKey(seed), obs, np.ones((1, net.num_actions), bool))
  return policy.save_policy(path, params, game=str(game), network=cfg, step=3), net, params
