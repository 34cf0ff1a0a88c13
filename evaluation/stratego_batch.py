"""Many Stratego games in lock step on the batched JAX rules, and the tournament's games played that way.

`play` is the loop: all games are one batched `games.stratego.State`; each
move is one jitted step (and, when a chooser asks, one jitted observe) for
every game at once, and a chooser picks every game's action from the
positions. `evaluation.stratego_vs_random` plays a policy against random
with it; `play_agents` plays the games of a match or tournament between
agents that answer a batch (`batchable`: a network policy or uniform
random), each game as `evaluation.match.play_many` plays it on OpenSpiel
states:

  if batchable(seatings):
    played = play_agents(game, seatings, seeds)     # [(GameResult, record dict)], record as games.stratego.record

Same games as the OpenSpiel path: game g's chance outcomes (a
`deployment=random` setup) are drawn from `np.random.default_rng(seeds[g])`
as `play_many` draws them, and each agent draws its moves with its own
generator from the same legal actions and policy rows, so fresh agents with
the same seeds play the same games (`tests/test_stratego_batch.py` checks it).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, NamedTuple, Sequence

import jax
import numpy as np

from games.stratego import engine, notation, observation, pieces
from games.stratego.openspiel_game import StrategoGame, action_to_string

_PLACEMENTS = len(notation.SETUP_SQUARES)  # actions 0..39 place a piece (see `engine`)


class Turn(NamedTuple):
  """What a chooser sees before each lock-step move.

  Attributes:
    terminal: bool[N] the game is over (its action is ignored).
    player: int[N] the player to act (0 Red, 1 Blue).
    legal: bool[N, A] the legal actions.
    deploying: the games are placing pieces (all games deploy in the same steps).
    observe: () -> float32[N, O], every game's observation for its player to act (computed once, on demand).
  """
  terminal: np.ndarray
  player: np.ndarray
  legal: np.ndarray
  deploying: bool
  observe: Callable[[], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Played:
  """The games `play` finished.

  Attributes:
    returns: float[N, 2] (Red, Blue).
    ends: int[N] `engine.END_*` codes.
    boards: int8[N, 100] each board once deployment was over (Red's frame), with `record`; else None.
    steps: with `record`, each step's (player int[N], action int[N], live bool[N], deploying); else ().
  """
  returns: np.ndarray
  ends: np.ndarray
  boards: np.ndarray | None = None
  steps: tuple = ()


Chooser = Callable[[Turn], np.ndarray]


def supports(game) -> bool:
  """Whether the JAX rules can deal `game`'s games: Stratego deployed by the players, at random or from a board."""
  return isinstance(game, StrategoGame) and game.batched_start() is not None


def deal(game: StrategoGame, num_games: int, seed: int = 0, chance_deployment: bool = False) -> engine.State:
  """`num_games` fresh games of `game`.

  With `chance_deployment` a `deployment=random` game starts as OpenSpiel's does, on an empty board whose
  pieces the chooser places (as chance); otherwise its setups are dealt at once from `seed`.
  """
  initial_board, deploy = game.batched_start()
  deploy = deploy or (chance_deployment and initial_board is None)
  board = None if initial_board is None else tuple(int(x) for x in np.asarray(initial_board))
  return _deal_jit(game.config, board, deploy)(jax.random.split(jax.random.PRNGKey(seed), num_games))


def play(config, states: engine.State, choose: Chooser, record: bool = False, prefetch: bool = True) -> Played:
  """Plays the batch `states` to the end, `choose(turn) -> int[N]` giving every game's action each move.

  With `prefetch` the observations are dispatched with every move, so that they are computed while the
  host reads the legal masks (about 7% faster where the chooser reads them at most moves; wasted where
  it never does); without, `turn.observe` computes them when asked.
  """
  observe, step = _observe_fn(config), _step_fn(config)
  total = 2 * pieces.num_pieces(config.variant)
  steps, boards = [], None
  while True:
    pending = observe(states) if prefetch else None
    terminal, player, legal, placed = (np.asarray(x) for x in jax.device_get(
        (states.terminal, states.player, states.legal, states.placed)))
    if terminal.all():
      break
    deploying = bool((placed < total).any())
    if record and boards is None and not deploying:
      boards = np.asarray(states.board)  # Red to move first: the board is in Red's frame
    obs = functools.lru_cache(1)(lambda s=states, o=pending: np.asarray(observe(s) if o is None else o))
    turn = Turn(terminal, player, legal, deploying, obs)
    actions = np.asarray(choose(turn), np.int32)
    if record:
      steps.append((player, actions, ~terminal, deploying))
    states = step(states, actions)
  if record and boards is None:  # every game ended before play (none does from a playable start)
    boards = np.asarray(states.board)
  return Played(np.asarray(states.rewards), np.asarray(_end_fn(config)(states)), boards, tuple(steps))


# --- A match's games between batchable agents -------------------------------------------------------------------


def batchable(agent) -> bool:
  """Whether `play_agents` can play `agent`: a network policy playing alone, or uniform random."""
  from agents.policy import PolicyAgent
  from agents.specs import UniformRandomAgent
  return type(agent) in (PolicyAgent, UniformRandomAgent)


def play_agents(game: StrategoGame, seatings: Sequence[Sequence[Any]], seeds: Sequence[int]) -> list[tuple[Any, dict]]:
  """Plays game g with agents `seatings[g]` (seat 0 moves first), chance from `seeds[g]`, all in lock step.

  Every agent must be `batchable`. Policies that compute the same `probs` (equal `batch_key`) are asked
  once per move for all games. Returns each game's `evaluation.match.GameResult` and its record
  (`games.stratego.record`'s document, without players: the caller names them).
  """
  from agents.policy import PolicyAgent
  from evaluation.match import GameResult
  from games.stratego import record as record_lib
  n = len(seeds)
  for seating in seatings:
    for agent in seating:
      agent.reset()
  chance = game.deployment == "random" and game.initial_board is None
  rngs = [np.random.default_rng(seed) for seed in seeds]
  policies = {}
  for seating in seatings:
    for agent in seating:
      if isinstance(agent, PolicyAgent):
        policies.setdefault(agent.batch_key, agent)

  def choose(turn: Turn) -> np.ndarray:
    actions = np.zeros(n, np.int32)
    live = np.flatnonzero(~turn.terminal)
    if chance and turn.deploying:
      for g in live:
        free = np.flatnonzero(turn.legal[g, :_PLACEMENTS])
        p = np.full(len(free), 1.0 / len(free))
        actions[g] = int(rngs[g].choice(free, p=p / np.sum(p)))  # as `play_many` draws a chance outcome
      return actions
    movers = [seatings[g][turn.player[g]] for g in range(n)]
    probs = {}
    for key, policy in policies.items():
      if any(isinstance(movers[g], PolicyAgent) and movers[g].batch_key == key for g in live):
        mask = np.where(turn.terminal[:, None], True, turn.legal).astype(np.float32)
        probs[key] = policy.probs(turn.observe(), mask)  # every row: one batch shape, one compilation
    for g in live:
      agent, legal = movers[g], np.flatnonzero(turn.legal[g])
      actions[g] = agent.pick(legal, probs[agent.batch_key][g]) if isinstance(agent, PolicyAgent) else agent.pick(legal)
    return actions

  played = play(game.config, deal(game, n, chance_deployment=True), choose, record=True, prefetch=bool(policies))
  player, action, live = (np.stack(x) for x in zip(*(step[:3] for step in played.steps)))  # [T, N] each
  deploying = np.asarray([step[3] for step in played.steps], bool)[:, None]
  counted = live & ~(deploying & chance)  # the players' actions: chance placements are not moves
  out = []
  for g in range(n):
    in_play = np.flatnonzero(live[:, g] & ~deploying[:, 0])
    moves = [action_to_string(int(player[t, g]), int(action[t, g])) for t in in_play]
    returns = tuple(float(r) for r in played.returns[g])
    score = 1.0 if returns[0] > returns[1] else 0.0 if returns[0] < returns[1] else 0.5
    end = engine.END_NAMES[int(played.ends[g])]
    out.append((GameResult(score=score, moves=int(counted[:, g].sum()), end=end, returns=returns),
                record_lib.make_record(str(game), played.boards[g], moves, returns, end)))
  return out


@functools.lru_cache(maxsize=8)
def _deal_jit(config, board, deploy: bool):
  return jax.jit(functools.partial(engine.deal, config, initial_board=board, deploy=deploy))


@functools.lru_cache(maxsize=8)
def _observe_fn(config):
  def observe(states):
    n = states.player.shape[0]
    return jax.vmap(functools.partial(observation.observe, config))(states, states.player).reshape(n, -1)
  return jax.jit(observe)


@functools.lru_cache(maxsize=8)
def _end_fn(config):
  return jax.jit(jax.vmap(functools.partial(engine.end_reason, config)))


@functools.lru_cache(maxsize=8)
def _step_fn(config):
  return jax.jit(jax.vmap(functools.partial(engine.step, config)))
