"""What one player sees: observation planes as a pure JAX function, plus the plane layout.

`observe(config, state, player)` returns float32[NUM_PLANES, 10, 10] in the
observing player's own frame (its home rows at the bottom, see `engine`):

  0-11   own pieces by type (bomb, spy, scout, ..., marshal, flag)
  12     own pieces the opponent knows (revealed)
  13     own pieces that have moved
  14-25  revealed enemy pieces by type
  26     unrevealed enemy pieces that have not moved
  27     unrevealed enemy pieces that have moved
  28     lakes
  29-40  enemy pieces not yet accounted for, by type: alive and unrevealed, count / 8
  41     deployment phase (all ones)
  42     it is this player's turn
  43     this player is Blue
  44     moves played / max_moves
  45     moves since the last attack / max_moves_since_attack
  46-57  the piece this player places next (one-hot by type), while it deploys
  58+6k  recent move k (0 = newest), six planes: from square, to square,
         attacker won (at to), defender won (at to), both removed (at to),
         made by this player (all ones)

Enemy planes stay empty during deployment: a player never sees where the
other puts its pieces until play begins. Nothing here depends on hidden
information: enemy piece types show only once revealed.

Plane p's square s (in the observer's frame, index (rank - 1) * 10 + file) is
`planes[p].reshape(100)[s]`, i.e. `planes[p, rank - 1, file]`: row 0 is the
observer's first rank. Actions are in the acting player's frame too, so
`action_from_to()` gives each move's squares as indices into the acting
player's own observation.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from games.stratego import _tables as T
from games.stratego import engine
from games.stratego import pieces as P
from games.stratego.config import RulesConfig

HISTORY_PLANES = 6
FIXED_PLANES = 58


def num_planes(config: RulesConfig) -> int:
  return FIXED_PLANES + HISTORY_PLANES * config.history


def informative_features(config: RulesConfig) -> np.ndarray:
  """Indices into the flattened observation that can differ between two positions of `config`'s games.

  Drops what is the same everywhere: the planes of piece types the variant
  does not have, the lakes, and all but one square of each plane that holds
  one number broadcast over the board (counts, turn, colour, clocks, the piece
  to place). For barrage without history, 1,819 of the 5,800 numbers remain;
  a network that reads only these computes the same function for a third of
  the cost of its first layer.
  """
  present = np.flatnonzero(P.counts(config.variant)[1:] > 0)  # type - 1 of each type in the variant
  spatial = [*present, 12, 13, *(14 + present), 26, 27]
  scalar = [*(29 + present), 41, 42, 43, 44, 45, *(46 + present)]
  history = list(range(FIXED_PLANES, num_planes(config)))
  idx = [np.arange(100) + 100 * p for p in spatial + history] + [np.asarray([100 * p]) for p in scalar]
  return np.sort(np.concatenate(idx)).astype(np.int32)


def square_features(config: RulesConfig, features: np.ndarray | None = None) -> np.ndarray:
  """int32[100, C]: where square s's entries of the board planes sit in a flattened observation.

  `features` must be sorted ascending, as `informative_features` returns them.

  Row s lists, plane by plane, the index of `planes[p].reshape(100)[s]` for
  every plane p that `features` (e.g. `informative_features(config)`) keeps
  whole, as positions within `features`; with `features` None, every plane,
  as positions in the full observation. Planes that hold one number broadcast
  over the board are left out when `features` keeps only one square of them.
  """
  if features is None:
    return (np.arange(num_planes(config))[None, :] * 100 + np.arange(100)[:, None]).astype(np.int32)
  features = np.asarray(features)
  planes, counts = np.unique(features // 100, return_counts=True)
  whole = planes[counts == 100]
  return np.stack([np.searchsorted(features, p * 100 + np.arange(100)) for p in whole], axis=1).astype(np.int32)


def observe(config: RulesConfig, state: engine.State, player) -> jax.Array:
  """float32[num_planes(config), 10, 10]: `state` as `player` (0 Red, 1 Blue) sees it."""
  player = jnp.asarray(player, jnp.int32)
  view = jax.tree.map(lambda f, s: jnp.where(player != state.player, f, s), engine._flip(state), state)
  b = view.board.astype(jnp.int32)
  playing = state.placed >= 2 * P.num_pieces(config.variant)
  types = jnp.arange(1, 13)[:, None]
  own = b[None, :] == types
  enemy = b[None, :] == types + P.BLUE_OFFSET
  enemy_any = (b > P.BLUE_OFFSET) & (b < P.LAKE) & playing
  known = enemy & view.revealed[None, :] & playing
  hidden = enemy_any & ~view.revealed
  unaccounted = (jnp.sum(enemy, -1) - jnp.sum(known, -1)) * playing / 8.0
  n = P.num_pieces(config.variant)
  order = jnp.asarray(P.placement_order(config.variant))
  deploying_me = ~playing & (state.player == player)
  next_piece = (types[:, 0] == order[jnp.clip(state.placed % n, 0, n - 1)]) & deploying_me
  ones = jnp.ones(100, jnp.float32)
  my_turn = (state.player == player) & ~state.terminal
  planes = [
      own, view.revealed[None] & (b > 0)[None] & (b <= 12)[None],
      view.moved[None] & (b > 0)[None] & (b <= 12)[None],
      known, (hidden & ~view.moved)[None], (hidden & view.moved)[None], (b == P.LAKE)[None],
      unaccounted[:, None] * ones[None], (~playing * ones)[None], (my_turn * ones)[None],
      ((player == 1) * ones)[None], (state.num_moves / config.max_moves * ones)[None],
      (state.since_attack / config.max_moves_since_attack * ones)[None],
      next_piece[:, None] * ones[None],
  ]
  if config.history:
    h = state.history
    live = h[:, 2] > engine.RESULT_NONE
    frame = lambda s: jnp.where(player == 1, 99 - s, s)
    sq = jnp.arange(100)
    from_p = (sq[None] == frame(h[:, 0])[:, None]) & live[:, None]
    to_p = (sq[None] == frame(h[:, 1])[:, None]) & live[:, None]
    res = [to_p & (h[:, 2] == r)[:, None] for r in (engine.RESULT_ATTACKER_WON, engine.RESULT_DEFENDER_WON,
                                                    engine.RESULT_BOTH_REMOVED)]
    mine = (live & (h[:, 3] == player))[:, None] * ones[None]
    hist = jnp.stack([from_p, to_p, *res, mine], axis=1).reshape(-1, 100)
    planes.append(hist)
  out = jnp.concatenate([jnp.asarray(p, jnp.float32).reshape(-1, 100) for p in planes], 0)
  return out.reshape(-1, 10, 10)


def action_from_to() -> np.ndarray:
  """int32[NUM_ACTIONS, 2]: each action's (from, to) square in the acting player's observation.

  The squares index the observation's 100 squares row-major
  (`planes.reshape(-1, 100)[:, s]`), which is the order a network reads a
  [planes, 10, 10] board as tokens. Deployment actions (0..39) are not moves
  between squares and get (-1, -1).
  """
  table = np.full((engine.NUM_ACTIONS, 2), -1, np.int32)
  src = np.repeat(np.arange(T.NUM_SQUARES, dtype=np.int32), T.NUM_LINE_TARGETS)
  table[T.NUM_DEPLOY_ACTIONS:, 0] = src
  table[T.NUM_DEPLOY_ACTIONS:, 1] = T.TARGET.reshape(-1)
  return table


@functools.partial(jax.jit, static_argnums=0)
def jit_observe(config: RulesConfig, state: engine.State, player) -> jax.Array:
  return observe(config, state, player)


def absolute_view(state: engine.State):
  """numpy (board, revealed, moved) in Red's frame, whoever is to act."""
  board, revealed, moved = (np.asarray(x) for x in (state.board, state.revealed, state.moved))
  if int(state.player) == 1:
    board = board[::-1].copy()
    board = np.where((board >= 1) & (board <= 12), board + 12,
                     np.where((board >= 13) & (board <= 24), board - 12, board)).astype(np.int8)
    revealed, moved = revealed[::-1].copy(), moved[::-1].copy()
  return board, revealed, moved
