"""A bot of the 2012 UCC Stratego competition as an agent (`ucc:COMMAND`): classic Stratego through its protocol.

  agent = UccAgent("./vixen.py", pyspiel.load_game("stratego"), timeout_s=2)
  action = agent.step(state)     # Forfeit if the bot breaks the rules or the protocol

This module plays the part of the competition's manager (the protocol is in
`agents.ucc_protocol`). One bot process plays one game: it starts at the
agent's first `step` of a game and gets `QUIT` at the game's end, at
`reset()` or at `close()`.

What the bot is told, from the game's history: before each of its moves, the
opponent's last move with its outcome (or `START`, Red's first turn), then the
board as it may see it; after its move, that move with its outcome (or `QUIT`
when it ended the game).

Setups. With `deployment=play` the bot's four setup rows are its setup: they
become this game's placing actions, one per `step`, in the game's placing
order. With `deployment=random` or `file`, or an `initial_board`, the bot
still answers the setup query (a bad answer still forfeits), but its rows are
not used: it learns the pieces it was dealt from the first board it is shown,
as the manual asks bots to do ("ignore the board state lines, except for the
first turn"). A bot that keeps its own setup instead plays the wrong pieces
and will soon make an illegal move.

Forfeits. A move that is illegal under this game's rules (those bots do not
know the two-squares or more-squares rule), a reply that is not
`X Y DIRECTION [MULTIPLIER]`, `SURRENDER`, a bad setup, a bot that exits or
does not answer within its time: `step` raises `agents.base.Forfeit` with one
line that says which, and stops the bot. Nothing else escapes `step`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import time
from typing import Sequence

import numpy as np
import pyspiel

from agents import base
from agents import ucc_protocol as ucc
from agents._subprocess import LineProcess, ProcessDied, ProcessTimeout
from core.errors import UserError
from games import stratego
from games.stratego import notation
from games.stratego import pieces as P

_INTERPRETERS = ("python", "python2", "python3", "sh", "bash", "env", "java", "node", "perl", "ruby")


def check_game(game: pyspiel.Game, who: str = "UCC bots") -> None:
  """UserError (one line) unless `game` is classic Stratego, the only game the protocol knows."""
  name = game.get_type().short_name
  if name != "stratego":
    raise UserError(f"{who} play classic Stratego, not {name}")
  variant = game.get_parameters().get("variant", "classic")
  if variant != "classic":
    raise UserError(f"{who} play classic Stratego (40 pieces a side), not variant={variant}")


def _bot_name(command: Sequence[str]) -> str:
  """The program's file name, skipping an interpreter in front: `python bots/vixen.py` -> `vixen.py`."""
  for arg in command:
    base_name = os.path.basename(arg)
    if arg.startswith("-") or base_name.split(".")[0].rstrip("0123456789.") in _INTERPRETERS:
      continue
    return base_name
  return os.path.basename(command[0])


class _BotFault(Exception):
  """What the bot did wrong; becomes a Forfeit once the bot is stopped."""


class UccAgent(base.Agent):
  """Plays classic Stratego through a bot that speaks the UCC 2012 protocol.

  Args:
    command: the bot's command line (a string is split as a shell would).
    game: the game it will play; classic Stratego.
    timeout_s: seconds the bot has for each move.
    setup_timeout_s: seconds it has, from its start, for its four setup rows.
    name: how reasons name it (default: its program's file name).
    opponent: the OPPONENT word of the setup query.
  Raises:
    UserError: a game other than classic Stratego, or a program that is not there.
  """

  def __init__(self, command: str | Sequence[str], game: pyspiel.Game, timeout_s: float = 10.0,
               setup_timeout_s: float = 30.0, name: str | None = None, opponent: str = "stratago"):
    check_game(game)
    self.command = shlex.split(command) if isinstance(command, str) else list(command)
    if not self.command:
      raise UserError("ucc: an empty command line")
    program = self.command[0]
    if shutil.which(program) is None:
      raise UserError(f"ucc bot '{shlex.join(self.command)}': no program '{program}' "
                      f"(not on PATH, or not an executable file)")
    self.timeout_s = timeout_s
    self.setup_timeout_s = setup_timeout_s
    self.name = name or _bot_name(self.command)
    self.opponent = "".join(opponent.split()) or "stratago"
    self._proc: LineProcess | None = None
    self._mirror: pyspiel.State | None = None  # The game as the bot was told it.
    self._seen: list[int] = []  # The history the mirror has applied.
    self._side = 0
    self._setup: np.ndarray | None = None
    self._last_report: ucc.Report | None = None  # The opponent's last move, not yet told.
    self._answer: tuple[tuple[int, ...], int] | None = None  # (history, action) of the last step.

  # The agent interface.
  def step(self, state: pyspiel.State) -> int:
    """The bot's action; `Forfeit` (one line) for an illegal or malformed move, a crash or a time-out."""
    history = tuple(state.history())
    if self._answer is not None and self._answer[0] == history:
      return self._answer[1]  # Asked again at the same state: the bot has answered already.
    try:
      action = self._step(state)
    except _BotFault as e:
      self._stop(goodbye=None)
      raise base.Forfeit(f"ucc bot {self.name} ({'Red' if self._side == 0 else 'Blue'}) {e}") from None
    self._answer = (history, action)
    return action

  def reset(self) -> None:
    self._stop()

  def close(self) -> None:
    self._stop()

  # Keeping the bot in step.
  def _stop(self, goodbye: str | None = "QUIT") -> None:
    if self._proc is not None:
      self._proc.close(goodbye=goodbye)
    self._proc = None
    self._mirror = None
    self._seen = []
    self._setup = None
    self._last_report = None
    self._answer = None

  def _step(self, state: pyspiel.State) -> int:
    history = list(state.history())
    if self._mirror is None or history[:len(self._seen)] != self._seen:
      self._start(state)  # A new game (or one that is not the continuation of the last).
    for action in history[len(self._seen):]:
      self._apply(action)
    legal = state.legal_actions()
    if legal and legal[-1] < 40:  # Placing pieces: actions 0-39.
      return self._place(legal)
    return self._move(state, legal)

  def _start(self, state: pyspiel.State) -> None:
    self._stop()
    self._side = state.current_player()
    self._mirror = state.get_game().new_initial_state()
    try:
      self._proc = LineProcess(self.command)
    except ProcessDied as e:
      raise _BotFault(e.how) from None
    self._send([f"{ucc.COLOURS[self._side]} {self.opponent} {ucc.SIZE} {ucc.SIZE}"], "its setup")
    deadline = time.monotonic() + self.setup_timeout_s
    rows = [self._read(deadline, "its setup", self.setup_timeout_s) for _ in range(4)]
    try:
      self._setup = ucc.parse_setup(rows, self._side)
    except ValueError as e:
      raise _BotFault(f"gave a bad setup ({' / '.join(rows)}): {e}") from None

  def _apply(self, action: int) -> None:
    """Plays one action of the game's history on the mirror; notes the opponent's moves for the bot."""
    mirror = self._mirror
    player = mirror.current_player()
    if mirror.is_chance_node() or action < 40:
      mirror.apply_action(action)
    else:
      report = self._play(mirror, player, action)
      self._last_report = report if player != self._side else None
    self._seen.append(action)

  @staticmethod
  def _play(mirror: pyspiel.State, player: int, action: int) -> ucc.Report:
    before = notation.parse_board(mirror.board_string())
    src, dst = notation.parse_move(mirror.action_to_string(player, action))
    mirror.apply_action(action)
    return ucc.report(before, notation.parse_board(mirror.board_string()), src, dst)

  def _place(self, legal: list[int]) -> int:
    """The next placing action: a free setup square of the bot's setup that holds the piece due now."""
    order = P.placement_order(P.Variant.CLASSIC)
    due = int(order[len(order) - len(legal)])
    free = set(legal)
    wanted = [i for i in np.flatnonzero(self._setup == due) if int(i) in free]
    return int(wanted[0]) if wanted else legal[0]

  def _move(self, state: pyspiel.State, legal: list[int]) -> int:
    board = notation.parse_board(self._mirror.board_string())
    first = [str(self._last_report)] if self._last_report is not None else ["START"]
    self._last_report = None
    self._send(first + ucc.board_rows(board, self._side), "its move")
    reply = self._read(time.monotonic() + self.timeout_s, "its move", self.timeout_s)
    if reply.strip() == "SURRENDER":
      raise _BotFault("surrendered")
    try:
      move = ucc.parse_move(reply.split())
    except ValueError as e:
      raise _BotFault(f"answered '{reply}', not a move {ucc.MOVE_SHAPE}: {e}") from None
    try:
      src, dst = move.squares()
    except ValueError as e:
      raise _BotFault(f"played '{move}', which is illegal: {e}") from None
    text = notation.move_string(src, dst)
    action = stratego.string_to_action(self._side, text)
    if action not in legal:
      raise _BotFault(f"played '{move}' ({text}), which is illegal: {self._why_illegal(board, src, dst)}")
    self._last_report = None
    report = self._play(self._mirror, self._side, action)
    self._seen.append(action)
    try:  # A bot that dies now has made its move; its next turn will say so.
      self._proc.send(["QUIT" if self._mirror.is_terminal() else str(report)])
    except ProcessDied:
      pass
    return action

  def _why_illegal(self, board: np.ndarray, src: int, dst: int) -> str:
    own = range(1, 13) if self._side == 0 else range(13, 25)
    piece, target = int(board[src]), int(board[dst])
    name = lambda sq: notation.square_name(sq)
    if piece not in own:
      return f"it has no piece on {name(src)}"
    kind = P.TYPE_NAMES[(piece - 1) % 12]
    if kind in ("bomb", "flag"):
      return f"its {kind} on {name(src)} cannot move"
    step = (1 if dst > src else -1) * (1 if src // 10 == dst // 10 else 10)
    between = range(src + step, dst, step)
    if len(between) and kind != "scout":
      return f"its {kind} moves one square at a time; only scouts go further"
    if target == P.LAKE:
      return f"{name(dst)} is a lake"
    if target in own:
      return f"its own piece stands on {name(dst)}"
    blocked = [sq for sq in between if board[sq] != P.EMPTY]
    if blocked:
      return f"the way is blocked at {name(blocked[0])}"
    ban = np.asarray(self._mirror.engine_state.ban)[0]  # The two-squares rule's ban, own frame.
    own_src = src if self._side == 0 else 99 - src
    if int(ban[0]) == own_src:
      return "the two-squares rule forbids it (the same piece back and forth three times)"
    return "the more-squares rule forbids it (an endless chase)"

  # Talking to the bot.
  def _send(self, lines: list[str], waiting_for: str) -> None:
    try:
      self._proc.send(lines)
    except ProcessDied as e:
      raise _died(e, waiting_for) from None

  def _read(self, deadline: float, waiting_for: str, limit_s: float) -> str:
    try:
      return self._proc.read_line(deadline)
    except ProcessTimeout:
      raise _BotFault(f"did not give {waiting_for} within {limit_s:g}s") from None
    except ProcessDied as e:
      raise _died(e, waiting_for) from None


def _died(e: ProcessDied, waiting_for: str) -> _BotFault:
  return _BotFault(f"{e.how} before giving {waiting_for}"
                   + (f"; its stderr ends: {e.stderr_tail}" if e.stderr_tail else ""))
