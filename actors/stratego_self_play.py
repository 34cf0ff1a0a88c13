"""Self-play on the batched JAX Stratego rules: one jitted call per move plays every game's move.

The OpenSpiel actor (`self_play.SelfPlayActor`) drives one pyspiel state per
game and calls the network once per move for all of them; for Stratego every
pyspiel move is a separate jitted single-game call, so it manages a few
hundred moves a second. This actor keeps all games as one batched
`games.stratego.State` and does, in one jitted call, what a move needs:
observe, run the network, mask, sample, step the rules. It writes the same
`Trajectories` as the OpenSpiel actor, so the learner cannot tell them apart;
`tests/test_stratego_self_play.py` checks the observations and legal masks it
records against the OpenSpiel game replaying the same actions.

Games start (`engine.deal`) on an empty board where the policy places each
side's pieces (`deployment=play`), from a uniformly random setup for both
sides (`deployment=random`: the same distribution as its chance nodes), or
from the game's `initial_board`. Finished games wait (a finished state no
longer changes) and are restarted together every `reset_every` moves, so the
restart's cost is paid once for many games.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from actors.self_play import mix_uniform
from actors.trajectory_buffer import TrajectoryBuffer
from agents.networks import Network, heads
from core import interfaces
from games.stratego import engine
from games.stratego import observation
from games.stratego.openspiel_game import StrategoGame


def supports(game) -> bool:
  """Whether this actor can play `game` (Stratego deployed by the players, at random or from a fixed board)."""
  return isinstance(game, StrategoGame) and game.batched_start() is not None


class StrategoSelfPlayActor(interfaces.Actor):
  """Plays `num_games` Stratego games in lock step on the JAX rules and writes finished ones to a replay.

  Args:
    game: a `stratego(...)` game with `deployment=play` or `random`, or an `initial_board`.
    network: the policy network (its `action_logits`, the legal actions' logits only, runs inside
      the jitted move on the legal actions' slots).
    num_games: games played at once (N).
    trajectory_max: steps kept per row (T); without `pack` a longer game is cut
      there (the learner then sees no reward for it, as for a draw).
    chunk_size: finished rows written to replay together as one item.
    replay: where chunks go (None keeps them in `self.ready`).
    seed: seed of sampling and of the random setups.
    reset_every: moves between two restarts of the finished games.
    pack: several games per row (see `actors.trajectory_buffer`).
    explore: the share of each move's policy given to a uniformly random legal
      move, recorded as part of the acting policy (see `SelfPlayActor`).
    explore_deployment: the same share for the placing actions (replaces
      `explore` there; None: `explore`). Varies the setups self-play meets.
  """

  def __init__(self, game: StrategoGame, network: Network, num_games: int, trajectory_max: int,
               chunk_size: int, replay: interfaces.Replay | None = None, seed: int = 0, reset_every: int = 4,
               pack: bool = False, explore: float = 0.0, explore_deployment: float | None = None):
    if not supports(game):
      raise ValueError(f"{game}: the JAX actor needs deployment=play or random, or an initial_board")
    explore_deployment = explore if explore_deployment is None else explore_deployment
    for name, share in [("explore", explore), ("explore_deployment", explore_deployment)]:
      if not 0 <= share < 1:
        raise ValueError(f"{name} must be in [0, 1), got {share}")
    self.game = game
    self._config = game.config
    self._n, self._t_max = num_games, trajectory_max
    self._reset_every = reset_every
    self._key = jax.random.PRNGKey(seed)
    # Only what the network reads goes to replay (barrage: 1,819 of 5,800 numbers a move).
    features = network.features
    obs_size = observation.num_planes(self._config) * 100 if features is None else len(features)
    n, t, k = num_games, trajectory_max, engine.max_legal_actions(self._config)
    # Legal actions go in k slots (see `Trajectories.action_ids`): 52 for barrage instead of 1,840.
    # Compact dtypes (the learner computes in float32): 0/1 planes and masks are exact in
    # float16/uint8. mu stays float32: a tiny probability rounded to 0 would make pi/mu infinite.
    self._buf = TrajectoryBuffer({
        "obs": np.zeros((n, t, obs_size), np.float16),
        "legal": np.zeros((n, t, k), np.uint8),
        "player_id": np.zeros((n, t), np.int32),
        "valid": np.zeros((n, t), np.float32),
        "action_oh": np.zeros((n, t, k), np.uint8),
        "policy": np.zeros((n, t, k), np.float32),
        "rewards": np.zeros((n, t, 2), np.float32),
        "action_ids": np.full((n, t, k), -1, np.int32),
    }, chunk_size, replay, pack)
    self.ready = self._buf.ready
    self._live = np.ones((n,), bool)  # playing (False: finished, waiting for the next restart)
    self._act = jax.jit(functools.partial(_act, self._config, network.action_logits, k, features,
                                          (explore, explore_deployment)))
    self._restart = jax.jit(functools.partial(_restart, self._config, *game.batched_start()))
    self._states = self._restart(None, jnp.ones(n, bool), self._next_key())
    self.moves = 0
    self._calls = 0

  @property
  def games_finished(self) -> int:
    return self._buf.games_finished

  def _next_key(self):
    self._key, key = jax.random.split(self._key)
    return key

  def run_step(self, params, version: int) -> int:
    states, out = self._act(params, self._states, self._next_key())
    obs, legal, player, slot, probs, rewards, over, ids = jax.device_get(out)
    self._states = states
    live = np.flatnonzero(self._live)
    self._buf.record(live, version, slot[live], obs=obs[live], legal=legal[live], player_id=player[live],
                     policy=probs[live], rewards=rewards[live], action_ids=ids[live])
    for i in live:
      if over[i]:
        self._buf.end_game(i)
        self._live[i] = False
      elif self._buf.full(i):
        self._buf.cut(i)
        self._live[i] = self._buf.pack  # packed: the game goes on in the emptied row
    self._calls += 1
    if self._calls % self._reset_every == 0 and not self._live.all():
      self._states = self._restart(self._states, jnp.asarray(~self._live), self._next_key())
      self._live[:] = True
    self.moves += len(live)
    return len(live)


def _act(config, slot_logits_fn, num_slots, features, explore, params, states: engine.State, key):
  """One move of every game: new states and, per game, what the trajectory records.

  `explore` is (share while playing, share while placing pieces).

  Returns (new states, (obs, legal slots, player, slot taken, mu over the
  slots, rewards after the move, game over, action id of each slot)).
  """
  n = states.player.shape[0]
  obs = jax.vmap(functools.partial(observation.observe, config))(states, states.player).reshape(n, -1)
  # The legal actions in slots, in action order (top_k puts the ones first).
  on, idx = jax.lax.top_k(states.legal.astype(jnp.float32), num_slots)
  on = on > 0
  ids = jnp.where(on, idx, -1)
  logits, _ = slot_logits_fn(params, obs, idx)
  # A finished game has no legal action; any action leaves it as it is.
  mask = jnp.where(states.terminal[:, None], True, on)
  probs_slots = heads.legal_policy(logits, mask)
  if any(explore):
    share = jnp.where(jax.vmap(functools.partial(engine.is_deploying, config))(states), explore[1], explore[0])
    probs_slots = mix_uniform(probs_slots, mask, share[:, None])
  slot = jax.random.categorical(key, jnp.where(probs_slots > 0, jnp.log(probs_slots), -jnp.inf))
  action = jnp.take_along_axis(idx, slot[:, None], axis=-1)[:, 0]
  new = jax.vmap(functools.partial(engine.step, config))(states, action)
  probs_slots = jnp.where(on, probs_slots, 0.0)
  if features is not None:
    obs = obs[:, features]
  out = (obs.astype(jnp.float16), on.astype(jnp.uint8), states.player, slot, probs_slots, new.rewards,
         new.terminal, ids)
  return new, out


def _restart(config, initial_board, deploy, states, mask, key):
  """Fresh games where `mask` is set (all of them when `states` is None)."""
  fresh = engine.deal(config, jax.random.split(key, mask.shape[0]), initial_board, deploy)
  if states is None:
    return fresh
  return jax.tree.map(lambda f, s: jnp.where(mask.reshape((-1,) + (1,) * (s.ndim - 1)), f, s), fresh, states)
