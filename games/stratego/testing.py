"""Small helpers for tests and examples: boards from a few pieces, games from boards, moves by name."""

from __future__ import annotations

import pyspiel

from games.stratego import notation
from games.stratego import pieces as P


def board(placed: dict[str, str]) -> str:
  """A 100-letter board with lakes and the given pieces, e.g. board({"e4": "L", "e7": "X"})."""
  cells = ["A"] * 100
  for sq in P.LAKE_SQUARES:
    cells[sq] = "_"
  for name, letter in placed.items():
    cells[notation.parse_square(name)] = letter
  return "".join(cells)


def game(board_text: str, **params) -> pyspiel.Game:
  """The `stratego` game starting from `board_text`, with extra parameters.

  The board may be one no game starts from (a side without a flag or a move),
  as rule tests need; `pyspiel.load_game` refuses those.
  """
  from games.stratego.openspiel_game import StrategoGame
  return StrategoGame({"initial_board": board_text, **params}, check_board=False)


def legal_strings(state) -> set[str]:
  return {state.action_to_string(a) for a in state.legal_actions()}


def moves_from(state, square: str) -> set[str]:
  return {m for m in legal_strings(state) if m.startswith(square + "-")}


def play(state, *moves: str):
  """Applies moves written like `e4-e5`; raises ValueError if one is not legal."""
  for move in moves:
    legal = {state.action_to_string(a): a for a in state.legal_actions()}
    if move not in legal:
      raise ValueError(f"{move} is not legal here; legal: {sorted(legal)}")
    state.apply_action(legal[move])
  return state
