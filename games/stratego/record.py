"""A Stratego game record: both setups, the moves in the project's notation, the result and how it ended.

The record is a small JSON document, written by matches and tournaments and
read back by `replay` (and the GUI's replay viewer):

  {"format": "stratago.stratego.record/1",
   "game": "stratego(variant=barrage,deployment=random)",      # the game it was played in
   "red_setup": "...", "blue_setup": "...",   # 40 Gravon letters each, front row first, own frame
   "moves": ["e4-e5", "j7-j6", ...],          # Red's frame, Red first, then alternating
   "returns": [1.0, -1.0],                    # Red, Blue
   "end": "flag captured",                    # engine.END_NAMES, or how a player forfeited
   "players": ["agent A", "agent B"]}          # who played Red and Blue

`replay(record)` loads the same rules with the two setups as the initial
board and plays the moves, so the state it returns is the game's last one.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import numpy as np
import pyspiel

from core import files
from games.stratego import engine, notation, pieces
from games.stratego.openspiel_game import StrategoState, action_to_string, string_to_action

FORMAT = "stratago.stratego.record/1"


def _setup_letters(board: np.ndarray, side: int) -> str:
  """A side's 40-letter setup (Red letters, its own frame) off a Red-frame board."""
  squares = notation.SETUP_SQUARES if side == 0 else 99 - notation.SETUP_SQUARES
  codes = board[squares].astype(int)
  if side:
    codes = np.where(codes > pieces.BLUE_OFFSET, codes - pieces.BLUE_OFFSET, codes)
  return "".join(pieces.letter(int(c)) for c in codes)


def end_name(state: StrategoState) -> str:
  """How a finished game ended: one of `engine.END_NAMES`."""
  return engine.END_NAMES[int(engine.end_reason(state.config, state.engine_state))]


def record_of(state: StrategoState, players: tuple[str, str] = ("", ""), end: str | None = None) -> dict[str, Any]:
  """The record of the game that led to `state` (finished or not); `end` overrides how it ended."""
  from games.stratego import observation
  game = state.get_game()
  replayed = game.new_initial_state()
  history = state.history()
  i = 0
  while i < len(history) and (replayed.is_chance_node() or replayed.is_deploying()):
    replayed.apply_action(history[i])
    i += 1
  board = observation.absolute_view(replayed.engine_state)[0]
  moves = []
  for action in history[i:]:
    moves.append(action_to_string(replayed.current_player(), action))
    replayed.apply_action(action)
  if end is None:
    end = end_name(state) if state.is_terminal() else "not over"
  return make_record(str(game), board, moves, state.returns(), end, players)


def make_record(game: str, board: np.ndarray, moves: list[str], returns, end: str,
                players: tuple[str, str] = ("", "")) -> dict[str, Any]:
  """The record of a game of `game` that started from `board` (int[100], Red's frame, both sides deployed)."""
  board = np.asarray(board)
  return {"format": FORMAT, "game": game, "red_setup": _setup_letters(board, 0),
          "blue_setup": _setup_letters(board, 1), "moves": list(moves),
          "returns": [float(r) for r in returns], "end": end, "players": list(players)}


def write(record: dict[str, Any], path: str | pathlib.Path) -> pathlib.Path:
  """Writes a record as JSON, atomically."""
  return files.write_atomic(path, json.dumps(record, indent=1) + "\n")


def read(path: str | pathlib.Path) -> dict[str, Any]:
  """A record from its JSON file; ValueError if it is not one."""
  record = json.loads(pathlib.Path(path).read_text())
  if record.get("format") != FORMAT:
    raise ValueError(f"{path} is not a Stratego record (format {record.get('format')!r})")
  return record


def replay(record: dict[str, Any]) -> StrategoState:
  """The state after the record's moves, in its game's rules started from its two setups.

  Raises:
    ValueError: a setup or move that does not fit the rules, naming it.
  """
  import games  # noqa: F401  (registers stratego)
  params = dict(pyspiel.load_game(record["game"]).get_parameters())
  variant = pieces.Variant(params["variant"])
  red = _codes(record["red_setup"], variant)
  blue = _codes(record["blue_setup"], variant)
  params.update(initial_board=notation.format_board(notation.board_from_setups(red, blue)), deployment="random")
  state = pyspiel.load_game("stratego", params).new_initial_state()
  for n, move in enumerate(record["moves"], start=1):
    action = string_to_action(state.current_player(), move)
    if state.is_terminal() or action not in state.legal_actions():
      raise ValueError(f"move {n} ({move}) is illegal in the replayed game")
    state.apply_action(action)
  return state


def _codes(setup: str, variant: pieces.Variant) -> np.ndarray:
  from games.stratego import setups
  return setups.parse_setup(setup, variant)
