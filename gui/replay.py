"""Saved games as frames for the replay viewer.

  game, event = load_replay("tournament/games/00007.json")     # a Stratego record, or a Go .sgf

A frame is the whole position after each move (every piece shown, with
whether it is revealed), so the viewer can show the game as either side saw
it or with all pieces; a replay is a finished game, read from a file the
person chose on the command line.
"""

from __future__ import annotations

import pathlib
from typing import Any

from core.errors import UserError


def load_replay(path: str | pathlib.Path) -> tuple[str, dict[str, Any]]:
  """(game string, replay event fields) from a Stratego record (`.json`) or a Go record (`.sgf`).

  Raises:
    UserError: a missing or unreadable file, or one that is not a game record, in one line.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    raise UserError(f"--replay: no file {path}")
  if path.suffix.lower() == ".sgf":
    return _go_frames(path)
  if path.suffix.lower() == ".json":
    return _stratego_frames(path)
  raise UserError(f"--replay: {path} is neither a Stratego record (.json) nor an SGF file (.sgf)")


def _stratego_frames(path: pathlib.Path) -> tuple[str, dict[str, Any]]:
  import json
  import games  # noqa: F401  (registers stratego)
  from games.stratego import record
  from games.stratego.openspiel_game import string_to_action
  from gui import session
  try:
    rec = record.read(path)
    start = record.replay({**rec, "moves": []})
  except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as e:
    raise UserError(f"--replay: {path} is not a Stratego record: {str(e).splitlines()[0]}") from None
  game = start.get_game()
  viewer = session.StrategoSession(game, agent=None, human=0, seed=0)
  frames = [_stratego_frame(viewer)]
  for n, move in enumerate(rec["moves"], start=1):
    try:
      action = string_to_action(viewer.state.current_player(), move)
    except ValueError:
      action = -1
    if viewer.state.is_terminal() or action not in viewer.state.legal_actions():
      raise UserError(f"--replay: move {n} ({move}) of {path} is illegal in its game")
    viewer.play(action)
    frames.append(_stratego_frame(viewer))
  return rec["game"], {"game": "stratego", "frames": frames, "players": rec.get("players", []),
                       "moves": viewer.moves, "end": rec.get("end", ""),
                       "returns": rec.get("returns", [])}


def _stratego_frame(viewer) -> dict[str, Any]:
  from games.stratego import observation, pieces
  from gui import session
  board, revealed, moved = observation.absolute_view(viewer.state.engine_state)
  cells = [None if int(c) in (pieces.EMPTY, pieces.LAKE) else
           {**session.piece_of(c), "revealed": bool(r), "moved": bool(m)}
           for c, r, m in zip(board, revealed, moved)]
  return {"board": cells, "last": viewer.moves[-1] if viewer.moves else None,
          "attack": viewer.last_attack, "captured": [list(viewer.captured[0]), list(viewer.captured[1])]}


def _go_frames(path: pathlib.Path) -> tuple[str, dict[str, Any]]:
  from games import go, sgf
  from gui import session
  try:
    rec = sgf.read_sgf(path)
  except UserError as e:
    raise UserError(f"--replay: {e}") from None
  game_string = f"go(board_size={rec.board_size},komi={rec.komi:g})"
  import pyspiel
  game = pyspiel.load_game(game_string)
  viewer = session.GoSession(game, agent=None, human=0, seed=0)
  viewer.state = go.initial_state(game, rec.setup_black, rec.setup_white, rec.first_player)
  frames = [_go_frame(viewer)]
  for n, (colour, action) in enumerate(rec.moves, start=1):
    if viewer.state.is_terminal() or viewer.state.current_player() != colour \
        or action not in viewer.state.legal_actions():
      raise UserError(f"--replay: move {n} of {path} is illegal under OpenSpiel's rules")
    viewer.play(action)
    frames.append(_go_frame(viewer))
  return game_string, {"game": "go", "size": rec.board_size, "komi": rec.komi, "frames": frames,
                       "players": [rec.black_name, rec.white_name], "end": rec.result,
                       "moves": [go.action_to_gtp(a, rec.board_size) for _, a in rec.moves]}


def _go_frame(viewer) -> dict[str, Any]:
  from games import go
  history = viewer.state.history()
  return {"stones": [int(x) for x in go.board_of(viewer.state).reshape(-1)],
          "last": go.action_to_gtp(history[-1], viewer.size) if history else None,
          "captures": list(viewer.captures)}
