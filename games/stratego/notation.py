"""Board notation: 100-letter boards, squares like `e4`, moves like `e4-e5`, 40-letter setups.

Squares are numbered index = (rank - 1) * 10 + file, files a-j = 0-9, so a1 is 0
and j10 is 99, as Red sees the board. Blue sees it turned by 180 degrees: the
square Blue calls s is the square Red calls 99 - s.

A setup is 40 letters for one side's four home rows, front row (the one next to
the lakes) first, using Red letters; each row runs left to right as its owner
sees it. So Red's setup letter i stands on a4..j4, a3..j3, a2..j2, a1..j1, and
Blue's on j7..a7, j8..a8, j9..a9, j10..a10.
"""

from __future__ import annotations

import numpy as np

from games.stratego import pieces

FILES = "abcdefghij"


def square_name(index: int) -> str:
  """0 -> `a1`, 99 -> `j10`."""
  if not 0 <= index < 100:
    raise ValueError(f"square index must be in 0..99, got {index}")
  return f"{FILES[index % 10]}{index // 10 + 1}"


def parse_square(name: str) -> int:
  """`a1` -> 0, `j10` -> 99; raises ValueError on anything else."""
  name = name.strip().lower()
  if len(name) < 2 or name[0] not in FILES or not name[1:].isdigit():
    raise ValueError(f"bad square {name!r}: want a file a-j and a rank 1-10, like e4")
  rank = int(name[1:])
  if not 1 <= rank <= 10:
    raise ValueError(f"bad square {name!r}: rank must be 1-10")
  return (rank - 1) * 10 + FILES.index(name[0])


def setup_square(i: int) -> int:
  """The square (in the owner's own frame) of setup letter i: 0 -> a4, 39 -> j1."""
  return (3 - i // 10) * 10 + i % 10


SETUP_SQUARES = np.array([setup_square(i) for i in range(40)], np.int32)


def parse_board(text: str) -> np.ndarray:
  """A 100-letter board -> int8[100] square codes (see `pieces`).

  Raises:
    ValueError: with a message naming the first thing wrong.
  """
  if len(text) != 100:
    raise ValueError(f"a board has 100 letters, got {len(text)}")
  out = np.zeros(100, np.int8)
  lakes = set(pieces.LAKE_SQUARES)
  for i, ch in enumerate(text):
    try:
      c = pieces.code(ch)
    except ValueError:
      raise ValueError(f"bad letter {ch!r} at {square_name(i)} (index {i}); use A-Y, a or _") from None
    if (c == pieces.LAKE) != (i in lakes):
      want = "a lake `_`" if i in lakes else "not a lake"
      raise ValueError(f"square {square_name(i)} (index {i}) must be {want}, got {ch!r}")
    out[i] = c
  return out


def check_playable(board) -> None:
  """Raises ValueError unless each side has exactly one flag and at least one piece that moves.

  A board without a flag has no way to win, and one whose side cannot move
  ends before it starts; neither is a Stratego position.
  """
  board = np.asarray(board)
  for side, offset in (("Red", 0), ("Blue", pieces.BLUE_OFFSET)):
    types = board[(board > offset) & (board <= offset + pieces.NUM_TYPES)] - offset
    flags = int(np.sum(types == pieces.FLAG))
    if flags != 1:
      raise ValueError(f"{side} has {flags} flags; a side has exactly one")
    if not np.any((types != pieces.FLAG) & (types != pieces.BOMB)):
      raise ValueError(f"{side} has no piece that moves")


def format_board(board) -> str:
  """int[100] square codes -> the 100-letter board string."""
  return "".join(pieces.letter(int(c)) for c in np.asarray(board))


def board_from_setups(red: np.ndarray, blue: np.ndarray) -> np.ndarray:
  """Two setups (int[40] Red-letter codes 0-12, each in its owner's frame) -> int8[100] board."""
  board = np.zeros(100, np.int8)
  board[list(pieces.LAKE_SQUARES)] = pieces.LAKE
  red = np.asarray(red)
  blue = np.asarray(blue)
  board[SETUP_SQUARES] = red
  board[99 - SETUP_SQUARES] = np.where(blue > 0, blue + pieces.BLUE_OFFSET, 0)
  return board


def pretty_board(board, hidden=None) -> str:
  """A 10-line picture, rank 10 on top; squares in `hidden` (bool[100]) print as `?`."""
  board = np.asarray(board)
  rows = []
  for rank in range(9, -1, -1):
    cells = []
    for f in range(10):
      i = rank * 10 + f
      cells.append("?" if hidden is not None and hidden[i] else pieces.letter(int(board[i])))
    rows.append(f"{rank + 1:>2} {''.join(cells)}")
  rows.append("   " + FILES)
  return "\n".join(rows)


def move_string(src: int, dst: int) -> str:
  """(4, 14) -> `e1-e2`."""
  return f"{square_name(src)}-{square_name(dst)}"


def parse_move(text: str) -> tuple[int, int]:
  """`e4-e5` -> (34, 44); raises ValueError on anything else."""
  parts = text.strip().split("-")
  if len(parts) != 2:
    raise ValueError(f"bad move {text!r}: write it as from-to, like e4-e5")
  return parse_square(parts[0]), parse_square(parts[1])
