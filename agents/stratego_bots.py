"""Built-in Stratego players (the `heuristic[:NAME][:SEED]` agent specs on Stratego): rule-based, no search.

  scout     attacks known enemy pieces it beats, else probes unknown enemy
            pieces with scouts, else steps forward, else plays any legal move
  tracker   (the default) scores every legal move by its expected material
            gain, with a belief over each unknown enemy piece's rank, and plays
            the best (see `TrackerBot`)

What they know. Both read only the acting player's observation tensor
(`state.observation_tensor(player)`, laid out in `games/stratego/observation.py`)
and `state.legal_actions()`. The observation holds the player's own pieces, the
squares of the enemy's, which enemy pieces have moved, the ranks that battles
(and scouts' long moves) revealed, how many unrevealed enemy pieces of each rank
are left (known from the starting counts and the battles), and the last few
public moves. The hidden ranks of enemy pieces are not in it, and the legal
moves depend only on where pieces stand and on the moves played, so the bots
cannot read hidden ranks; `tests/test_stratego_bots.py` checks that two positions that differ
only in hidden ranks get the same moves. The bots keep no memory between calls:
a move depends on the observation, the legal actions and the seeded generator.

Deployment. Where the game lets the players place their pieces
(`deployment=play`), both bots place them one at a time with `placement_weights`:
the flag on the back row, bombs on the flag's free neighbours first (so in
barrage the one bomb stands next to the flag), the rest of the bombs in the back
three rows, scouts and the strongest pieces toward the front, miners toward the
back, the spy next to the general where it can, each square drawn at random
with those weights. With `deployment=random` or `file` the game deals.
"""

from __future__ import annotations

import numpy as np
import pyspiel

from agents import base
from core.errors import UserError
from games.stratego import notation
from games.stratego import observation
from games.stratego import pieces as P

# Values of captured pieces, by type (index 0 unused): roughly what each is worth to the side that has it.
VALUE = np.array([0, 3, 4, 2, 4, 3, 4, 5, 7, 9, 12, 16, 100], np.float64)
VALUABLE = 7.0        # pieces worth this or more (major and up) fear bombs: RISK times the loss
RISK = 3.0
INFO = (1.0, 2.0)     # worth of learning an unknown piece's rank by attacking it: (unmoved, moved)
REVEAL = 0.1          # cost, per unit of value, of showing the enemy an own piece's rank
PROGRESS = 0.5        # weight of getting closer to something worth attacking
FORWARD = 0.02        # weight of a step toward the enemy's side
REVERSE = 0.3         # cost of undoing one's own last move (history planes, where the game has them)
MINER_BONUS = 1.0     # a miner attacking an unmoved piece in the enemy's back two rows (a likely bomb)
ENTRY = 0.3           # an enemy piece next to a free square beside the own flag: this share of a capture
TIE = 0.05            # moves within this of the best score are equally good

# Observation planes read here (see games/stratego/observation.py).
_PLANE_OWN, _PLANE_OWN_REVEALED, _PLANE_KNOWN, _PLANE_STILL, _PLANE_MOVED = 0, 12, 14, 26, 27
_PLANE_UNACCOUNTED, _PLANE_DEPLOYING, _PLANE_NEXT_PIECE = 29, 41, 46

_MOVABLE = np.zeros(13, bool)
_MOVABLE[P.SPY:P.MARSHAL + 1] = True
_SQ = np.arange(100)
_RANK, _FILE = _SQ // 10, _SQ % 10
_DIST = np.abs(_RANK[:, None] - _RANK[None]) + np.abs(_FILE[:, None] - _FILE[None])
_ADJ = _DIST == 1
_FROM_TO = observation.action_from_to()


def _outcomes() -> np.ndarray:
  """int[13, 13]: attacker type a against defender type d: +1 the attacker wins, 0 both go, -1 it loses."""
  out = np.full((13, 13), -1, np.int64)  # bombs, flags and the empty index 0 never win an attack
  for a in range(P.SPY, P.MARSHAL + 1):
    for d in range(1, 13):
      if d == P.FLAG:
        out[a, d] = 1
      elif d == P.BOMB:
        out[a, d] = 1 if a == P.MINER else -1
      elif a == P.SPY and d == P.MARSHAL:
        out[a, d] = 1
      else:
        out[a, d] = int(np.sign(P.STRENGTH[a] - P.STRENGTH[d]))
  return out


OUTCOME = _outcomes()
_WINS = (OUTCOME == 1).astype(np.float64)
# GAIN[a, d]: material change for the attacker (a piece of type a) when it attacks a piece of type d.
GAIN = np.where(OUTCOME == 1, VALUE[None, :], np.where(OUTCOME == 0, VALUE[None, :] - VALUE[:, None],
                                                       -VALUE[:, None]))
_CAUTIOUS = GAIN.copy()
_CAUTIOUS[VALUE >= VALUABLE, P.BOMB] *= RISK


class View:
  """The acting player's observation, decoded: everything a bot may know (squares in the player's own frame).

  Attributes:
    own: int[100] own piece type on each square, 0 where none.
    own_revealed: bool[100] own pieces whose rank the enemy knows.
    enemy: bool[100] squares with an enemy piece.
    known: int[100] revealed enemy piece type, 0 where none or unknown.
    moved: bool[100] enemy pieces that have moved (revealed or not).
    belief: float[100, 13] each enemy piece's type distribution (one-hot where known).
    deploying: whether the players are placing their pieces; `next_piece` is the type placed next.
    last_move: (from, to) of the player's own last move where the history planes show it, else None.
  """

  def __init__(self, planes: np.ndarray, history: int):
    planes = np.asarray(planes).reshape(-1, 100)
    own_types = planes[_PLANE_OWN:_PLANE_OWN + 12] > 0
    self.own = np.where(own_types.any(0), own_types.argmax(0) + 1, 0)
    self.own_revealed = planes[_PLANE_OWN_REVEALED] > 0
    known_types = planes[_PLANE_KNOWN:_PLANE_KNOWN + 12] > 0
    self.known = np.where(known_types.any(0), known_types.argmax(0) + 1, 0)
    hidden_still, hidden_moved = planes[_PLANE_STILL] > 0, planes[_PLANE_MOVED] > 0
    self.enemy = (self.known > 0) | hidden_still | hidden_moved
    self.moved = hidden_moved | ((self.known > 0) & _MOVABLE[self.known])
    self.deploying = planes[_PLANE_DEPLOYING, 0] > 0
    self.next_piece = int(planes[_PLANE_NEXT_PIECE:_PLANE_NEXT_PIECE + 12, 0].argmax()) + 1 if self.deploying else 0
    self.last_move = None
    for k in range(history):
      base_plane = observation.FIXED_PLANES + observation.HISTORY_PLANES * k
      if planes[base_plane + 5, 0] > 0 and planes[base_plane].any():
        self.last_move = (int(planes[base_plane].argmax()), int(planes[base_plane + 1].argmax()))
        break
    # Belief over the unrevealed pieces: the unaccounted counts by type, where a piece that moved is no bomb
    # or flag, and the movable pieces that have not moved yet share the unmoved squares with bombs and flag.
    counts = np.zeros(13)
    counts[1:] = np.round(planes[_PLANE_UNACCOUNTED:_PLANE_UNACCOUNTED + 12, 0] * 8)  # stored as count / 8
    movable = counts * _MOVABLE
    n_movable, n_still, n_moved = movable.sum(), hidden_still.sum(), hidden_moved.sum()
    p_moved = movable / max(n_movable, 1)
    p_still = (counts - movable + movable * max(n_movable - n_moved, 0) / max(n_movable, 1)) / max(n_still, 1)
    self.belief = np.zeros((100, 13))
    self.belief[hidden_still] = p_still
    self.belief[hidden_moved] = p_moved
    self.belief[self.known > 0] = np.eye(13)[self.known[self.known > 0]]
    self.flag_square = int(np.flatnonzero(self.own == P.FLAG)[0]) if (self.own == P.FLAG).any() else -1


def observe(state: pyspiel.State) -> View:
  """The acting player's `View` of `state`, from its observation tensor only."""
  planes = np.asarray(state.observation_tensor(state.current_player()))
  history = (planes.size // 100 - observation.FIXED_PLANES) // observation.HISTORY_PLANES
  return View(planes, history)


def placement_weights(view: View, free: list[int]) -> np.ndarray:
  """Weights of the setup positions `free` (deployment actions 0-39) for the piece `view` places next."""
  squares = notation.SETUP_SQUARES[np.asarray(free)]
  row = _RANK[squares]  # 0 back row ... 3 front row
  piece = view.next_piece
  by_row = {P.FLAG: (1, 0, 0, 0), P.BOMB: (2, 2, 1, 0), P.MARSHAL: (0.5, 1, 2, 2), P.GENERAL: (0.5, 1, 2, 2),
            P.SCOUT: (0.5, 0.5, 1, 3), P.MINER: (2, 2, 1, 0.5), P.SPY: (0.5, 2, 2, 0.5)}
  w = np.asarray(by_row.get(piece, (1, 1, 1, 1)), np.float64)[row]
  if piece == P.BOMB and view.flag_square >= 0:
    next_to_flag = _ADJ[view.flag_square, squares]
    if next_to_flag.any():
      w = np.where(next_to_flag, 1.0, 0.0)
  if piece == P.SPY:
    near_general = _ADJ[np.flatnonzero(view.own == P.GENERAL)][:, squares].any(0)
    w = np.where(near_general, 3 * w, w)
  if _MOVABLE[piece]:  # a front-row square facing a lake only lets its piece out sideways
    w = np.where((row == 3) & np.isin(_FILE[squares], (2, 3, 6, 7)), 0.5 * w, w)
  if w.sum() <= 0:
    w = np.ones(len(free))
  return w / w.sum()


class _Bot(base.Agent):
  """Shared by the bots: deployment by `placement_weights`, and a pick among the best-scored moves."""

  def __init__(self, game: pyspiel.Game, seed: int = 0):
    if game.get_type().short_name != "stratego":
      raise ValueError(f"{type(self).__name__} plays stratego, not {game.get_type().short_name}")
    self._rng = np.random.default_rng(seed)

  def _move_probabilities(self, view: View, legal: np.ndarray) -> np.ndarray:
    """Probabilities over `legal` (move actions)."""
    raise NotImplementedError

  def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
    view = observe(state)
    legal = np.asarray(state.legal_actions(), np.int64)
    probs = placement_weights(view, list(legal)) if view.deploying else self._move_probabilities(view, legal)
    return {int(a): float(p) for a, p in zip(legal, probs) if p > 0}

  def step(self, state: pyspiel.State) -> int:
    probs = self.action_probabilities(state)
    actions = list(probs)
    return int(actions[self._rng.choice(len(actions), p=np.asarray([probs[a] for a in actions]))])


def _uniform(mask: np.ndarray) -> np.ndarray:
  return mask / mask.sum()


class ScoutBot(_Bot):
  """The first rule that has a move decides, uniform among its moves.

  1. Attack a known enemy piece this piece beats; the most valuable such target.
  2. Probe an unknown enemy piece with a scout.
  3. Step toward the enemy's side (no attack).
  4. Any legal move.
  """

  def _move_probabilities(self, view: View, legal: np.ndarray) -> np.ndarray:
    src, dst = _FROM_TO[legal].T
    mover = view.own[src]
    known = view.known[dst]
    beats = (known > 0) & (OUTCOME[mover, known] == 1)
    if beats.any():
      gain = np.where(beats, VALUE[known], -1.0)
      return _uniform(gain == gain.max())
    probe = (mover == P.SCOUT) & view.enemy[dst] & (known == 0)
    if probe.any():
      return _uniform(probe)
    forward = ~view.enemy[dst] & (_RANK[dst] > _RANK[src])
    if forward.any():
      return _uniform(forward)
    return _uniform(np.ones(len(legal)))


class TrackerBot(_Bot):
  """Scores each legal move and plays uniformly among those within `TIE` of the best.

  Scores are in piece values (`VALUE`: marshal 16 ... scout 2, flag 100). The
  belief over an unknown enemy piece's rank comes from the unaccounted counts:
  a piece that moved is none of the bombs or the flag; one that has not moved is
  a bomb or the flag, or one of the movable pieces that have not moved yet.

  An attack scores its expected material gain under that belief, a bomb costing
  pieces worth `VALUABLE` or more `RISK` times their value (so they leave
  unmoved pieces to scouts and miners); plus `INFO` for learning an unknown
  rank and `MINER_BONUS` for a miner on an unmoved piece in the enemy's back
  rows; less `REVEAL` for showing the attacker's rank; plus, if it wins, the
  danger it escapes on its square less the danger on the one it takes.

  A plain move scores that danger escaped (the expected loss if an adjacent
  enemy piece, by its belief, attacks: before minus after); plus `PROGRESS`
  times the gain in closeness to the most attractive enemy piece (the attack's
  score if positive, tripled for enemies within two squares of the own flag),
  plus `FORWARD` per rank gained, less `REVERSE` for undoing its own last move.

  Every move also scores how much it lowers the danger to the own flag
  (`_flag_danger`): an enemy piece next to it that can move, an unknown piece
  in open line with it that may be a scout, or (`ENTRY` times less) a piece that
  can step next to it; taking such a piece or blocking its way scores.
  """

  def _move_probabilities(self, view: View, legal: np.ndarray) -> np.ndarray:
    scores = self.scores(view, legal)
    return _uniform(scores >= scores.max() - TIE)

  def scores(self, view: View, legal: np.ndarray) -> np.ndarray:
    """float[len(legal)]: the score of each legal move (move actions only)."""
    src, dst = _FROM_TO[legal].T
    scores = np.zeros(len(legal))
    enemies = np.flatnonzero(view.enemy)
    # Expected loss per own type standing next to each enemy piece: P(it beats that type) * value.
    beaten_by = view.belief @ _WINS  # [100, 13]: P(the enemy piece on s beats a defender of type a)
    loss = beaten_by * VALUE[None, :]
    movable_p = view.belief @ _MOVABLE.astype(np.float64)
    near_flag = (_DIST[view.flag_square] <= 2) if view.flag_square >= 0 else np.zeros(100, bool)
    attack_score = self._attack_scores(view)  # [13, 100]
    rays = _rays(view.flag_square) if view.flag_square >= 0 else []
    on_ray = set(np.flatnonzero(_DIST[view.flag_square] <= 2)) if rays else set()
    reach = (movable_p, view.belief[:, P.SCOUT])
    flag_danger = _flag_danger(view, rays, reach, {})
    cache = {}

    def danger(a: int, square: int, revealed: bool) -> float:
      around = _ADJ[square] & view.enemy
      if not around.any():
        return 0.0
      return float(loss[around, a].max()) * (1.0 if revealed else 0.7)

    def closeness(a: int) -> np.ndarray:
      if a not in cache:
        attract = np.maximum(attack_score[a, enemies], 0.0) * np.where(near_flag[enemies], 3.0, 1.0)
        cache[a] = (attract[None, :] / (1.0 + _DIST[:, enemies])).max(1) if len(enemies) else np.zeros(100)
      return cache[a]

    for i, (f, t) in enumerate(zip(src, dst)):
      a = int(view.own[f])
      revealed = bool(view.own_revealed[f])
      if view.enemy[t]:
        p_win = float(view.belief[t] @ _WINS[a])
        scores[i] = attack_score[a, t] + p_win * (danger(a, f, revealed) - danger(a, t, True))
        if not revealed:
          scores[i] -= REVEAL * VALUE[a] * p_win
        if f in on_ray or t in on_ray:
          p_tie = float(view.belief[t] @ (OUTCOME[a] == 0))
          scores[i] += flag_danger - (p_win * _flag_danger(view, rays, reach, {f: _EMPTY, t: _OWN})
                                      + p_tie * _flag_danger(view, rays, reach, {f: _EMPTY, t: _EMPTY})
                                      + (1 - p_win - p_tie) * _flag_danger(view, rays, reach, {f: _EMPTY}))
      else:
        if f in on_ray or t in on_ray:
          scores[i] += flag_danger - _flag_danger(view, rays, reach, {f: _EMPTY, t: _OWN})
        far = _DIST[f, t] > 1
        scores[i] += (danger(a, f, revealed) - danger(a, t, revealed or far)
                     + PROGRESS * (closeness(a)[t] - closeness(a)[f]) + FORWARD * (_RANK[t] - _RANK[f]))
        if far and not revealed:
          scores[i] -= REVEAL * VALUE[a]
        if view.last_move is not None and (t, f) == view.last_move:
          scores[i] -= REVERSE
    return scores

  @staticmethod
  def _attack_scores(view: View) -> np.ndarray:
    """float[13, 100]: the score of an attack by an own piece of each type on each enemy square (0 elsewhere)."""
    scores = view.belief @ _CAUTIOUS.T  # [100, 13]: expected gain of each attacker type
    unknown = view.enemy & (view.known == 0)
    scores += np.where(unknown, np.where(view.moved, INFO[1], INFO[0]), 0.0)[:, None]
    back_rows = unknown & ~view.moved & (_RANK >= 8)
    scores[back_rows, P.MINER] += MINER_BONUS
    return np.where(view.enemy[:, None], scores, 0.0).T


_EMPTY, _OWN, _ENEMY = range(3)
_LAKE = np.isin(_SQ, P.LAKE_SQUARES)


def _rays(square: int) -> list[list[int]]:
  """The squares of `square`'s row and column, outward from it in each of the four directions, up to a lake."""
  rank, file = divmod(square, 10)
  out = []
  for dr, df in ((0, -1), (0, 1), (-1, 0), (1, 0)):
    ray, r, f = [], rank + dr, file + df
    while 0 <= r < 10 and 0 <= f < 10 and not _LAKE[r * 10 + f]:
      ray.append(r * 10 + f)
      r, f = r + dr, f + df
    out.append(ray)
  return out


def _flag_danger(view: View, rays: list[list[int]], reach: tuple[np.ndarray, np.ndarray],
                 change: dict[int, int]) -> float:
  """The flag's value times the likeliest threat to it: the first enemy piece on one of its rays, adjacent
  and able to move (`reach[0]`) or further off and a scout (`reach[1]`); or, `ENTRY` times less, an enemy
  piece that can move next to a free square beside the flag. `change` overrides what stands on some
  squares (`_EMPTY`, `_OWN`, `_ENEMY`)."""
  what = lambda s: change.get(s, _OWN if view.own[s] else (_ENEMY if view.enemy[s] else _EMPTY))  # noqa: E731
  worst = 0.0
  for ray in rays:
    for k, s in enumerate(ray):
      if what(s) == _EMPTY:
        continue
      if what(s) == _ENEMY:
        worst = max(worst, float(reach[0][s] if k == 0 else reach[1][s]))
      break
  for ray in rays:
    if ray and what(ray[0]) == _EMPTY:
      for e in np.flatnonzero(_ADJ[ray[0]]):
        if what(e) == _ENEMY:
          worst = max(worst, ENTRY * float(reach[0][e]))
  return worst * VALUE[P.FLAG]


BOTS = {"scout": ScoutBot, "tracker": TrackerBot}
DEFAULT = "tracker"


def make_bot(name: str | None, game: pyspiel.Game, seed: int = 0) -> base.Agent:
  """The bot called `name` (None: `DEFAULT`) playing `game`, seeded with `seed`.

  Raises:
    UserError: for a name that is not one of `BOTS`.
  """
  name = (name or DEFAULT).lower()
  if name not in BOTS:
    raise UserError(f"no Stratego bot '{name}'; the built-in ones are {', '.join(BOTS)}")
  return BOTS[name](game, seed)
