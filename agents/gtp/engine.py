"""A GTP version 2 engine around any Go agent: one line in, one response out, never a crash.

  engine = GtpEngine(lambda size: make_agent("random", go.load_game(go.GoConfig(board_size=size))))
  engine.handle("boardsize 9")   # -> "=\n\n"
  engine.serve(sys.stdin, sys.stdout)

Input is cleaned as the GTP 2 spec says (control characters dropped, tabs to
spaces, `#` comments cut, empty lines ignored, an optional numeric id echoed
back). Every bad input gets a `? message` answer and the engine goes on.
The board is an OpenSpiel go state rebuilt from the move list, so `undo` and
`boardsize`/`komi` changes are exact; the rules are OpenSpiel's (see
`games.go`). A `play` or `genmove` for the side not to move is accepted by
putting a pass for the other side in between, except right after a pass,
where that would end the game. `final_score` is the Tromp-Taylor area score
of the board as it stands (every stone counts as alive), with OpenSpiel's
handicap points for White after `fixed_handicap`/`set_free_handicap`.

Clock: `time_settings` and `time_left` set each colour's remaining time, and
the engine takes what its own moves used off its side's. An agent with a
`move_time_cap_s` attribute (a search) gets, before each `genmove`, a cap from
`move_time` below: in byo-yomi the period's time over the stones left in it;
in main time the time over max(10, empty points / 2) moves still to play, plus
one byo-yomi stone's time where byo-yomi follows; 90% of that, less 50 ms.

Analysis (agents with `analyze`, i.e. a search): `lz-analyze` and
`kata-analyze [COLOUR] [INTERVAL] [interval N] [maxmoves N] ...` answer `=`,
then one line of `info move ... pv ...` per move every INTERVAL centiseconds,
as Leela Zero and KataGo do (Sabaki's format), with winrate for the colour
analysed (lz: an integer in 1/10000; kata: a decimal in 0..1) and prior
(lz: 1/10000; kata: decimal). There is no score head, so no `scoreLead`.
Engines that stream until the next input arrives; this line-based engine
runs the agent's own search budget (its `sims`/`time`), then ends the
response with a blank line. Other agents do not list these commands and
answer them `? unknown command`.
"""

from __future__ import annotations

import re
import time
from typing import Callable, Iterator, TextIO

import pyspiel

from core.errors import UserError
from games import go
from games import sgf

PROTOCOL_VERSION = "2"
_COLOURS = {"b": go.BLACK, "black": go.BLACK, "w": go.WHITE, "white": go.WHITE}
_ID = re.compile(r"^(\d+)(?:\s+(.*))?$")


def move_time(time_left: float, stones: int, empty_points: int, byo_yomi_per_stone: float = 0.0) -> float:
  """Seconds to spend on the next move (see the module docstring); at least 0.05 s.

  Args:
    time_left: seconds left on the clock (main time, or the byo-yomi period's).
    stones: stones to play in that byo-yomi period, 0 in main time.
    empty_points: empty points on the board (how much game is left).
    byo_yomi_per_stone: in main time, the byo-yomi seconds per stone that follow it (0: none).
  """
  if stones > 0:
    budget = time_left / stones
  else:
    budget = time_left / max(10, empty_points / 2) + byo_yomi_per_stone
  return max(0.05, 0.9 * budget - 0.05)


class _Failure(Exception):
  """A command that fails: its message becomes the `? ...` answer."""


def _move_number(text: str) -> bool:
  """Whether `text` is a move number of `loadsgf`: ASCII digits, at least 1, not absurdly long."""
  return text.isascii() and text.isdigit() and len(text) <= 9 and int(text) >= 1


def clean_line(line: str) -> str:
  """A GTP input line after the spec's preprocessing (may be empty)."""
  line = line.split("#", 1)[0]
  line = "".join(" " if ch == "\t" else ch for ch in line if ch == "\t" or ch >= " " and ch != "\x7f")
  return line.strip()


class GtpEngine:
  """Answers GTP commands for one agent; the only state is size, komi and the move list.

  Args:
    agent_factory: `factory(board_size) -> agents.Agent` (called again when the size
      changes; a UserError there refuses the size).
    name: what `name` answers.
    version: what `version` answers.
    max_game_length_per_point: the OpenSpiel game's action limit is this times N*N,
      set high so a game between engines ends by passes, not by the limit.
  """

  def __init__(self, agent_factory: Callable[[int], object], name: str = "stratago",
               version: str = "0.1.0", board_size: int = 19, komi: float = 7.5,
               max_game_length_per_point: int = 8):
    self._factory = agent_factory
    self._name = name
    self._version = version
    self._length_per_point = max_game_length_per_point
    self._size = board_size
    self._komi = komi
    self._actions: list[int] = []  # OpenSpiel actions, inserted passes included.
    self._inserted: list[bool] = []  # Whether each action is a pass the engine put in.
    self._handicap = 0  # Handicap stones placed; they open the action list and cannot be undone.
    self._setup_len = 0
    self._time_settings: tuple[int, int, int] | None = None  # main, byo-yomi period, stones in it
    self._clock: dict[int, tuple[float, int]] = {}  # colour -> (seconds left, stones left in byo-yomi; 0: main)
    self._agent = agent_factory(board_size)
    self._new_game()
    self.quit_requested = False
    self._commands: dict[str, Callable[[list[str]], str]] = {
        "protocol_version": lambda a: PROTOCOL_VERSION,
        "name": lambda a: self._name,
        "version": lambda a: self._version,
        "known_command": self._known_command,
        "list_commands": lambda a: "\n".join(sorted(self._commands)),
        "quit": self._quit,
        "boardsize": self._boardsize,
        "clear_board": self._clear_board,
        "komi": self._set_komi,
        "play": self._play,
        "genmove": self._genmove,
        "undo": self._undo,
        "showboard": lambda a: "\n" + go.board_to_string(go.board_of(self._state)),
        "final_score": self._final_score,
        "final_status_list": self._final_status_list,
        "fixed_handicap": self._fixed_handicap,
        "place_free_handicap": self._fixed_handicap,
        "set_free_handicap": self._set_free_handicap,
        "loadsgf": self._loadsgf,
        "time_settings": self._set_time_settings,
        "time_left": self._time_left,
    }
    if hasattr(self._agent, "analyze"):
      self._commands["lz-analyze"] = lambda a: self._analyze(a, kata=False)
      self._commands["kata-analyze"] = lambda a: self._analyze(a, kata=True)

  # --- the protocol ----------------------------------------------------------------------

  def handle(self, line: str) -> str | None:
    """The full response (ending in a blank line) to one input line; None for an empty line."""
    chunks = list(self.handle_stream(line))
    return "".join(chunks) if chunks else None

  def handle_stream(self, line: str) -> Iterator[str]:
    """The response to one input line in pieces, written as they come (analysis lines); none for an empty line."""
    text = clean_line(line)
    if not text:
      return
    ident = ""
    match = _ID.match(text)
    if match:
      ident, text = match.group(1), match.group(2) or ""
    words = text.split()
    if not words:
      yield f"?{ident} missing command\n\n"
      return
    command, args = words[0].lower(), words[1:]
    handler = self._commands.get(command)
    if handler is None:
      yield f"?{ident} unknown command\n\n"
      return
    try:
      body = handler(args)
      if not isinstance(body, str):  # analysis: a stream of lines, started once its arguments are checked
        lines = iter(body)
        first = next(lines)
        yield f"={ident}\n"
        yield first
        yield from lines
        yield "\n"
        return
    except _Failure as e:
      yield f"?{ident} {e}\n\n"
      return
    except Exception as e:  # pylint: disable=broad-except
      # A bug or an agent failure must not kill the engine a GUI is talking to.
      yield f"?{ident} internal error: {type(e).__name__}: {e}\n\n"
      return
    if not body:
      yield f"={ident}\n\n"
    else:
      yield f"={ident}{'' if body.startswith(chr(10)) else ' '}{body}\n\n"

  def serve(self, stdin: TextIO, stdout: TextIO) -> None:
    """Answers lines from `stdin` until `quit` or end of input."""
    for line in stdin:
      for chunk in self.handle_stream(line):
        stdout.write(chunk)
        stdout.flush()
      if self.quit_requested:
        return

  # --- state -----------------------------------------------------------------------------

  @property
  def state(self) -> pyspiel.State:
    """A copy of the current OpenSpiel state."""
    return self._state.clone()

  def _new_game(self) -> None:
    cfg = go.GoConfig(board_size=self._size, komi=self._komi,
                      max_game_length=self._length_per_point * self._size * self._size)
    self._game = go.load_game(cfg)
    self._state = self._game.new_initial_state()
    for action in self._actions:
      self._state.apply_action(action)

  def _pass(self) -> int:
    return self._size * self._size

  def _apply(self, colour: int, action: int) -> None:
    """Plays `action` for `colour`, putting in a pass for the other side if needed."""
    state = self._state
    if state.is_terminal():
      raise _Failure("illegal move (the game is over)")
    inserted = False
    if state.current_player() != colour:
      if self._actions and self._actions[-1] == self._pass():
        raise _Failure("illegal move (out of turn right after a pass: OpenSpiel would end the game)")
      trial = state.clone()
      trial.apply_action(self._pass())
      if trial.is_terminal():
        raise _Failure("illegal move (the game would end)")
      if action not in trial.legal_actions():
        raise _Failure("illegal move")
      state, inserted = trial, True
    elif action not in state.legal_actions():
      raise _Failure("illegal move")
    state.apply_action(action)
    self._state = state
    if inserted:
      self._actions.append(self._pass())
      self._inserted.append(True)
    self._actions.append(action)
    self._inserted.append(False)

  @staticmethod
  def _colour(word: str) -> int:
    colour = _COLOURS.get(word.lower())
    if colour is None:
      raise _Failure("invalid color")
    return colour

  # --- commands --------------------------------------------------------------------------

  def _known_command(self, args: list[str]) -> str:
    if len(args) != 1:
      raise _Failure("syntax error")
    return "true" if args[0].lower() in self._commands else "false"

  def _quit(self, args: list[str]) -> str:
    self.quit_requested = True
    return ""

  def _boardsize(self, args: list[str]) -> str:
    if len(args) != 1 or not (args[0].isascii() and args[0].isdigit()):
      raise _Failure("syntax error")
    if len(args[0].lstrip("0")) > 2:  # Too big to be a board; int() of 100k digits would be refused.
      raise _Failure("unacceptable size")
    size = int(args[0])
    if not go.MIN_SIZE <= size <= go.MAX_SIZE:
      raise _Failure("unacceptable size")
    if size != self._size:
      self._replace_agent(size)
    self._size = size
    self._clear()
    return ""

  def _replace_agent(self, size: int) -> None:
    try:
      agent = self._factory(size)
    except UserError:  # e.g. a policy trained on another board size
      raise _Failure("unacceptable size") from None
    self._agent.close()
    self._agent = agent

  def close(self) -> None:
    """Closes the agent (and whatever engine it runs)."""
    self._agent.close()

  def _clear(self) -> None:
    self._actions, self._inserted = [], []
    self._handicap, self._setup_len = 0, 0
    self._new_game()

  def _clear_board(self, args: list[str]) -> str:
    self._clear()
    return ""

  def _set_komi(self, args: list[str]) -> str:
    if len(args) != 1:
      raise _Failure("syntax error")
    try:
      komi = float(args[0])
    except ValueError:
      raise _Failure("syntax error") from None
    if komi != komi or abs(komi) > 1000:
      raise _Failure("syntax error")
    self._komi = komi
    self._new_game()
    return ""

  def _play(self, args: list[str]) -> str:
    if len(args) != 2:
      raise _Failure("syntax error")
    colour = self._colour(args[0])
    try:
      action = go.gtp_to_action(args[1], self._size)
    except ValueError:
      raise _Failure("invalid coordinate") from None
    self._apply(colour, action)
    return ""

  def _genmove(self, args: list[str]) -> str:
    if len(args) != 1:
      raise _Failure("syntax error")
    colour = self._colour(args[0])
    if self._state.is_terminal():
      return "pass"
    state = self._state
    if state.current_player() != colour:
      state = state.clone()
      if self._actions and self._actions[-1] == self._pass():
        raise _Failure("cannot move (out of turn right after a pass: OpenSpiel would end the game)")
      state.apply_action(self._pass())
    if hasattr(self._agent, "move_time_cap_s"):
      self._agent.move_time_cap_s = self._move_time(colour)
    start = time.perf_counter()
    action = int(self._agent.step(state))
    self._spend(colour, time.perf_counter() - start)
    self._apply(colour, action)
    return go.action_to_gtp(action, self._size)

  def _place_handicap(self, actions: list[int]) -> str:
    if self._actions:
      raise _Failure("board not empty")
    for action in actions:
      self._apply(go.BLACK, action)
    self._handicap, self._setup_len = len(actions), len(self._actions)
    return " ".join(go.action_to_gtp(a, self._size) for a in actions)

  def _fixed_handicap(self, args: list[str]) -> str:
    if len(args) != 1 or not args[0].isdigit():
      raise _Failure("syntax error")
    try:
      actions = go.fixed_handicap(self._size, int(args[0]))
    except ValueError:
      raise _Failure("invalid number of stones") from None
    return self._place_handicap(actions)

  def _set_free_handicap(self, args: list[str]) -> str:
    try:
      actions = [go.gtp_to_action(v, self._size) for v in args]
    except ValueError:
      raise _Failure("invalid coordinate") from None
    if (len(actions) < 2 or len(set(actions)) != len(actions) or self._pass() in actions
        or len(actions) >= self._size * self._size):
      raise _Failure("bad vertex list")
    self._place_handicap(actions)
    return ""

  def _loadsgf(self, args: list[str]) -> str:
    if len(args) not in (1, 2) or (len(args) == 2 and not _move_number(args[1])):
      raise _Failure("syntax error")
    try:
      record = sgf.read_sgf(args[0])
    except sgf.SgfError:
      raise _Failure("cannot load file") from None
    limit = len(record.moves) if len(args) == 1 else min(int(args[1]) - 1, len(record.moves))
    if record.board_size != self._size:
      self._replace_agent(record.board_size)
    self._size, self._komi = record.board_size, record.komi
    setup = sgf.setup_actions(record)
    self._actions = setup + [action for _, action in record.moves[:limit]]
    self._inserted = [False] * len(self._actions)
    self._handicap, self._setup_len = record.handicap, len(setup)
    self._new_game()
    return "black" if self._state.current_player() == go.BLACK else "white"

  def _undo(self, args: list[str]) -> str:
    if len(self._actions) <= self._setup_len:
      raise _Failure("cannot undo")
    self._actions.pop()
    self._inserted.pop()
    while self._inserted and self._inserted[-1]:
      self._actions.pop()
      self._inserted.pop()
    self._new_game()
    return ""

  def _final_score(self, args: list[str]) -> str:
    return go.score_string(go.area_score(go.board_of(self._state), self._komi, self._handicap))

  def _final_status_list(self, args: list[str]) -> str:
    if len(args) != 1 or args[0].lower() not in ("alive", "dead", "seki"):
      raise _Failure("syntax error")
    if args[0].lower() != "alive":
      return ""  # Tromp-Taylor: every stone on the board counts as alive.
    board = go.board_of(self._state)
    points = [go.action_to_gtp(r * self._size + c, self._size)
              for r in range(self._size) for c in range(self._size) if board[r, c]]
    return " ".join(points)

  def _set_time_settings(self, args: list[str]) -> str:
    if len(args) != 3 or not all(a.isdigit() for a in args):
      raise _Failure("syntax error")
    main, byo, stones = map(int, args)
    if byo > 0 and stones == 0:  # GTP: no time limit
      self._time_settings, self._clock = None, {}
      return ""
    self._time_settings = (main, byo, stones)
    start = (float(main), 0) if main > 0 else (float(byo), stones)
    self._clock = {go.BLACK: start, go.WHITE: start}
    return ""

  def _time_left(self, args: list[str]) -> str:
    if len(args) != 3 or not args[1].isdigit() or not args[2].isdigit():
      raise _Failure("syntax error")
    self._clock[self._colour(args[0])] = (float(args[1]), int(args[2]))
    return ""

  def _move_time(self, colour: int) -> float | None:
    """The seconds the clock allows the next move of `colour`; None without a clock."""
    if colour not in self._clock:
      return None
    left, stones = self._clock[colour]
    byo, byo_stones = (self._time_settings or (0, 0, 0))[1:]
    per_stone = byo / byo_stones if stones == 0 and byo_stones else 0.0
    empty = int((go.board_of(self._state) == go.EMPTY_CELL).sum())
    return move_time(left, stones, empty, per_stone)

  def _spend(self, colour: int, seconds: float) -> None:
    """Takes a move's `seconds` off `colour`'s clock (into byo-yomi when main time runs out)."""
    if colour not in self._clock:
      return
    left, stones = self._clock[colour]
    left -= seconds
    byo, byo_stones = (self._time_settings or (0, 0, 0))[1:]
    if stones > 0:
      stones -= 1
      if stones == 0 and left >= 0:  # the period is done: a new one starts
        left, stones = float(byo), byo_stones
    elif left <= 0 and byo_stones:
      left, stones = float(byo) + left, byo_stones
    self._clock[colour] = (max(0.0, left), stones)

  # --- analysis ----------------------------------------------------------------------------

  def _analyze(self, args: list[str], kata: bool):
    """`lz-analyze`/`kata-analyze [COLOUR] [INTERVAL] [KEY VALUE]...`: checks the arguments, returns the lines."""
    colour = self._state.current_player() if not self._state.is_terminal() else go.BLACK
    if args and args[0].lower() in _COLOURS:
      colour = self._colour(args.pop(0))
    interval, max_moves = 0, None
    if args and args[0].isdigit():
      interval = int(args.pop(0))
    if len(args) % 2:
      raise _Failure("syntax error")
    for key, value in zip(args[::2], args[1::2]):
      key = key.lower()
      if key in ("interval", "maxmoves", "minmoves"):
        if not value.isdigit():
          raise _Failure("syntax error")
        interval = int(value) if key == "interval" else interval
        max_moves = int(value) if key == "maxmoves" else max_moves
      # Other keys (ownership, pvVisits, ...) ask for what this engine does not compute: ignored.
    if self._state.is_terminal():
      raise _Failure("cannot analyze (the game is over)")
    state = self._state
    if state.current_player() != colour:
      if self._actions and self._actions[-1] == self._pass():
        raise _Failure("cannot analyze (out of turn right after a pass: OpenSpiel would end the game)")
      state = state.clone()
      state.apply_action(self._pass())
    every = interval / 100 if interval > 0 else None
    return (self._info_line(r, kata, max_moves) for r in self._agent.analyze(state, every))

  def _info_line(self, result, kata: bool, max_moves: int | None) -> str:
    """One update: `info move ...` of each visited move, best first (the best one even if unvisited)."""
    moves = [m for m in result.moves if m.visits] or list(result.moves[:1])
    parts = []
    for order, m in enumerate(moves[:max_moves]):
      winrate = (m.q + 1) / 2
      shown = (f"winrate {winrate:.6f} prior {m.prior:.6f}" if kata
               else f"winrate {round(winrate * 10000)} prior {round(m.prior * 10000)}")
      pv = " ".join(go.action_to_gtp(a, self._size) for a in m.pv)
      parts.append(f"info move {go.action_to_gtp(m.action, self._size)} visits {m.visits} {shown} "
                   f"order {order} pv {pv}")
    return " ".join(parts) + "\n"
