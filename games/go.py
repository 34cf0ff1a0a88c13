"""Go through OpenSpiel's C++ `go` game: rules, coordinates, boards and area scoring.

OpenSpiel's `go` (pyspiel 2.0.2) makes these rule choices, and this project
inherits them everywhere (GTP engine, SGF replay, datasets):

- Area scoring, Tromp-Taylor style: a player's score is their stones on the
  board plus the empty regions that reach only their stones; komi goes to
  White and, with a handicap of 2 or more, White also gets one point per
  handicap stone. No dead-stone removal: every stone on the board counts.
- Suicide is illegal (a move that leaves its own group without liberties).
- Simple ko is forbidden: a move may not retake a ko at once.
- Any non-pass move that repeats an earlier board position (positional
  superko) is legal but ends the game at once as a draw (returns 0, 0).
- Two passes in a row end the game; so does reaching `max_game_length`
  actions (default 2 * N * N), after which the board is scored as it stands.
- Actions: point (row, col) is action `row * N + col`, row 0 being the bottom
  rank (GTP "A1" is action 0); pass is action `N * N`. Player 0 is Black,
  player 1 is White.
- Handicap: OpenSpiel's `handicap` parameter (2..9) puts Black's stones on
  19x19 star points (the GTP spec's fixed placement), lets White move first
  and adds the handicap points to White's score; it works on 19x19 only.
  On any board, `initial_state` below places setup stones (an SGF's AB/AW)
  as alternating moves, a pass standing in for the colour that has run out,
  and leaves the right side to move; OpenSpiel's returns then carry no
  handicap points (score with `area_score(board, komi, handicap)`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import pyspiel

BLACK = 0
WHITE = 1
MIN_SIZE = 2
MAX_SIZE = 19  # OpenSpiel's go board is at most 19x19.
_GTP_LETTERS = "ABCDEFGHJKLMNOPQRST"  # GTP and OpenSpiel skip the letter I.

# Board cell values used by every array board in this project.
EMPTY_CELL, BLACK_CELL, WHITE_CELL = 0, 1, -1


@dataclasses.dataclass(frozen=True)
class GoConfig:
  """One Go game's parameters.

  Attributes:
    board_size: N for an N x N board, 2..19 (9, 13 and 19 are the usual ones).
    komi: points added to White's area score.
    handicap: OpenSpiel's handicap, 0 or 2..9 on 19x19 only: Black's stones on
      the star points, White to move, White gets one point per stone. For
      other boards place stones with `initial_state(..., black_stones)`.
    max_game_length: most actions before the game ends and is scored; 0 means
      OpenSpiel's default of 2 * N * N.
  """
  board_size: int = 9
  komi: float = 7.5
  handicap: int = 0
  max_game_length: int = 0

  def __post_init__(self):
    if not math.isfinite(self.komi):
      raise ValueError(f"komi must be a finite number, got {self.komi}")
    if not MIN_SIZE <= self.board_size <= MAX_SIZE:
      raise ValueError(f"board_size must be in {MIN_SIZE}..{MAX_SIZE}, got {self.board_size}")
    if self.handicap not in (0, *range(2, 10)):
      raise ValueError(f"handicap must be 0 or 2..9, got {self.handicap}")
    if self.handicap and self.board_size != 19:
      raise ValueError("OpenSpiel places handicap stones on 19x19 only; on a "
                       f"{self.board_size}x{self.board_size} board use setup stones")
    if self.max_game_length < 0:
      raise ValueError(f"max_game_length must be >= 0, got {self.max_game_length}")

  @property
  def pass_action(self) -> int:
    return self.board_size * self.board_size

  @property
  def game_string(self) -> str:
    params = [f"board_size={self.board_size}", f"komi={float(self.komi)}"]
    if self.handicap:
      params.append(f"handicap={self.handicap}")
    if self.max_game_length:
      params.append(f"max_game_length={self.max_game_length}")
    return f"go({','.join(params)})"


def load_game(cfg: GoConfig) -> pyspiel.Game:
  """OpenSpiel's go game for `cfg`."""
  return pyspiel.load_game(cfg.game_string)


def setup_actions(size: int, black_stones: Sequence[int] = (), white_stones: Sequence[int] = (),
                  to_play: int | None = None) -> list[int]:
  """OpenSpiel actions that put setup stones on an empty board, passes filling the gaps.

  Stones alternate Black, White, Black, ...; where one colour has run out its
  turns are passes, so no two passes ever follow each other. A final pass is
  added if needed so that `to_play` moves next; by default White moves next
  after Black stones alone (handicap) and Black otherwise.
  """
  pass_action = size * size
  blacks, whites = list(black_stones), list(white_stones)
  actions: list[int] = []
  turn = BLACK
  while blacks or whites:
    stones = blacks if turn == BLACK else whites
    actions.append(stones.pop(0) if stones else pass_action)
    turn = 1 - turn
  if to_play is None:
    to_play = WHITE if black_stones and not white_stones else BLACK
  if actions and turn != to_play:
    actions.append(pass_action)
  elif not actions and to_play == WHITE:
    actions.append(pass_action)
  return actions


def initial_state(game: pyspiel.Game, black_stones: Sequence[int] = (),
                  white_stones: Sequence[int] = (), to_play: int | None = None) -> pyspiel.State:
  """A new state with setup stones (handicap or a position) placed, via `setup_actions`.

  ValueError if a stone cannot be placed (occupied, or it would capture or be captured).
  """
  size = game.get_parameters()["board_size"]
  state = game.new_initial_state()
  if not (black_stones or white_stones or to_play is not None):
    return state
  if state.history() or np.count_nonzero(board_of(state)):
    raise ValueError("setup stones need a game without OpenSpiel's handicap")
  for action in setup_actions(size, black_stones, white_stones, to_play):
    if action not in state.legal_actions():
      raise ValueError(f"setup stone {action_to_gtp(action, size)} cannot be placed")
    before = np.count_nonzero(board_of(state))
    state.apply_action(action)
    if action != size * size and np.count_nonzero(board_of(state)) != before + 1:
      raise ValueError(f"setup stone {action_to_gtp(action, size)} captures stones")
  return state


# --- Coordinates --------------------------------------------------------------------------


def action_to_point(action: int, size: int) -> tuple[int, int] | None:
  """(row, col) with row 0 at the bottom, or None for pass."""
  if action == size * size:
    return None
  if not 0 <= action < size * size:
    raise ValueError(f"action {action} is off a {size}x{size} board")
  return divmod(action, size)


def point_to_action(point: tuple[int, int] | None, size: int) -> int:
  if point is None:
    return size * size
  row, col = point
  if not (0 <= row < size and 0 <= col < size):
    raise ValueError(f"point {point} is off a {size}x{size} board")
  return row * size + col


def action_to_gtp(action: int, size: int) -> str:
  """GTP vertex such as 'D4' or 'pass'."""
  point = action_to_point(action, size)
  if point is None:
    return "pass"
  row, col = point
  return f"{_GTP_LETTERS[col]}{row + 1}"


def gtp_to_action(vertex: str, size: int) -> int:
  """Action of a GTP vertex ('d4', 'D4', 'pass'); ValueError if it is not one on this board."""
  v = vertex.strip().upper()
  if v == "PASS":
    return size * size
  if len(v) < 2 or v[0] not in _GTP_LETTERS or not v[1:].isdigit():
    raise ValueError(f"'{vertex}' is not a vertex")
  col, row = _GTP_LETTERS.index(v[0]), int(v[1:]) - 1
  if not (0 <= row < size and 0 <= col < size):
    raise ValueError(f"'{vertex}' is off a {size}x{size} board")
  return row * size + col


def fixed_handicap(size: int, stones: int) -> list[int]:
  """Actions of the GTP spec's fixed handicap placement; ValueError where the spec has none.

  Star points on the 3rd line below 13x13 and the 4th line from 13x13 up:
  2 stones at opposite corners, 3 and 4 fill the corners, 5 adds the centre, 6
  the side points of the middle rank, 7 the centre, 8 the side points of the
  middle file, 9 the centre. Boards below 7x7 have none; even sizes and 7x7
  stop at 4.
  """
  most = 0 if size < 7 else (4 if size % 2 == 0 or size == 7 else 9)
  if not 2 <= stones <= most:
    raise ValueError(f"no fixed handicap of {stones} stones on {size}x{size} (2..{most})")
  lo = 2 if size < 13 else 3
  hi, mid = size - 1 - lo, size // 2
  corners = [(lo, lo), (hi, hi), (hi, lo), (lo, hi)]  # (row, col): D4, Q16, D16, Q4 on 19x19.
  sides = [(mid, lo), (mid, hi)]  # D10, Q10.
  files = [(lo, mid), (hi, mid)]  # K4, K16.
  points = corners[:min(stones, 4)]
  if stones >= 6:
    points += sides
  if stones >= 8:
    points += files
  if stones % 2 == 1 and stones >= 5:
    points.append((mid, mid))
  return [r * size + c for r, c in points]


# --- Boards and area scoring ---------------------------------------------------------------


def board_of(state: pyspiel.State) -> np.ndarray:
  """int8 [N, N] board of `state`: +1 Black, -1 White, 0 empty; [row, col], row 0 at the bottom."""
  planes = np.asarray(state.observation_tensor(0), dtype=np.float32)
  size = int(round((planes.size / 4) ** 0.5))
  planes = planes.reshape(4, size, size)
  return (planes[0] - planes[1]).astype(np.int8)


def to_play_of(state: pyspiel.State) -> int:
  """BLACK or WHITE: whose turn it is (also at a terminal state)."""
  planes = np.asarray(state.observation_tensor(0), dtype=np.float32)
  return WHITE if planes[-1] > 0.5 else BLACK


def side_to_move_planes(board: np.ndarray, to_play: int) -> np.ndarray:
  """uint8 [2, N, N]: plane 0 the side to move's stones, plane 1 the opponent's."""
  own = BLACK_CELL if to_play == BLACK else WHITE_CELL
  return np.stack([board == own, board == -own]).astype(np.uint8)


def neighbours(row: int, col: int, size: int):
  if row > 0:
    yield row - 1, col
  if row + 1 < size:
    yield row + 1, col
  if col > 0:
    yield row, col - 1
  if col + 1 < size:
    yield row, col + 1


def group_and_liberties(board: np.ndarray, row: int, col: int) -> tuple[set, set]:
  """The stones of the group at (row, col) and its liberties (sets of points)."""
  colour = board[row, col]
  if colour == EMPTY_CELL:
    raise ValueError(f"no stone at {(row, col)}")
  size = board.shape[0]
  stones, liberties, stack = {(row, col)}, set(), [(row, col)]
  while stack:
    r, c = stack.pop()
    for n in neighbours(r, c, size):
      if board[n] == EMPTY_CELL:
        liberties.add(n)
      elif board[n] == colour and n not in stones:
        stones.add(n)
        stack.append(n)
  return stones, liberties


def area(board: np.ndarray) -> tuple[int, int]:
  """(black, white) Tromp-Taylor area: stones plus empty regions reaching only that colour."""
  size = board.shape[0]
  black = int(np.sum(board == BLACK_CELL))
  white = int(np.sum(board == WHITE_CELL))
  seen = np.zeros(board.shape, dtype=bool)
  for r in range(size):
    for c in range(size):
      if board[r, c] != EMPTY_CELL or seen[r, c]:
        continue
      region, reached, stack = 0, set(), [(r, c)]
      seen[r, c] = True
      while stack:
        p = stack.pop()
        region += 1
        for n in neighbours(*p, size):
          if board[n] == EMPTY_CELL:
            if not seen[n]:
              seen[n] = True
              stack.append(n)
          else:
            reached.add(int(board[n]))
      if reached == {BLACK_CELL}:
        black += region
      elif reached == {WHITE_CELL}:
        white += region
  return black, white


def area_score(board: np.ndarray, komi: float, handicap: int = 0) -> float:
  """Black's area minus White's, minus komi (and the handicap, as OpenSpiel scores it)."""
  black, white = area(board)
  score = float(black - white) - komi
  if handicap >= 2:
    score -= handicap
  return score


def score_string(score: float) -> str:
  """GTP/SGF result of a Black-minus-White score: 'B+3.5', 'W+0.5' or '0'."""
  if score > 0:
    return f"B+{score:g}"
  if score < 0:
    return f"W+{-score:g}"
  return "0"


def parse_score(result: str) -> float:
  """Black-minus-White score of a result such as 'B+3.5', 'W+0.5' or '0'; ValueError otherwise."""
  text = result.strip().upper()
  if text in ("0", "DRAW", "JIGO"):
    return 0.0
  if len(text) > 2 and text[:2] in ("B+", "W+"):
    try:
      value = float(text[2:])
    except ValueError:
      raise ValueError(f"'{result}' is not a numeric result") from None
    return value if text[0] == "B" else -value
  raise ValueError(f"'{result}' is not a numeric result")


def remove_stones(board: np.ndarray, points: Sequence[tuple[int, int]]) -> np.ndarray:
  """A copy of `board` with the stones at `points` taken off (e.g. dead stones)."""
  out = board.copy()
  for p in points:
    out[p] = EMPTY_CELL
  return out


def is_eye(board: np.ndarray, row: int, col: int, colour: int) -> bool:
  """Whether empty (row, col) is a one-point eye of `colour` (+1/-1) that filling would waste.

  All orthogonal neighbours are `colour`; of the diagonal neighbours at most one
  is the opponent's in the middle of the board and none on the edge.
  """
  size = board.shape[0]
  if board[row, col] != EMPTY_CELL:
    return False
  if any(board[n] != colour for n in neighbours(row, col, size)):
    return False
  diagonals = [(row + dr, col + dc) for dr in (-1, 1) for dc in (-1, 1)]
  on_board = [d for d in diagonals if 0 <= d[0] < size and 0 <= d[1] < size]
  enemy = sum(1 for d in on_board if board[d] == -colour)
  return enemy == 0 if len(on_board) < 4 else enemy <= 1


def board_to_string(board: np.ndarray) -> str:
  """Text board with GTP coordinates: X Black, O White, '.' empty, top rank first."""
  size = board.shape[0]
  letters = " ".join(_GTP_LETTERS[:size])
  lines = [f"   {letters}"]
  for row in range(size - 1, -1, -1):
    cells = " ".join({BLACK_CELL: "X", WHITE_CELL: "O"}.get(int(v), ".") for v in board[row])
    lines.append(f"{row + 1:2d} {cells} {row + 1}")
  lines.append(f"   {letters}")
  return "\n".join(lines)


# --- Symmetries and network inputs ---------------------------------------------------------


def symmetry_permutations(size: int) -> np.ndarray:
  """int32 [8, N*N + 1]: where each of the board's 8 symmetries sends each action (pass stays).

  Symmetry k rotates the board k % 4 quarter turns anticlockwise, after
  reflecting it in the vertical axis when k >= 4; 0 is the identity. A board
  moves with its actions: `new.flat[perm[k]] = old.flat` (the stone on point
  a goes to point perm[k][a]).
  """
  rows, cols = np.divmod(np.arange(size * size), size)
  out = np.empty((8, size * size + 1), np.int32)
  for k in range(8):
    r, c = rows, (size - 1 - cols if k >= 4 else cols)
    for _ in range(k % 4):
      r, c = c, size - 1 - r  # a quarter turn anticlockwise, row 0 at the bottom
    out[k, :-1] = r * size + c
    out[k, -1] = size * size
  return out


def observation_from_planes(planes: np.ndarray, to_play: np.ndarray) -> np.ndarray:
  """OpenSpiel's go observation tensors, float32 [B, 4 * N * N], from dataset rows.

  Args:
    planes: uint8 [B, 2, N, N]: the side to move's stones, then the opponent's.
    to_play: int [B]: BLACK or WHITE to move.

  The planes of OpenSpiel's tensor are Black's stones, White's, the empty
  points, and a plane of ones when White is to move.
  """
  planes = np.asarray(planes, np.float32)
  white = (np.asarray(to_play) == WHITE)[:, None, None]
  black_stones = np.where(white, planes[:, 1], planes[:, 0])
  white_stones = np.where(white, planes[:, 0], planes[:, 1])
  empty = 1.0 - black_stones - white_stones
  turn = np.broadcast_to(white, black_stones.shape).astype(np.float32)
  return np.stack([black_stones, white_stones, empty, turn], axis=1).reshape(len(planes), -1)
