"""`play`: the function behind `stratago play`. It checks the inputs, then serves the page (`gui.server`).

  play("go(board_size=9)", "gnugo:3", port=8765)
  play(None, replay="tournament/games/00007.json")
"""

from __future__ import annotations

from core.errors import UserError


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
    from gui.replay import load_replay
    game_from_record, replay_event = load_replay(replay)
    if game is not None and game != game_from_record:
      raise UserError(f"--replay shows a game of {game_from_record}; leave out --game or give that one")
    game = game_from_record
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
    setup_lines = read_setups(setups, loaded.get_parameters()["variant"])
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


def read_setups(path: str, variant: str) -> tuple[str, ...]:
  """The setups of a Gravon-letter file (one 40-letter setup a line) as strings; bad lines are logged and skipped."""
  from games.stratego import pieces
  from games.stratego import setups as setups_lib
  codes = setups_lib.load_setups(path, pieces.Variant(variant), skip_bad_lines=True)
  return tuple("".join(pieces.letter(int(c)) for c in row) for row in codes)
