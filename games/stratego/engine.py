"""Stratego rules as pure JAX functions over fixed-shape arrays (jit- and vmap-able).

The functions take one game (`State`) and a static `RulesConfig`; batch them
with `jax.vmap`. `init_*`, `step`, `legal_action_mask`, `is_terminal`,
`returns` and (in `observation.py`) `observe` make up the interface; `deal`
starts a batch of games at once, `end_reason` says how a game ended, and
`repetition_forbidden` which moves the repetition rules forbid now.

Frame. `State.board` is kept in the frame of the player to act: that player's
pieces have Red codes 1-12 and its home rows are ranks 1-4; the opponent's have
codes 13-24. Red's frame is the board as written in the notation; Blue's is
that board turned 180 degrees (square s <-> 99 - s, colours swapped).

Actions (one space of `NUM_ACTIONS` = 1840, all in the acting player's frame):
  0..39     deployment: put the next piece at setup position i (square
            `notation.setup_square(i)`: 0 = a4 ... 9 = j4, 10 = a3, ..., 39 = j1).
            Pieces are placed in a fixed order: flag, bombs, marshal, general,
            colonels, majors, captains, lieutenants, sergeants, miners, scouts, spy.
            Red places all its pieces, then Blue.
  40..1839  moves: 40 + from_square * 18 + j, where j indexes the 18 other
            squares of the from-square's row (j = 0-8, files left to right) and
            column (j = 9-17, ranks bottom to top). See `_tables.line_target`.

Rules enforced (International Stratego Federation rules, with these choices):
  * Attacks reveal both pieces. A scout that moves more than one square is
    revealed too (its move shows what it is).
  * Two-squares rule: if a player's last three moves were made by one piece,
    one after the other, and the 2nd and 3rd stay inside the span of squares
    covered by the 1st (for a non-scout: back and forth between two squares),
    that piece may not make a 4th move that ends inside that span.
  * More-squares rule (the federation's "no endless chase"), as enforced here:
    a move is a *chasing* move when it is not an attack, the opponent's last
    move was not an attack, and it ends next to (orthogonally) the square where
    the opponent's last move ended. A chase goes on while the chased piece moves
    away (without attacking) and the chaser answers with another chasing move.
    During a chase, the chaser may not make a chasing move that produces a
    board position that one of its own chasing moves already produced in the
    same chase (the last `chase_memory` positions are remembered).
  * A player with no legal move on their turn loses; if neither side has a
    movable piece with a free or enemy neighbour, the game is drawn.
  * Draw after `max_moves` moves, or `max_moves_since_attack` moves without an
    attack. Order of checks after a move: flag captured, then these limits,
    then the next player's lack of a legal move.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from games.stratego import _tables as T
from games.stratego import notation
from games.stratego import pieces as P
from games.stratego.config import RulesConfig

NUM_ACTIONS = T.NUM_ACTIONS
_SETUP = notation.SETUP_SQUARES
_STRENGTH = P.STRENGTH  # numpy constants: nothing touches JAX at import time
_ZFLAT = T.ZOBRIST.reshape(-1)
_SQ = np.arange(100, dtype=np.int32)
_TARGET_RANK = T.TARGET // 10
_TARGET_FILE = T.TARGET % 10

RESULT_NONE, RESULT_MOVE, RESULT_ATTACKER_WON, RESULT_DEFENDER_WON, RESULT_BOTH_REMOVED = range(5)
# How a game ended (`end_reason`), and a name for each.
END_NOT_OVER, END_FLAG_CAPTURED, END_NO_LEGAL_MOVE, END_MOVE_LIMIT, END_ATTACK_LIMIT, END_NEITHER_CAN_MOVE = range(6)
END_NAMES = ("not over", "flag captured", "no legal move", "move limit", "no-attack limit", "neither can move")
# Why a move the pieces could make is not legal now (`repetition_forbidden`).
FORBIDDEN_NONE, FORBIDDEN_TWO_SQUARES, FORBIDDEN_MORE_SQUARES = range(3)


class State(NamedTuple):
  """One game. Leading batch dimensions are allowed everywhere when vmapped.

  Attributes:
    board: int8[100] square codes in the acting player's frame.
    revealed: bool[100] the piece on the square is known to both players.
    moved: bool[100] the piece on the square has moved.
    player: int32 player to act (0 Red, 1 Blue); after the game, the one who would act.
    placed: int32 pieces deployed so far; 2 * pieces-per-side once play begins.
    num_moves: int32 moves played (deployment not counted).
    since_attack: int32 moves since the last attack.
    terminal: bool the game is over.
    rewards: float32[2] final returns (Red, Blue); zero before the end.
    Per-player fields below are indexed 0 = the player to act, 1 = the other.
    last_moves: int32[2, 3, 3] each player's last three moves, oldest first, in
      that player's own frame: (from, to, was_attack), -1 where none.
    ban: int32[2, 5] the two-squares rule's ban on each player's next move:
      (square of the banned piece or -1, then min rank, max rank, min file, max file
      of the squares it may not move to), own frame.
    history: int32[H, 4] public recent moves, newest first: (from, to, result, mover)
      with squares in Red's frame; result is one of RESULT_*.
    chase_sq: int32[2] square (own frame) of the piece each player's last move chased, or -1.
    chase_n: int32[2] chasing moves in each player's current chase.
    chase_hash: uint32[2, K] positions produced by each player's current chase.
    zhash: uint32 hash of the board (the same in both frames), for the more-squares rule.
    legal: bool[NUM_ACTIONS] legal actions of the player to act.
  """
  board: jax.Array
  revealed: jax.Array
  moved: jax.Array
  player: jax.Array
  placed: jax.Array
  num_moves: jax.Array
  since_attack: jax.Array
  terminal: jax.Array
  rewards: jax.Array
  last_moves: jax.Array
  ban: jax.Array
  history: jax.Array
  chase_sq: jax.Array
  chase_n: jax.Array
  chase_hash: jax.Array
  zhash: jax.Array
  legal: jax.Array


def _empty_state(config: RulesConfig, board, placed) -> State:
  return State(
      board=jnp.asarray(board, jnp.int8),
      revealed=jnp.zeros(100, bool),
      moved=jnp.zeros(100, bool),
      player=jnp.where(placed >= _total(config), 0, placed // P.num_pieces(config.variant)).astype(jnp.int32),
      placed=jnp.asarray(placed, jnp.int32),
      num_moves=jnp.int32(0),
      since_attack=jnp.int32(0),
      terminal=jnp.bool_(False),
      rewards=jnp.zeros(2, jnp.float32),
      last_moves=jnp.full((2, 3, 3), -1, jnp.int32),
      ban=jnp.full((2, 5), -1, jnp.int32),
      history=jnp.zeros((config.history, 4), jnp.int32),
      chase_sq=jnp.full(2, -1, jnp.int32),
      chase_n=jnp.zeros(2, jnp.int32),
      chase_hash=jnp.zeros((2, config.chase_memory), jnp.uint32),
      zhash=_hash(jnp.asarray(board, jnp.int8)),
      legal=jnp.zeros(NUM_ACTIONS, bool))


def _total(config: RulesConfig) -> int:
  return 2 * P.num_pieces(config.variant)


def _lake_board() -> np.ndarray:
  board = np.zeros(100, np.int8)
  board[list(P.LAKE_SQUARES)] = P.LAKE
  return board


def init_deployment(config: RulesConfig) -> State:
  """An empty board with Red to deploy its first piece."""
  return _finish(config, _empty_state(config, _lake_board(), jnp.int32(0)))


def init_from_board(config: RulesConfig, board) -> State:
  """Play starts from `board` (int[100] codes, Red's frame), Red to move, nothing revealed."""
  return _finish(config, _empty_state(config, board, jnp.int32(_total(config))))


def init_random(config: RulesConfig, rng_key) -> State:
  """Both sides deployed uniformly at random; Red to move."""
  order = np.zeros(40, np.int8)
  placement = P.placement_order(config.variant)
  order[:len(placement)] = placement
  k_red, k_blue = jax.random.split(rng_key)
  red = jax.random.permutation(k_red, jnp.asarray(order))
  blue = jax.random.permutation(k_blue, jnp.asarray(order))
  board = jnp.asarray(_lake_board())
  board = board.at[_SETUP].set(red)
  board = board.at[99 - _SETUP].set(jnp.where(blue > 0, blue + P.BLUE_OFFSET, 0).astype(jnp.int8))
  return init_from_board(config, board)


def deal(config: RulesConfig, keys, initial_board=None, deploy: bool = False) -> State:
  """A batch of fresh games, one per key in `keys` [N, 2].

  From `initial_board` (Red's frame) where it is given; else, with `deploy`,
  on an empty board with both sides to place their pieces (the players choose
  their setups); else both sides dealt uniformly at random (`init_random`).
  Only the last uses the keys.
  """
  n = keys.shape[0]
  if initial_board is not None:
    return jax.vmap(lambda _: init_from_board(config, jnp.asarray(initial_board, jnp.int8)))(jnp.arange(n))
  if deploy:
    return jax.vmap(lambda _: init_deployment(config))(jnp.arange(n))
  return jax.vmap(functools.partial(init_random, config))(keys)


def max_legal_actions(config: RulesConfig) -> int:
  """An upper bound on the legal actions of any position: 40 while deploying, else 18 per scout and 4 per other movable piece."""
  c = P.counts(config.variant)
  movable = int(c[P.SPY:P.MARSHAL + 1].sum())
  return max(T.NUM_DEPLOY_ACTIONS, 18 * int(c[P.SCOUT]) + 4 * (movable - int(c[P.SCOUT])))


def legal_action_mask(state: State) -> jax.Array:
  """bool[NUM_ACTIONS]: the legal actions of the player to act (all False when the game is over)."""
  return state.legal


def is_terminal(state: State) -> jax.Array:
  return state.terminal


def is_deploying(config: RulesConfig, state: State) -> jax.Array:
  """bool: the players are still placing their pieces (the actions are 0..39)."""
  return state.placed < _total(config)


def end_reason(config: RulesConfig, state: State) -> jax.Array:
  """int32: why the game ended, one of the `END_*` codes (`END_NOT_OVER` while it runs).

  Read off the final state in the order the rules check: a decided game was won
  by taking the flag if a flag is gone, else the loser had no legal move; a
  drawn one hit the move limit, else the no-attack limit, else neither side
  could move.
  """
  flags = jnp.sum((state.board == P.FLAG) | (state.board == P.FLAG + P.BLUE_OFFSET))
  decided = jnp.where(flags < 2, END_FLAG_CAPTURED, END_NO_LEGAL_MOVE)
  drawn = jnp.where(state.num_moves >= config.max_moves, END_MOVE_LIMIT,
                    jnp.where(state.since_attack >= config.max_moves_since_attack, END_ATTACK_LIMIT,
                              END_NEITHER_CAN_MOVE))
  over = jnp.where(jnp.any(state.rewards != 0), decided, drawn)
  return jnp.where(state.terminal, over, END_NOT_OVER).astype(jnp.int32)


def returns(state: State) -> jax.Array:
  """float32[2]: (Red, Blue) returns: +1 win, -1 loss, 0 draw or game not over."""
  return state.rewards


def step(config: RulesConfig, state: State, action) -> State:
  """Plays one action (deployment or move) of the player to act; a finished game stays as it is."""
  action = jnp.asarray(action, jnp.int32)
  deploying = is_deploying(config, state)
  # `legal` is left out of the branches (None is an empty subtree): it is recomputed anyway.
  old = state._replace(legal=None)
  nxt = jax.tree.map(lambda d, m: jnp.where(deploying, d, m), _deploy(config, old, action), _move(config, old, action))
  nxt = _finish(config, nxt._replace(terminal=nxt.terminal | state.terminal))  # no legal actions once over
  kept = jax.tree.map(lambda o, n: jnp.where(state.terminal, o, n), old, nxt._replace(legal=None))
  return kept._replace(legal=nxt.legal)


def deploy_setup(config: RulesConfig, state: State, setup) -> State:
  """Places a whole setup (int[40] Red-letter codes, front row first) for the player deploying now."""
  setup = jnp.asarray(setup, jnp.int8)
  board = state.board.at[_SETUP].set(jnp.where(setup > 0, setup, state.board[_SETUP]))
  placed = state.placed + P.num_pieces(config.variant)
  return _finish(config, _after_deploy(config, state._replace(zhash=_hash(board)), board, placed))


def replace_pieces(config: RulesConfig, state: State, board) -> State:
  """The same game with the pieces of `board` (int[100] codes, Red's frame); flags, history and counters kept.

  For a player that holds stand-ins for the opponent's unseen pieces and
  corrects them as a referee reports them (a bot in an outside manager that
  names pieces only when they fight). The position hash and the legal actions
  are recomputed; the more-squares rule's remembered positions are not.
  """
  board = jnp.asarray(board, jnp.int8)
  turned = board[::-1]
  turned = jnp.where((turned >= 1) & (turned <= 12), turned + 12,
                     jnp.where((turned >= 13) & (turned <= 24), turned - 12, turned)).astype(jnp.int8)
  own = jnp.where(state.player == 1, turned, board)
  return _finish(config, state._replace(board=own, zhash=_hash(own)))


def _deploy(config: RulesConfig, state: State, action) -> State:
  order = jnp.asarray(P.placement_order(config.variant), jnp.int8)
  n = P.num_pieces(config.variant)
  i = jnp.clip(action, 0, 39)
  piece = order[jnp.clip(state.placed % n, 0, n - 1)]
  sq = jnp.asarray(_SETUP)[i]
  board = state.board.at[sq].set(piece)
  zhash = state.zhash + jnp.asarray(_ZFLAT)[piece.astype(jnp.int32) * 100 + sq]
  return _after_deploy(config, state._replace(zhash=zhash), board, state.placed + 1)


def _after_deploy(config: RulesConfig, state: State, board, placed) -> State:
  n = P.num_pieces(config.variant)
  player = jnp.where(placed >= 2 * n, 0, placed // n).astype(jnp.int32)
  state = state._replace(board=board, placed=placed)
  flipped = _flip(state)
  return jax.tree.map(lambda f, s: jnp.where(player != state.player, f, s), flipped, state)._replace(
      player=player)


def _flip(state: State) -> State:
  """The same position in the other player's frame (turned 180 degrees, colours swapped)."""
  b = state.board[::-1]
  b = jnp.where((b >= 1) & (b <= 12), b + 12, jnp.where((b >= 13) & (b <= 24), b - 12, b))
  return state._replace(board=b.astype(jnp.int8), revealed=state.revealed[::-1], moved=state.moved[::-1],
                        last_moves=state.last_moves[::-1], ban=state.ban[::-1], chase_sq=state.chase_sq[::-1],
                        chase_n=state.chase_n[::-1], chase_hash=state.chase_hash[::-1])


def _hash(board) -> jax.Array:
  return jnp.sum(jnp.asarray(_ZFLAT)[board.astype(jnp.int32) * 100 + _SQ], dtype=jnp.uint32)


def _opponent_last(state: State):
  """The opponent's last move in the acting player's frame: (from, to, was_attack)."""
  m = state.last_moves[1, 2]
  return jnp.where(m[0] >= 0, 99 - m[0], -1), jnp.where(m[1] >= 0, 99 - m[1], -1), m[2] > 0


def _move(config: RulesConfig, state: State, action) -> State:
  p = state.player
  a = jnp.clip(action - T.NUM_DEPLOY_ACTIONS, 0, T.NUM_MOVE_ACTIONS - 1)
  src, j = a // 18, a % 18
  dst = jnp.asarray(T.TARGET)[src, j]
  far = jnp.asarray(T.DIST)[src, j] > 1
  board = state.board
  ca, cd = board[src].astype(jnp.int32), board[dst].astype(jnp.int32)
  kd = cd - P.BLUE_OFFSET
  attack = cd != P.EMPTY
  flag = attack & (kd == P.FLAG)
  bomb = kd == P.BOMB
  sa, sd = jnp.asarray(_STRENGTH)[ca], jnp.asarray(_STRENGTH)[jnp.clip(kd, 0, 12)]
  att_wins = attack & (flag | jnp.where(bomb, ca == P.MINER, ((ca == P.SPY) & (kd == P.MARSHAL)) | (sa > sd)))
  tie = attack & ~bomb & ~flag & ~att_wins & (sa == sd)
  def_wins = attack & ~att_wins & ~tie
  new_dst = jnp.where(~attack | att_wins, ca, jnp.where(tie, 0, cd)).astype(jnp.int8)
  new_board = board.at[src].set(0).at[dst].set(new_dst)
  revealed = state.revealed.at[src].set(False).at[dst].set(
      jnp.where(attack, ~tie, state.revealed[src] | far))
  moved = state.moved.at[src].set(False).at[dst].set(
      jnp.where(~attack | att_wins, True, jnp.where(tie, False, state.moved[dst])))

  # More-squares bookkeeping (see the module docstring).
  of, ot, oatt = _opponent_last(state)
  adjacent = (jnp.abs(dst // 10 - ot // 10) + jnp.abs(dst % 10 - ot % 10)) == 1
  is_chase = ~attack & (ot >= 0) & ~oatt & adjacent
  cont = is_chase & (state.chase_sq[0] >= 0) & (of == state.chase_sq[0])
  n = state.chase_n[0]
  k = config.chase_memory
  h_after = (state.zhash - jnp.asarray(_ZFLAT)[ca * 100 + src] - jnp.asarray(_ZFLAT)[cd * 100 + dst]
             + jnp.asarray(_ZFLAT)[new_dst.astype(jnp.int32) * 100 + dst])
  hashes = jnp.where(cont, state.chase_hash[0].at[n % k].set(h_after),
                     jnp.zeros(k, jnp.uint32).at[0].set(h_after))
  chase_hash = state.chase_hash.at[0].set(hashes)
  chase_n = state.chase_n.at[0].set(jnp.where(is_chase, jnp.where(cont, n + 1, 1), 0))
  chase_sq = state.chase_sq.at[0].set(jnp.where(is_chase, ot, -1))

  mine = jnp.stack([src, dst, attack.astype(jnp.int32)])
  mine3 = jnp.concatenate([state.last_moves[0, 1:], mine[None]], 0)
  last_moves = state.last_moves.at[0].set(mine3)
  ban = state.ban.at[0].set(_two_square_ban(mine3))
  result = jnp.where(~attack, RESULT_MOVE, jnp.where(att_wins, RESULT_ATTACKER_WON,
                                                     jnp.where(def_wins, RESULT_DEFENDER_WON, RESULT_BOTH_REMOVED)))
  history = state.history
  if config.history:
    absq = lambda s: jnp.where(p == 1, 99 - s, s)
    entry = jnp.stack([absq(src), absq(dst), result, p])
    history = jnp.concatenate([entry[None], history[:-1]], 0)
  rewards = jnp.where(flag, jnp.where(p == 0, jnp.array([1.0, -1.0]), jnp.array([-1.0, 1.0])), state.rewards)
  moved_state = state._replace(
      board=new_board, revealed=revealed, moved=moved, num_moves=state.num_moves + 1,
      since_attack=jnp.where(attack, 0, state.since_attack + 1), terminal=flag,
      rewards=rewards.astype(jnp.float32), last_moves=last_moves, ban=ban, history=history,
      chase_sq=chase_sq, chase_n=chase_n, chase_hash=chase_hash, zhash=h_after)
  return _flip(moved_state)._replace(player=1 - p)


def _move_mask(config: RulesConfig, state: State) -> jax.Array:
  """bool[100, 18]: legal moves of the player to act (board in its frame)."""
  legal = _piece_moves(state)
  if config.two_square_rule:
    legal &= ~_two_square_forbidden(state)
  if config.more_squares_rule:
    legal &= ~_chase_forbidden(config, state, state.board.astype(jnp.int32))
  return legal


def _piece_moves(state: State) -> jax.Array:
  """bool[100, 18]: the moves the pieces of the player to act can make, repetition rules aside."""
  b2 = state.board.reshape(10, 10)  # int8: a quarter of the memory traffic of int32
  grid = jnp.pad(b2, 9, constant_values=P.LAKE)  # off the board blocks like a lake
  empty = grid == P.EMPTY
  target_ok = empty | ((grid > P.BLUE_OFFSET) & (grid < P.LAKE))
  movable = (b2 >= P.SPY) & (b2 <= P.MARSHAL)
  scout = b2 == P.SCOUT
  shifted = lambda x, k, dr, df: x[9 + k * dr:19 + k * dr, 9 + k * df:19 + k * df]
  rays = []
  for dr, df in T.DIR_STEP:
    rays.append(movable & shifted(target_ok, 1, dr, df))
    run = scout & shifted(empty, 1, dr, df)
    for k in range(2, 10):
      rays.append(run & shifted(target_ok, k, dr, df))
      run = run & shifted(empty, k, dr, df)
  return jnp.stack(rays).reshape(-1)[T.RAY_INDEX]


def repetition_forbidden(config: RulesConfig, state: State) -> jax.Array:
  """int8[100, 18]: which repetition rule forbids each move of the player to act now.

  Indexed like the move actions (action 40 + 18 * from_square + j, see the
  module docstring): `FORBIDDEN_TWO_SQUARES` or `FORBIDDEN_MORE_SQUARES` for
  a move its piece could make but that rule forbids (the two-squares rule
  where both do), `FORBIDDEN_NONE` for every other, legal or not a move at
  all. A rule the config turns off forbids nothing. For a game in play:
  while deploying or once over no move is legal, whatever this says.
  """
  moves = _piece_moves(state)
  none = jnp.zeros_like(moves)
  two = _two_square_forbidden(state) if config.two_square_rule else none
  more = _chase_forbidden(config, state, state.board.astype(jnp.int32)) if config.more_squares_rule else none
  return jnp.where(moves & two, FORBIDDEN_TWO_SQUARES,
                   jnp.where(moves & more, FORBIDDEN_MORE_SQUARES, FORBIDDEN_NONE)).astype(jnp.int8)


def _two_square_ban(m) -> jax.Array:
  """int32[5]: the ban a player's last three moves (int[3, 3], oldest first) put on its next move."""
  (f1, t1), (f2, t2), (f3, t3) = m[0, :2], m[1, :2], m[2, :2]
  chain = (f1 >= 0) & (t1 == f2) & (t2 == f3)
  rmin, rmax = jnp.minimum(f1 // 10, t1 // 10), jnp.maximum(f1 // 10, t1 // 10)
  fmin, fmax = jnp.minimum(f1 % 10, t1 % 10), jnp.maximum(f1 % 10, t1 % 10)
  inside = lambda s: (s // 10 >= rmin) & (s // 10 <= rmax) & (s % 10 >= fmin) & (s % 10 <= fmax)
  active = chain & inside(t2) & inside(t3)
  return jnp.stack([jnp.where(active, t3, -1), rmin, rmax, fmin, fmax]).astype(jnp.int32)


def _two_square_forbidden(state: State) -> jax.Array:
  # Only constant tables and per-game scalars here: XLA fuses this into every use of the
  # mask, so anything computed per target would be computed many times over.
  sq, rmin, rmax, fmin, fmax = (state.ban[0, i] for i in range(5))
  return ((_SQ[:, None] == sq) & (_TARGET_RANK >= rmin) & (_TARGET_RANK <= rmax)
          & (_TARGET_FILE >= fmin) & (_TARGET_FILE <= fmax))


def _chase_forbidden(config: RulesConfig, state: State, b) -> jax.Array:
  p = state.player
  of, ot, oatt = _opponent_last(state)
  continuing = (state.chase_sq[0] >= 0) & (of == state.chase_sq[0]) & ~oatt & (ot >= 0)
  r, f = ot // 10, ot % 10
  adj = jnp.stack([ot - 10, ot + 10, ot - 1, ot + 1])
  adj_ok = jnp.stack([r > 0, r < 9, f > 0, f < 9]) & continuing
  adj = jnp.clip(adj, 0, 99)
  adj_ok &= b[adj] == P.EMPTY  # a chasing move is not an attack
  src = jnp.asarray(T.TARGET)[adj]  # [4, 18] squares on the lines through each target
  piece = b[src]
  h = state.zhash
  after = h - jnp.asarray(_ZFLAT)[piece * 100 + src] + jnp.asarray(_ZFLAT)[piece * 100 + adj[:, None]]
  k = config.chase_memory
  valid = jnp.arange(k) < jnp.minimum(state.chase_n[0], k)
  seen = jnp.any((after[:, :, None] == state.chase_hash[0][None, None, :]) & valid, axis=-1)
  bad = seen & adj_ok[:, None] & (piece >= P.SPY) & (piece <= P.MARSHAL)  # [4, 18]
  action = src * 18 + jnp.asarray(T.INVERSE)[adj]
  return jnp.zeros(T.NUM_MOVE_ACTIONS, bool).at[action.reshape(-1)].max(bad.reshape(-1)).reshape(100, 18)


def _can_move_simple(b, side_offset: int) -> jax.Array:
  """Whether a side has a movable piece next to an empty or enemy square (rules like two-squares ignored)."""
  movable = (b >= P.SPY + side_offset) & (b <= P.MARSHAL + side_offset)
  enemy_lo = P.BOMB + P.BLUE_OFFSET - side_offset
  free = (b == P.EMPTY) | ((b >= enemy_lo) & (b <= enemy_lo + 11))
  grid = jnp.pad(free.reshape(10, 10), 1)
  near = grid[:-2, 1:-1] | grid[2:, 1:-1] | grid[1:-1, :-2] | grid[1:-1, 2:]
  return jnp.any(movable.reshape(10, 10) & near)


def _finish(config: RulesConfig, state: State) -> State:
  """Computes the legal actions of the player to act, then ends the game where the rules say."""
  deploying = state.placed < _total(config)
  limit = ~deploying & ((state.num_moves >= config.max_moves) |
                        (state.since_attack >= config.max_moves_since_attack))
  # Everything that ends the game without looking at the legal moves is known here, so the mask
  # is final as computed (no second pass over it, which XLA would fuse into a recomputation).
  over = state.terminal | limit
  deploy_mask = (state.board[_SETUP] == P.EMPTY) & deploying & ~over
  move_mask = _move_mask(config, state).reshape(-1) & ~deploying & ~over
  legal = jnp.concatenate([deploy_mask, move_mask])
  stuck = ~deploying & ~over & ~jnp.any(move_mask)
  lose = stuck & _can_move_simple(state.board.astype(jnp.int32), P.BLUE_OFFSET)
  draw = (stuck & ~lose) | (limit & ~state.terminal)
  loser_rewards = jnp.where(state.player == 0, jnp.array([-1.0, 1.0]), jnp.array([1.0, -1.0]))
  rewards = jnp.where(lose, loser_rewards, state.rewards).astype(jnp.float32)
  return state._replace(legal=legal, terminal=state.terminal | lose | draw, rewards=rewards)


@functools.partial(jax.jit, static_argnums=0)
def jit_step(config: RulesConfig, state: State, action) -> State:
  return step(config, state, action)


@functools.partial(jax.jit, static_argnums=0)
def jit_init_deployment(config: RulesConfig) -> State:
  return init_deployment(config)


@functools.partial(jax.jit, static_argnums=0)
def jit_init_from_board(config: RulesConfig, board) -> State:
  return init_from_board(config, board)


@functools.partial(jax.jit, static_argnums=0)
def jit_deploy_setup(config: RulesConfig, state: State, setup) -> State:
  return deploy_setup(config, state, setup)


@functools.partial(jax.jit, static_argnums=0)
def jit_replace_pieces(config: RulesConfig, state: State, board) -> State:
  return replace_pieces(config, state, board)
