"""Any agent as a bot of the 2012 UCC Stratego protocol (`stratago ucc`): the manager on stdin, moves on stdout.

  game = bot_game()
  bot = UccBot(make_agent("random", game), game)
  bot.warm_up()                       # compile the rules before the manager's clock runs
  bot.serve(sys.stdin, sys.stdout)    # one game, until QUIT or the end of the input

The agent plays an OpenSpiel `stratego` state that the bot keeps in step with
the manager's lines (the protocol is in `agents.ucc_protocol`). The game is
classic Stratego under the manager's rules: no two-squares or more-squares
rule (the manager enforces neither) and no move limits (the manager has its
own). The agent places its own pieces (`deployment=play`); they are the
bot's setup. The game then starts from the first board the manager shows,
as the manual asks bots to do: that is the setup the bot gave, except where
a manager deals the pieces (a `ucc:` agent here, with deployment=random).

The opponent's pieces are unseen. The state holds stand-ins for them, and the
bot corrects a stand-in just before the piece's identity matters: a piece
that moves is given a movable type, one that moves more than one square a
scout, and one that fights the type the manager names; every other unseen
piece keeps a type consistent with what it has done. The agent sees none of
this: its observations show unseen pieces as unknown.

Bad input. The protocol has no error reply, so a line the bot cannot follow
(a malformed line, a move that is not legal where the bot's game stands, a
board that differs from the bot's, `ILLEGAL`) raises `ProtocolError` with one
line; `stratago ucc` prints it on stderr and exits with status 2, which the
manager scores as a bot that stopped answering. The agent's own failures
(no legal move in the bot's game, `Forfeit`) answer `SURRENDER`.
"""

from __future__ import annotations

import logging
from typing import TextIO

import numpy as np
import pyspiel

from agents import base
from agents import ucc as ucc_agent
from agents import ucc_protocol as ucc
from core.errors import UserError
from games import stratego
from games.stratego import engine
from games.stratego import notation
from games.stratego import observation
from games.stratego import pieces as P

_log = logging.getLogger(__name__)

MOVABLE = -1  # A need for any type that moves (spy to marshal).
# What the bot's game overrides in any game an agent was trained on.
MANAGER_RULES = {"deployment": "play", "initial_board": "", "setups_file": "", "two_square_rule": False,
                 "more_squares_rule": False, "max_moves": 10**6, "max_moves_since_attack": 10**6}


class ProtocolError(UserError):
  """The manager sent a line the bot cannot follow; the message is one line."""


def bot_game(trained: pyspiel.Game | None = None) -> pyspiel.Game:
  """The game a bot's agent plays: classic Stratego under the manager's rules (`MANAGER_RULES`).

  Args:
    trained: the game the agent was trained on, if any; its other parameters
      (the observation's history) are kept. UserError unless it is classic Stratego.
  """
  params = {}
  if trained is not None:
    ucc_agent.check_game(trained, who="the UCC manager's bots")
    params = dict(trained.get_parameters())
  return pyspiel.load_game("stratego", {**params, **MANAGER_RULES, "variant": "classic"})


def _type(code: int) -> int:
  return code - P.BLUE_OFFSET if code > P.BLUE_OFFSET else code


def _movable(piece_type: int) -> bool:
  return P.SPY <= piece_type <= P.MARSHAL


def _fits(piece_type: int, need: int) -> bool:
  return _movable(piece_type) if need == MOVABLE else piece_type == need


def _illegal(report: ucc.Report, who: str) -> ProtocolError:
  return ProtocolError(f"the manager calls {who} move '{report}' illegal; the bot cannot skip a turn "
                       f"(run the manager without -i)")


class UccBot:
  """Plays one game for `agent` against the manager on the other end of two text streams.

  Args:
    agent: plays `game`'s states (its `step` is asked for placements and moves).
    game: from `bot_game`.
  """

  def __init__(self, agent: base.Agent, game: pyspiel.Game):
    self.agent = agent
    self.game = game
    self.side = 0
    self.state: pyspiel.State | None = None

  def warm_up(self) -> None:
    """Compiles the rules and the agent on a throw-away game, so that the first answers come in time."""
    state = self.game.new_initial_state()
    while state.legal_actions()[-1] < 40:
      state.apply_action(state.legal_actions()[0])
    board = state.board_string()
    state = pyspiel.load_game("stratego", {**self.game.get_parameters(), "initial_board": board}).new_initial_state()
    state.engine_state = engine.jit_replace_pieces(self.game.config, state.engine_state,
                                                   notation.parse_board(board))
    self.agent.step(state)
    state.apply_action(state.legal_actions()[0])
    self.agent.reset()

  def serve(self, stdin: TextIO, stdout: TextIO) -> int:
    """Plays the game; returns 0 at `QUIT` or the end of the input. ProtocolError on bad input."""
    def say(*lines: str) -> None:
      stdout.write("".join(line + "\n" for line in lines))
      stdout.flush()

    line = self._next(stdin)
    if line is None or line.startswith("QUIT"):
      return 0
    say(*self._setup(line))
    pending: tuple[ucc.Move, int] | None = None  # Our move, until the manager repeats it.
    first = True
    while True:
      line = self._next(stdin)
      if line is None or line.split()[0] == "QUIT":
        _log.info("game over: %s", line or "the manager closed the input")
        return 0
      if pending is not None:
        self._echo(line, pending)
        pending = None
        continue
      if line == "START" and (self.side != 0 or not first):
        raise ProtocolError("START came, but only RED gets it, on its first turn")
      if line != "START" and self.side == 0 and first:
        raise ProtocolError(f"RED's first turn starts with START, not '{line}'")
      report = None if line == "START" else self._report(line)
      rows = [self._row(stdin, y) for y in range(ucc.SIZE)]
      if first:
        self._adopt(rows, report)
        first = False
      elif report is not None:
        self._play(1 - self.side, report)
      self._check_board(rows)
      move, action = self._choose()
      say(str(move))
      pending = (move, action) if action >= 0 else None

  # Reading the manager.
  @staticmethod
  def _next(stdin: TextIO) -> str | None:
    """The next line that is not blank, stripped; None at the end of the input."""
    while line := stdin.readline():
      if line.strip():
        return line.strip()
    return None

  @staticmethod
  def _row(stdin: TextIO, y: int) -> str:
    line = stdin.readline()
    if not line:
      raise ProtocolError(f"the input ended inside a board (after {y} of its 10 rows)")
    return line.strip()

  @staticmethod
  def _report(line: str) -> ucc.Report:
    try:
      return ucc.parse_report(line)
    except ValueError as e:
      raise ProtocolError(f"cannot read '{line}' as a move and its outcome: {e}") from None

  # The setup.
  def _setup(self, line: str) -> list[str]:
    """Answers `COLOUR OPPONENT WIDTH HEIGHT` with the agent's four setup rows."""
    tokens = line.split()
    if len(tokens) != 4 or tokens[0] not in ucc.COLOURS:
      raise ProtocolError(f"expected 'RED|BLUE OPPONENT 10 10' to start the game, got '{line}'")
    if tokens[2:] != [str(ucc.SIZE)] * 2:
      raise ProtocolError(f"the board is {tokens[2]}x{tokens[3]}; this bot plays classic Stratego on 10x10")
    self.side = ucc.COLOURS.index(tokens[0])
    _log.info("playing %s against %s", tokens[0], tokens[1])
    self.agent.reset()
    state = self.state = self.game.new_initial_state()
    while state.legal_actions()[-1] < 40:
      legal = state.legal_actions()
      if state.current_player() == self.side:
        action = self.agent.step(state)
        if action not in legal:
          raise RuntimeError(f"the agent placed a piece with action {action}, not one of {legal}")
      else:
        action = legal[0]  # Stand-ins for the opponent's pieces, corrected as the manager names them.
      state.apply_action(action)
    board = notation.parse_board(state.board_string())
    own = notation.SETUP_SQUARES if self.side == 0 else 99 - notation.SETUP_SQUARES
    return ucc.setup_rows(np.array([_type(int(board[sq])) for sq in own]), self.side)

  def _adopt(self, rows: list[str], report: ucc.Report | None) -> None:
    """Starts the bot's game from the first board it is shown (BLUE's after undoing RED's first move, `report`).

    The manual asks bots to take their pieces from this board. The manager
    shows the setup the bot gave, but a manager that deals the pieces (a
    `ucc:` agent here, with deployment=random) shows the dealt ones.
    """
    own, enemy = (0, P.BLUE_OFFSET) if self.side == 0 else (P.BLUE_OFFSET, 0)
    board = np.zeros(100, np.int8)
    unseen, pinned = [], {}
    for y, row in enumerate(rows):
      if len(row) != ucc.SIZE:
        raise ProtocolError(f"the manager's board row {y} '{row}' has {len(row)} squares, not {ucc.SIZE}")
      for x, ch in enumerate(row):
        sq = ucc.xy_square(x, y)
        if (ch == "+") != (sq in P.LAKE_SQUARES):
          raise ProtocolError(f"the manager's board row {y} '{row}' has its lakes ('+') out of place")
        if ch == "+":
          board[sq] = P.LAKE
        elif ch == "#":
          unseen.append(sq)
        elif ch != ".":
          try:
            board[sq] = ucc.piece_type(ch) + own
          except ValueError as e:
            raise ProtocolError(f"the manager's board row {y} '{row}': {e}") from None
    if report is not None:  # Put RED's first move back.
      src, dst = self._squares(report, "the opponent's")
      if report.outcome == "ILLEGAL":
        raise _illegal(report, "the opponent's")
      moved_on = report.outcome in ("OK", "KILLS")
      if src in unseen or moved_on and dst not in unseen:
        raise ProtocolError(f"the manager's board does not show the opponent's move '{report}' "
                            f"({notation.move_string(src, dst)}) made")
      if moved_on:
        unseen.remove(dst)
      unseen.append(src)
      if report.ranks is not None:
        pinned[src] = report.ranks[0]
        if report.outcome != "DIES":
          board[dst] = report.ranks[1] + own
    pool = list(P.placement_order(P.Variant.CLASSIC))  # Stand-ins: any 40 types of the classic set.
    if len(unseen) > len(pool) or any(t not in pool for t in pinned.values()):
      raise ProtocolError(f"the manager's board shows {len(unseen)} opponent pieces, not classic Stratego's 40")
    for sq, t in pinned.items():
      pool.remove(t)
      board[sq] = t + enemy
    for sq in (sq for sq in unseen if sq not in pinned):
      board[sq] = pool.pop(0) + enemy
    setup = notation.parse_board(self.state.board_string())
    mine = lambda b: np.where((b > own) & (b <= own + P.NUM_TYPES), b, 0)
    if not np.array_equal(mine(board), mine(setup)):
      _log.info("the manager shows pieces other than the bot's setup; playing the pieces it shows")
    params = {**self.game.get_parameters(), "initial_board": notation.format_board(board)}
    self.game = pyspiel.load_game("stratego", params)
    self.state = self.game.new_initial_state()
    if report is not None:
      self._play(0, report)

  # Moves.
  def _choose(self) -> tuple[ucc.Move | str, int]:
    """The agent's move as the protocol writes it, with its action; SURRENDER (action -1) if it has none."""
    state = self.state
    if state.is_terminal() or state.current_player() != self.side:
      _log.warning("no move to make in the bot's game (%s); surrendering", "it is over" if state.is_terminal()
                   else "not its turn")
      return "SURRENDER", -1
    try:
      action = self.agent.step(state)
    except base.Forfeit as e:
      _log.warning("the agent forfeits (%s); surrendering", e)
      return "SURRENDER", -1
    if action not in state.legal_actions():
      raise RuntimeError(f"the agent chose action {action}, which is not legal")
    src, dst = notation.parse_move(state.action_to_string(action))
    return ucc.move_between(src, dst), action

  def _echo(self, line: str, pending: tuple[ucc.Move, int]) -> None:
    report = self._report(line)
    if report.move != pending[0]:
      raise ProtocolError(f"the manager repeated '{report.move}', but the bot played '{pending[0]}'")
    self._play(self.side, report)

  def _play(self, player: int, report: ucc.Report) -> None:
    """Plays a move the manager reports on the bot's state, first correcting the stand-in it involves."""
    state = self.state
    who = "the bot's" if player == self.side else "the opponent's"
    src, dst = self._squares(report, who)
    if report.outcome == "ILLEGAL":
      raise _illegal(report, who)
    if state.is_terminal() or state.current_player() != player:
      raise ProtocolError(f"{who} move '{report}' came when the bot's game is "
                          f"{'over' if state.is_terminal() else 'at the other side to move'}")
    board = notation.parse_board(state.board_string())
    mine = lambda sq: int(board[sq]) != P.EMPTY and (int(board[sq]) > P.BLUE_OFFSET) == bool(self.side)
    if report.ranks is not None:
      own_sq, own_rank, their_sq, their_rank = ((src, report.ranks[0], dst, report.ranks[1]) if player == self.side
                                                else (dst, report.ranks[1], src, report.ranks[0]))
      if not mine(own_sq) or _type(int(board[own_sq])) != own_rank:
        raise ProtocolError(f"{who} move '{report}' names '{ucc.letter(own_rank)}' on the bot's side at "
                            f"{notation.square_name(own_sq)}, where the bot's game has "
                            f"'{notation.format_board(board[own_sq:own_sq + 1])}'")
      self._pin(their_sq, their_rank)
    elif report.outcome == "VICTORY_FLAG" and player == self.side:
      self._pin(dst, P.FLAG)
    elif player != self.side:
      self._pin(src, P.SCOUT if report.move.multiplier > 1 else MOVABLE)
    action = stratego.string_to_action(player, notation.move_string(src, dst))
    if action not in state.legal_actions():
      raise ProtocolError(f"{who} move '{report}' ({notation.move_string(src, dst)}) is not legal in the "
                          f"bot's game")
    before = notation.parse_board(state.board_string())
    state.apply_action(action)
    got = ucc.report(before, notation.parse_board(state.board_string()), src, dst)
    if (got.outcome, got.ranks) != (report.outcome, report.ranks):
      raise ProtocolError(f"{who} move '{report}' ended '{got.outcome}' in the bot's game")

  @staticmethod
  def _squares(report: ucc.Report, who: str) -> tuple[int, int]:
    try:
      return report.move.squares()
    except ValueError as e:
      raise ProtocolError(f"{who} move '{report}': {e}") from None

  def _pin(self, square: int, need: int) -> None:
    """Gives the unseen opponent piece on `square` a type that fits `need`, keeping every other stand-in consistent."""
    board, revealed, moved = observation.absolute_view(self.state.engine_state)
    board = board.copy()
    theirs = lambda sq: int(board[sq]) not in (P.EMPTY, P.LAKE) and (int(board[sq]) > P.BLUE_OFFSET) != bool(self.side)
    where = notation.square_name(square)
    want = "a piece that moves" if need == MOVABLE else f"'{ucc.letter(need)}'"
    if not theirs(square):
      raise ProtocolError(f"the manager's move needs an opponent piece on {where}; the bot's game has none there")
    offset = 0 if self.side == 1 else P.BLUE_OFFSET
    current = _type(int(board[square]))
    if _fits(current, need):
      return
    if revealed[square]:
      raise ProtocolError(f"the manager names {want} on {where}, which the bot has seen as "
                          f"'{ucc.letter(current)}'")
    hidden = [sq for sq in range(100) if theirs(sq) and not revealed[sq] and sq != square]
    partner = next((sq for sq in hidden if _fits(_type(int(board[sq])), need)
                    and (not moved[sq] or _movable(current))), None)
    if partner is not None:
      board[square], board[partner] = board[partner], board[square]
    else:  # No simple swap: deal all unseen types again, movers first.
      pool = sorted([_type(int(board[sq])) for sq in hidden] + [current], key=lambda t: not _movable(t))
      pick = next((t for t in pool if _fits(t, need)), None)
      if pick is None:
        raise ProtocolError(f"the manager names {want} on {where}; the opponent has no such piece left unseen")
      pool.remove(pick)
      movers = [sq for sq in hidden if moved[sq]]
      if sum(map(_movable, pool)) < len(movers):
        raise ProtocolError(f"the manager names {want} on {where}; the opponent's moves so far leave no room for it")
      board[square] = pick + offset
      for sq in movers + [sq for sq in hidden if not moved[sq]]:
        board[sq] = pool.pop(0) + offset
    self.state.engine_state = engine.jit_replace_pieces(self.game.config, self.state.engine_state, board)

  def _check_board(self, rows: list[str]) -> None:
    want = ucc.board_rows(notation.parse_board(self.state.board_string()), self.side)
    for y, (got, ours) in enumerate(zip(rows, want)):
      if got != ours:
        raise ProtocolError(f"the manager's board row {y} is '{got}', the bot's game has '{ours}'")
