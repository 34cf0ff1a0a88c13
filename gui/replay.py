"""Saved games as frames for the replay viewer, and `play`, the function behind `stratago play`.

  frames = load_replay("tournament/games/00007.json")     # a Stratego record, or a Go .sgf
  play("go(board_size=9)", "gnugo:3", port=8765)

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
    viewer._play(action)
    frames.append(_stratego_frame(viewer))
  return rec["game"], {"game": "stratego", "frames": frames, "players": rec.get("players", []),
                       "moves": viewer.moves, "end": rec.get("end", ""),
                       "returns": rec.get("returns", [])}


def _stratego_frame(viewer) -> dict[str, Any]:
  from games.stratego import observation, pieces
  from gui import session
  board, revealed, moved = observation.absolute_view(viewer.state.engine_state)
  cells = [None if int(c) in (pieces.EMPTY, pieces.LAKE) else
           {**session._piece(c), "revealed": bool(r), "moved": bool(m)}
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
  frames = [_go_frame(viewer)]
  for n, (colour, action) in enumerate(rec.moves, start=1):
    if viewer.state.is_terminal() or viewer.state.current_player() != colour \
        or action not in viewer.state.legal_actions():
      raise UserError(f"--replay: move {n} of {path} is illegal under OpenSpiel's rules")
    viewer._play(action)
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


def play(game: str | None, agent: str = "random", host: str = "127.0.0.1", port: int = 8765,
         open_browser: bool = True, setups: str | None = None, replay: str | None = None,
         seed: int = 0, ready=None) -> None:
  """Checks the inputs, then serves the page until interrupted (see `gui.server`).

  Raises:
    UserError: a bad game, agent spec, setups file or record, or a port that is taken, in one line.
  """
  import sys
  import pyspiel
  import games  # noqa: F401  (registers stratego)
  from gui import server
  replay_event = None
  if replay is not None:
    game_from_record, replay_event = load_replay(replay)
    game = game or game_from_record
  if game is None:
    from agents import specs
    game = specs.trained_game(agent)  # a policy or run plays the game it was trained on
  if game is None:
    raise UserError("give --game (or an agent trained on one, or --replay RECORD)")
  name = game.split("(", 1)[0].strip()
  if name not in ("stratego", "go"):  # checked first: OpenSpiel prints its list of games for an unknown one
    raise UserError(f"--game: the GUI plays stratego(...) and go(...), not {name}")
  try:
    loaded = pyspiel.load_game(game)
  except UserError:
    raise
  except Exception as e:  # pyspiel raises a bare RuntimeError or SpielError for a bad parameter
    raise UserError(f"--game: cannot load {game!r}: {str(e).strip().splitlines()[-1]}") from None
  if name == "go":
    from games import go
    params = loaded.get_parameters()
    try:
      go.GoConfig(board_size=params["board_size"], komi=params["komi"], handicap=params.get("handicap", 0))
    except ValueError as e:
      raise UserError(f"--game: {e}") from None
    if params.get("handicap", 0):
      raise UserError("--game: the GUI plays even games; handicap must be 0")
  setup_lines: tuple[str, ...] = ()
  if setups is not None:
    if name != "stratego":
      raise UserError("--setups is for Stratego games")
    from games.stratego import pieces
    from games.stratego import setups as setups_lib
    variant = pieces.Variant(loaded.get_parameters()["variant"])
    codes = setups_lib.load_setups(setups, variant, skip_bad_lines=True)
    setup_lines = tuple("".join(pieces.letter(int(c)) for c in row) for row in codes)
  if replay_event is None:
    from agents import specs
    checked = specs.make_agent(agent, loaded, seed)  # a bad spec fails here, before the server starts
    try:
      checked.check()
    finally:
      checked.close()
  if host not in ("127.0.0.1", "localhost", "::1"):
    print(f"warning: serving on {host}: anyone who can reach this address and has the URL's token "
          "can play on this server", file=sys.stderr)
  options = server.Options(game=game, agent=agent, host=host, port=port, setups=setup_lines,
                           replay=replay_event, seed=seed)
  server.serve(options, open_browser=open_browser, ready=ready)
