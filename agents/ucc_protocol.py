"""The UCC 2012 Stratego protocol's words, and their mapping to this project's squares and pieces.

The protocol is the one the `stratego` manager of the 2012 UCC programming
competition speaks to its bots (braathwaate/strategoevaluator,
doc/manager_manual.txt, section PROTOCOL). Both sides of this project use
this module: `agents.ucc` (a bot as an agent) and `agents.ucc_bot` (an agent
as a bot). Lines as the bot sees them:

  >> RED|BLUE OPPONENT 10 10          setup: the bot answers four rows of ten
  << ROW1 .. ROW4                     piece letters, top row of the board first
  >> START                            RED only, on its first turn
  >> X Y DIRECTION [N] OUTCOME        the opponent's last move otherwise
  >> ten board rows                   own pieces by letter, enemies `#`,
                                      lakes `+`, empty `.`
  << X Y DIRECTION [N]                the bot's move (or SURRENDER)
  >> X Y DIRECTION [N] OUTCOME        the manager repeats it with its outcome
  >> QUIT [RESULT]                    the game is over

OUTCOME is OK, KILLS A D, DIES A D, BOTHDIE A D (A and D the attacker's and
the defender's letters), VICTORY_FLAG, VICTORY_ATTRITION or ILLEGAL.
Letters: 1 marshal, 2 general, 3 colonel, 4 major, 5 captain, 6 lieutenant,
7 sergeant, 8 miner, 9 scout, s spy, B bomb, F flag.

Squares. The manager's board has x 0-9 left to right and y 0-9 top to bottom,
RED at the top (y 0-3) and BLUE at the bottom. It is this project's board
turned 180 degrees (so no side is mirrored): y = rank - 1 and x = 9 - file,
so (0, 0) is j1 and (9, 9) is a10. Red's home rows are ranks 1-4 in both.
UP is towards rank 1, DOWN towards rank 10, LEFT towards file j, RIGHT
towards file a. A BLUE setup row reads as Blue's own setup letters do
(front row first, j7 first); a RED one runs a-to-j reversed, back row first.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from games.stratego import notation
from games.stratego import pieces as P

SIZE = 10
COLOURS = ("RED", "BLUE")
# Letter of each piece type (index = type, see games.stratego.pieces).
LETTERS = ".Bs987654321F"
_TYPE_OF = {ch: t for t, ch in enumerate(LETTERS) if t}
DIRECTIONS = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}
OUTCOMES_WITH_RANKS = ("KILLS", "DIES", "BOTHDIE")
MOVE_SHAPE = "X Y DIRECTION [MULTIPLIER]"


def square_xy(square: int) -> tuple[int, int]:
  """Square index (Red's frame, a1 = 0) -> the manager's (x, y)."""
  return SIZE - 1 - square % SIZE, square // SIZE


def xy_square(x: int, y: int) -> int:
  """The manager's (x, y) -> square index; ValueError off the board."""
  if not (0 <= x < SIZE and 0 <= y < SIZE):
    raise ValueError(f"({x}, {y}) is off the board")
  return y * SIZE + SIZE - 1 - x


def letter(piece_type: int) -> str:
  """Piece type 1-12 -> the protocol's letter."""
  return LETTERS[piece_type]


def piece_type(ch: str) -> int:
  """The protocol's letter -> piece type 1-12; ValueError for anything else."""
  if ch not in _TYPE_OF:
    raise ValueError(f"'{ch}' is not a piece letter (1-9, s, B, F)")
  return _TYPE_OF[ch]


class Move(NamedTuple):
  """A move as the protocol writes it: `X Y DIRECTION [MULTIPLIER]`."""
  x: int
  y: int
  direction: str
  multiplier: int = 1

  def squares(self) -> tuple[int, int]:
    """(from, to) square indices; ValueError if either is off the board."""
    dx, dy = DIRECTIONS[self.direction]
    src = xy_square(self.x, self.y)
    return src, xy_square(self.x + dx * self.multiplier, self.y + dy * self.multiplier)

  def __str__(self) -> str:
    tail = f" {self.multiplier}" if self.multiplier != 1 else ""
    return f"{self.x} {self.y} {self.direction}{tail}"


def move_between(src: int, dst: int) -> Move:
  """The protocol's move from square `src` to `dst` (on one row or column)."""
  (x0, y0), (x1, y1) = square_xy(src), square_xy(dst)
  if (x0 != x1) == (y0 != y1):
    raise ValueError(f"{notation.square_name(src)}-{notation.square_name(dst)} is not along a row or column")
  step = ((x1 > x0) - (x1 < x0), (y1 > y0) - (y1 < y0))
  direction = next(d for d, v in DIRECTIONS.items() if v == step)
  return Move(x0, y0, direction, abs(x1 - x0) + abs(y1 - y0))


def parse_move(tokens: Sequence[str]) -> Move:
  """`X Y DIRECTION [MULTIPLIER]` as tokens -> Move; ValueError saying what is wrong (squares unchecked)."""
  if len(tokens) not in (3, 4):
    raise ValueError(f"{len(tokens)} words, not 3 or 4")
  numbers = [tokens[i] for i in (0, 1, 3) if i < len(tokens)]
  for word in numbers:
    if not word.lstrip("-").isdigit():
      raise ValueError(f"'{word}' is not a whole number")
  x, y = int(tokens[0]), int(tokens[1])
  multiplier = int(tokens[3]) if len(tokens) == 4 else 1
  if tokens[2] not in DIRECTIONS:
    raise ValueError(f"direction '{tokens[2]}' is not UP, DOWN, LEFT or RIGHT")
  if multiplier < 1:
    raise ValueError(f"multiplier {multiplier} is not at least 1")
  return Move(x, y, tokens[2], multiplier)


class Report(NamedTuple):
  """A move line the manager sends: the move, its outcome word and, after a fight, both letters."""
  move: Move
  outcome: str
  ranks: tuple[int, int] | None = None

  def __str__(self) -> str:
    ranks = f" {letter(self.ranks[0])} {letter(self.ranks[1])}" if self.ranks else ""
    return f"{self.move} {self.outcome}{ranks}"


def parse_report(line: str) -> Report:
  """`X Y DIRECTION [N] OUTCOME [A D]` -> Report; ValueError saying what is wrong."""
  tokens = line.split()
  i = 4 if len(tokens) > 4 and tokens[3].lstrip("-").isdigit() else 3
  if len(tokens) <= i:
    raise ValueError(f"expected {MOVE_SHAPE} OUTCOME")
  move = parse_move(tokens[:i])
  outcome, rest = tokens[i], tokens[i + 1:]
  if outcome in OUTCOMES_WITH_RANKS:
    if len(rest) != 2:
      raise ValueError(f"{outcome} must be followed by the two pieces' letters")
    return Report(move, outcome, (piece_type(rest[0]), piece_type(rest[1])))
  if outcome not in ("OK", "VICTORY_FLAG", "VICTORY_ATTRITION", "ILLEGAL") or rest:
    raise ValueError(f"unknown outcome '{' '.join(tokens[i:])}'")
  return Report(move, outcome)


def _type(code: int) -> int:
  return int(code) - P.BLUE_OFFSET if code > P.BLUE_OFFSET else int(code)


def report(before: np.ndarray, after: np.ndarray, src: int, dst: int) -> Report:
  """The manager's line for the move src -> dst, read off the boards (Red's-frame codes) around it."""
  move = move_between(src, dst)
  attacker, defender = int(before[src]), int(before[dst])
  if defender == P.EMPTY:
    return Report(move, "OK")
  ranks = (_type(attacker), _type(defender))
  if ranks[1] == P.FLAG:
    return Report(move, "VICTORY_FLAG")
  if after[dst] == attacker:
    return Report(move, "KILLS", ranks)
  if after[dst] == defender:
    return Report(move, "DIES", ranks)
  return Report(move, "BOTHDIE", ranks)


def board_rows(board: np.ndarray, side: int) -> list[str]:
  """The ten rows the manager shows `side` (0 Red, 1 Blue): its pieces by letter, enemies `#`."""
  rows = []
  for y in range(SIZE):
    row = []
    for x in range(SIZE):
      code = int(board[xy_square(x, y)])
      if code == P.EMPTY:
        row.append(".")
      elif code == P.LAKE:
        row.append("+")
      elif (code > P.BLUE_OFFSET) == bool(side):
        row.append(letter(_type(code)))
      else:
        row.append("#")
    rows.append("".join(row))
  return rows


def _setup_xy(side: int, i: int) -> tuple[int, int]:
  """The manager's (x, y) of `side`'s setup letter i (games.stratego.notation's setup order)."""
  own = int(notation.SETUP_SQUARES[i])
  return square_xy(99 - own if side else own)


def setup_rows(setup: np.ndarray, side: int) -> list[str]:
  """Setup letters (int[40] types, front row first, own frame) -> the four rows a bot answers."""
  top = 0 if side == 0 else SIZE - 4
  grid = [["."] * SIZE for _ in range(4)]
  for i, t in enumerate(np.asarray(setup)):
    x, y = _setup_xy(side, i)
    grid[y - top][x] = letter(int(t)) if t else "."
  return ["".join(row) for row in grid]


def parse_setup(rows: Sequence[str], side: int, variant: P.Variant = P.Variant.CLASSIC) -> np.ndarray:
  """A bot's four setup rows -> int8[40] types in this project's setup order (front row first, own frame).

  Raises:
    ValueError: naming the first thing wrong (a row's length, a letter, a piece count).
  """
  if len(rows) != 4:
    raise ValueError(f"a setup has 4 rows, got {len(rows)}")
  for n, row in enumerate(rows, start=1):
    if len(row) != SIZE:
      raise ValueError(f"row {n} '{row}' has {len(row)} letters, not {SIZE}")
    for ch in row:
      if ch != "." and ch not in _TYPE_OF:
        raise ValueError(f"row {n} '{row}': '{ch}' is not a piece letter (1-9, s, B, F)")
  top = 0 if side == 0 else SIZE - 4
  setup = np.zeros(40, np.int8)
  for i in range(40):
    x, y = _setup_xy(side, i)
    ch = rows[y - top][x]
    setup[i] = 0 if ch == "." else _TYPE_OF[ch]
  want, got = P.counts(variant), np.bincount(setup, minlength=13)
  for t in range(1, 13):
    if got[t] != want[t]:
      raise ValueError(f"a {variant.value} setup has {want[t]} {P.TYPE_NAMES[t - 1]} ('{letter(t)}'), "
                       f"this one {got[t]}")
  return setup
