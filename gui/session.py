"""One game between a person and an agent, as the GUI's server runs it: no web code here.

  session = session_for(game, agent, human=0, seed=7)
  view = session.view()                     # what the person may see, as JSON-ready dicts
  session.human({"type": "move", "from": "e4", "to": "e5"})   # raises MoveError, leaving the game as it was
  while session.agent_to_move():
    session.agent_move()                    # the agent's move (the server calls it off the event loop)

Every move is checked by the game. `view()` holds only the person's
observation: the identity of an enemy Stratego piece appears only once an
attack has revealed it, or when the game is over. Squares and points use the
project's notation: `e4` squares in Red's frame for Stratego, GTP vertices
(`D4`) for Go.
"""

from __future__ import annotations

import abc
import functools
from typing import Any

import numpy as np
import pyspiel

from agents import base
from core.errors import UserError

# The longest message the page may send; longer ones are refused unread.
MAX_MESSAGE_CHARS = 4096


class MoveError(UserError):
  """A message the game refuses: an illegal move, a bad setup, a malformed request. The game is unchanged."""


class Session(abc.ABC):
  """A game in progress between the person (seat `human`) and `agent`."""

  def __init__(self, game: pyspiel.Game, agent: base.Agent, human: int, seed: int):
    self.game = game
    self.agent = agent
    self.human_seat = human
    self.rng = np.random.default_rng(seed)
    self.resigned: int | None = None

  @abc.abstractmethod
  def view(self) -> dict[str, Any]:
    """The person's view of the game: a JSON-ready dict with `type` "state"."""

  @abc.abstractmethod
  def human(self, message: dict[str, Any]) -> None:
    """Applies the person's request (a move, pass, undo, resign...); raises MoveError if refused."""

  @abc.abstractmethod
  def play(self, action: int) -> None:
    """Plays `action`, a legal move of the side to move, and keeps what the view shows of it (captures, attacks).

    Unchecked: `human` and `agent_move` call it after their checks, the replay
    builder for each move of a saved game.
    """

  @abc.abstractmethod
  def agent_to_move(self) -> bool:
    """The agent is to act (the game is not over)."""

  @abc.abstractmethod
  def agent_move(self) -> None:
    """Asks the agent for its move and plays it; an agent that fails forfeits the game."""

  def _agent_action(self, state: pyspiel.State) -> int | None:
    """The agent's legal action, or None if it forfeits (it then loses by resignation)."""
    try:
      action = int(self.agent.step(state))
    except base.Forfeit:
      action = None
    if getattr(self.agent, "resigned", False):  # an engine that answered `resign` (see agents.gtp.opponent)
      action = None
    if action is None or action not in state.legal_actions():
      self.resigned = 1 - self.human_seat
      return None
    return action


def session_for(game: pyspiel.Game, agent: base.Agent, human: int = 0, seed: int = 0, **kwargs) -> Session:
  """A `StrategoSession` or `GoSession` for `game`; UserError for any other game."""
  name = game.get_type().short_name
  if human not in (0, 1):
    raise MoveError(f"side must be 0 or 1, got {human!r}")
  if name == "stratego":
    return StrategoSession(game, agent, human, seed, **kwargs)
  if name == "go":
    return GoSession(game, agent, human, seed)
  raise UserError(f"the GUI plays stratego(...) and go(...), not {name}")


def _text(message: dict[str, Any], key: str, limit: int = 64) -> str:
  value = message.get(key)
  if not isinstance(value, str) or not 0 < len(value) <= limit:
    raise MoveError(f"'{key}' must be a string of 1 to {limit} characters")
  return value


# --- Stratego ------------------------------------------------------------------------------

SIDE_NAMES = ("Red", "Blue")


class StrategoSession(Session):
  """Stratego: a setup phase (the person's 40 letters; the agent deploys its own), then play.

  The agent places its pieces by its own deployment policy when the game's
  `deployment` is `play`, uniformly at random for `random`, and from a line of
  the game's setups file for `file`. The game is played in the same rules with
  `deployment=play`, so that the person's setup is theirs.
  """

  def __init__(self, game: pyspiel.Game, agent: base.Agent, human: int, seed: int,
               setups: tuple[str, ...] = ()):
    super().__init__(game, agent, human, seed)
    from games.stratego import pieces
    params = dict(game.get_parameters())
    self.agent_deployment = params["deployment"]
    self.variant = pieces.Variant(params["variant"])
    self.has_board = bool(params["initial_board"])
    self.play_game = pyspiel.load_game("stratego", {**params, "deployment": "play"})
    self.source_game = game
    self.setups = tuple(setups)
    self.state = self.play_game.new_initial_state()
    self.setup: np.ndarray | None = None
    self.placed_human = 0
    self._used = np.zeros(40, bool)  # setup letters already placed
    self._agent_setup: np.ndarray | None = None  # deployment=file: the agent's line and what it placed
    self._agent_used = np.zeros(40, bool)
    self.moves: list[dict[str, Any]] = []
    self.captured: tuple[list[str], list[str]] = ([], [])
    self.last_attack: dict[str, Any] | None = None
    if self.has_board:
      self.setup = np.zeros(40, np.int8)  # nothing to place: the board is given

  # -- the person's requests

  def human(self, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "setup":
      self._set_up(_text(message, "setup"))
    elif kind == "move":
      self._human_move(_text(message, "from", 3), _text(message, "to", 3))
    elif kind == "resign":
      self._resign()
    else:
      raise MoveError(f"unknown request {kind!r} in a Stratego game")

  def _set_up(self, letters: str) -> None:
    from games.stratego import setups
    if self.setup is not None:
      raise MoveError("your pieces are already set up")
    try:
      self.setup = setups.parse_setup(letters, self.variant)
    except ValueError as e:
      raise MoveError(f"bad setup: {e}") from None
    self._deploy()

  def _deploy(self) -> None:
    """Places the person's pieces from their setup while it is their turn to place."""
    from games.stratego import pieces
    order = pieces.placement_order(self.variant)
    used = self._used
    while self._deploying() and self.state.current_player() == self.human_seat:
      kind = order[self.placed_human]
      free = np.flatnonzero((self.setup == kind) & ~used)
      if not len(free):
        break
      action = int(free[0])
      used[action] = True
      self.state.apply_action(action)
      self.placed_human += 1

  def _deploying(self) -> bool:
    return not self.state.is_terminal() and self.state.is_deploying()

  def _human_move(self, src: str, dst: str) -> None:
    from games.stratego.openspiel_game import string_to_action
    if self.setup is None or self._deploying():
      raise MoveError("set up your pieces first")
    if self.state.is_terminal() or self.resigned is not None:
      raise MoveError("the game is over")
    if self.state.current_player() != self.human_seat:
      raise MoveError("it is not your turn")
    try:
      action = string_to_action(self.human_seat, f"{src}-{dst}")
    except ValueError as e:
      raise MoveError(str(e)) from None
    if action not in self.state.legal_actions():
      refused = self._refused().get(action)
      raise MoveError(refused or f"{src}-{dst} is not a legal move")
    self.play(action)

  def _resign(self) -> None:
    if self.state.is_terminal() or self.resigned is not None:
      raise MoveError("the game is over")
    self.resigned = self.human_seat

  # -- the agent

  def agent_to_move(self) -> bool:
    if self.setup is None or self.state.is_terminal() or self.resigned is not None:
      return False
    return self.state.current_player() == 1 - self.human_seat

  def agent_move(self) -> None:
    state = self.state
    if self._deploying():
      if self.agent_deployment == "play":
        action = self._agent_action(state)
      else:
        action = self._dealt_placement()
      if action is not None:
        state.apply_action(action)
        self._deploy()
      return
    action = self._agent_action(state)
    if action is not None:
      self.play(action)

  def _dealt_placement(self) -> int:
    """The agent's next placement under `deployment=random` or `file`."""
    from games.stratego import pieces
    legal = self.state.legal_actions()
    if self.agent_deployment == "file":
      if self._agent_setup is None:
        self._agent_setup = np.asarray(self.source_game.setups[self.rng.integers(len(self.source_game.setups))])
      kind = pieces.placement_order(self.variant)[self._agent_placed()]
      free = [int(i) for i in np.flatnonzero((self._agent_setup == kind) & ~self._agent_used) if i in legal]
      if free:
        self._agent_used[free[0]] = True
        return free[0]
    return int(self.rng.choice(legal))

  def _agent_placed(self) -> int:
    return int(self.state.engine_state.placed) - self.placed_human

  # -- playing a move and describing it

  def play(self, action: int) -> None:
    from games.stratego import notation, observation
    from games.stratego.openspiel_game import action_to_string
    side = self.state.current_player()
    text = action_to_string(side, action)
    src, dst = notation.parse_move(text)
    before = observation.absolute_view(self.state.engine_state)[0]
    self.state.apply_action(action)
    after = observation.absolute_view(self.state.engine_state)[0]
    attack = None
    if before[dst] != 0:
      attack = {"square": notation.square_name(dst), "attacker": piece_of(before[src]),
                "defender": piece_of(before[dst])}
      if after[dst] == before[src]:
        attack["result"], lost = "attacker wins", [before[dst]]
      elif after[dst] == before[dst]:
        attack["result"], lost = "defender wins", [before[src]]
      else:
        attack["result"], lost = "both removed", [before[src], before[dst]]
      for code in lost:
        owner, letter = piece_of(code)["side"], piece_of(code)["piece"]
        self.captured[owner].append(letter)
    self.last_attack = attack
    self.moves.append({"side": side, "move": text, "from": notation.square_name(src),
                       "to": notation.square_name(dst), "attack": attack})

  def _refused(self) -> dict[int, str]:
    """Moves the piece could make but the repetition rules forbid now: action -> why."""
    from games.stratego import engine
    why = {engine.FORBIDDEN_TWO_SQUARES: ("the two-squares rule: a piece may not move back and forth "
                                          "between the same two squares more than three times in a row"),
           engine.FORBIDDEN_MORE_SQUARES: ("the more-squares rule: you may not keep chasing a piece "
                                           "into a position your chase has already made")}
    forbidden = np.asarray(_repetition_forbidden(self.play_game.config, self.state.engine_state)).reshape(-1)
    offset = engine.NUM_ACTIONS - forbidden.size  # the placements come first
    return {offset + int(i): why[int(forbidden[i])] for i in np.flatnonzero(forbidden != engine.FORBIDDEN_NONE)}

  # -- what the person sees

  def view(self) -> dict[str, Any]:
    from games.stratego import notation, observation, pieces, record
    from games.stratego.openspiel_game import action_to_string
    over = self.state.is_terminal() or self.resigned is not None
    board, revealed, moved = observation.absolute_view(self.state.engine_state)
    me = self.human_seat
    deploying = self.setup is None or self._deploying()
    cells = []
    for sq in range(100):
      code = int(board[sq])
      if code in (pieces.EMPTY, pieces.LAKE):
        cells.append(None)
        continue
      piece = piece_of(code)
      if piece["side"] != me and deploying:
        cells.append(None)  # the enemy's placements are not shown while deploying
      elif piece["side"] != me and not revealed[sq] and not over:
        cells.append({"side": piece["side"], "piece": "?", "moved": bool(moved[sq])})
      else:
        cells.append({**piece, "moved": bool(moved[sq]), "revealed": bool(revealed[sq])})
    legal: dict[str, list[str]] = {}
    refused: dict[str, dict[str, str]] = {}
    if not over and not deploying and self.state.current_player() == me:
      for action in self.state.legal_actions():
        src, dst = action_to_string(me, action).split("-")
        legal.setdefault(src, []).append(dst)
      for action, why in self._refused().items():
        src, dst = action_to_string(me, action).split("-")
        refused.setdefault(src, {})[dst] = why
    phase = "over" if over else "setup" if self.setup is None else "deploy" if deploying else "play"
    out = {"type": "state", "game": "stratego", "phase": phase, "you": me, "variant": self.variant.value,
           "to_move": None if over else self.state.current_player(), "board": cells,
           "lakes": [notation.square_name(s) for s in pieces.LAKE_SQUARES],
           "legal": legal, "refused": refused, "moves": self.moves,
           "last": self.moves[-1] if self.moves else None, "attack": self.last_attack,
           "captured": [list(self.captured[0]), list(self.captured[1])],
           "num_moves": int(self.state.engine_state.num_moves),
           "since_attack": int(self.state.engine_state.since_attack), "result": None}
    if over:  # the game is over: every piece may be shown, and the record saved
      out["result"] = self._result()
      rec = record.record_of(self.state, self._players(),
                             end=out["result"]["how"] if self.resigned is not None else None)
      if self.resigned is not None:
        rec["returns"] = [1.0 if side == 1 - self.resigned else -1.0 for side in (0, 1)]
      out["record"] = rec
    return out

  def _players(self) -> tuple[str, str]:
    players = ["you", "agent"]
    return tuple(players if self.human_seat == 0 else players[::-1])

  def _result(self) -> dict[str, Any]:
    from games.stratego import record
    if self.resigned is not None:
      winner, how = 1 - self.resigned, f"{SIDE_NAMES[self.resigned]} resigned"
    else:
      returns = self.state.returns()
      winner = None if returns[0] == returns[1] else int(np.argmax(returns))
      how = record.end_name(self.state)
    text = "Draw" if winner is None else f"{SIDE_NAMES[winner]} wins"
    you = "" if winner is None else " — you win" if winner == self.human_seat else " — the agent wins"
    return {"winner": winner, "how": how, "text": f"{text} ({how}){you}"}

  def setup_info(self) -> dict[str, Any]:
    """What the setup editor needs: the piece counts, their names and the person's saved setups."""
    from games.stratego import pieces
    counts = pieces.counts(self.variant)
    return {"type": "setup", "variant": self.variant.value, "you": self.human_seat,
            "pieces": {pieces.letter(t): int(counts[t]) for t in range(1, 13) if counts[t]},
            "names": {pieces.letter(t): pieces.TYPE_NAMES[t - 1] for t in range(1, 13)},
            "setups": list(self.setups), "given_board": self.has_board}


def piece_of(code: int) -> dict[str, Any]:
  """A square code -> {"side", "piece"} with the piece as its Red letter (B bomb ... M flag)."""
  from games.stratego import pieces
  code = int(code)
  side = 0 if code <= pieces.BLUE_OFFSET else 1
  return {"side": side, "piece": pieces.letter(code - pieces.BLUE_OFFSET * side)}


@functools.lru_cache(maxsize=None)
def _repetition_forbidden_fn(config):
  import jax
  from games.stratego import engine
  return jax.jit(functools.partial(engine.repetition_forbidden, config))


def _repetition_forbidden(config, state):
  """int8[100, 18]: which repetition rule forbids each move now (`engine.repetition_forbidden`), compiled once."""
  return _repetition_forbidden_fn(config)(state)


# --- Go ------------------------------------------------------------------------------------


class GoSession(Session):
  """Go on OpenSpiel's rules: click to play, pass, undo (your move and the agent's), resign.

  After two passes the game is scored: with GNU Go installed, its
  `final_status_list dead` marks the dead stones, which are taken off before
  the area count; without it, the area score of the board as it stands.
  """

  def __init__(self, game: pyspiel.Game, agent: base.Agent, human: int, seed: int):
    super().__init__(game, agent, human, seed)
    params = game.get_parameters()
    self.size, self.komi = int(params["board_size"]), float(params["komi"])
    self.state = game.new_initial_state()
    self.captures = [0, 0]
    self.scored: dict[str, Any] | None = None

  def human(self, message: dict[str, Any]) -> None:
    from games import go
    kind = message.get("type")
    if kind in ("move", "pass"):
      if self._over():
        raise MoveError("the game is over")
      if self.state.current_player() != self.human_seat:
        raise MoveError("it is not your turn")
      if kind == "pass":
        action = self.size * self.size
      else:
        vertex = _text(message, "point", 4)
        try:
          action = go.gtp_to_action(vertex, self.size)
        except ValueError as e:
          raise MoveError(str(e)) from None
        if action == self.size * self.size:
          raise MoveError("send a pass as {\"type\": \"pass\"}")
      if action not in self.state.legal_actions():
        raise MoveError(f"{go.action_to_gtp(action, self.size)} is not a legal move here"
                        " (an occupied point, suicide or a repeated position)")
      self.play(action)
    elif kind == "undo":
      self._undo()
    elif kind == "resign":
      if self._over():
        raise MoveError("the game is over")
      self.resigned = self.human_seat
    else:
      raise MoveError(f"unknown request {kind!r} in a Go game")

  def _over(self) -> bool:
    return self.state.is_terminal() or self.resigned is not None

  def play(self, action: int) -> None:
    from games import go
    before = go.board_of(self.state)
    colour = self.state.current_player()
    self.state.apply_action(action)
    after = go.board_of(self.state)
    enemy = -1 if colour == go.BLACK else 1
    self.captures[colour] += int(np.sum((before == enemy) & (after != enemy)))

  def _undo(self) -> None:
    """Takes back moves until it is the person's turn again before their last move."""
    history = list(self.state.history())
    mine = [i for i, _ in enumerate(history) if i % 2 == self.human_seat]
    if self.resigned is not None or not mine:
      raise MoveError("nothing to undo" if not mine else "the game is over")
    self.state, self.captures, self.scored = self.game.new_initial_state(), [0, 0], None
    for action in history[:mine[-1]]:
      self.play(action)
    self.agent.reset()

  def agent_to_move(self) -> bool:
    return not self._over() and self.state.current_player() == 1 - self.human_seat

  def agent_move(self) -> None:
    action = self._agent_action(self.state)
    if action is not None:
      self.play(action)

  def view(self) -> dict[str, Any]:
    from games import go
    board = go.board_of(self.state)
    over = self._over()
    history = self.state.history()
    legal = []
    if not over and self.state.current_player() == self.human_seat:
      legal = [go.action_to_gtp(a, self.size) for a in self.state.legal_actions() if a != self.size ** 2]
    out = {"type": "state", "game": "go", "size": self.size, "komi": self.komi, "you": self.human_seat,
           "phase": "over" if over else "play",
           "to_move": None if over else self.state.current_player(),
           "stones": [int(x) for x in board.reshape(-1)],
           "moves": [go.action_to_gtp(a, self.size) for a in history],
           "last": go.action_to_gtp(history[-1], self.size) if history else None,
           "legal": legal, "captures": list(self.captures), "result": None}
    if over:
      out["result"] = self.result()
      out["sgf"] = self.sgf()
    return out

  def result(self) -> dict[str, Any]:
    """The game's result: by resignation, or the score with dead stones (cached once computed)."""
    from games import go
    if self.resigned is not None:
      winner = 1 - self.resigned
      return {"winner": winner, "text": f"{'BW'[winner]}+R", "how": "resignation", "dead": [], "score": None}
    if self.scored is None:
      dead, how = _dead_stones(self.size, self.komi, self.state.history())
      board = go.board_of(self.state)
      board = go.remove_stones(board, [go.action_to_point(a, self.size) for a in dead]) if dead else board
      score = go.area_score(board, self.komi)
      winner = None if score == 0 else (go.BLACK if score > 0 else go.WHITE)
      self.scored = {"winner": winner, "text": go.score_string(score), "how": how,
                     "dead": [go.action_to_gtp(a, self.size) for a in dead], "score": score}
    return self.scored

  def sgf(self) -> str:
    from games import sgf
    result = self.result()["text"] if self._over() else ""
    players = ["you", "agent"] if self.human_seat == 0 else ["agent", "you"]
    record = sgf.GoRecord(board_size=self.size, komi=self.komi,
                          moves=tuple((i % 2, a) for i, a in enumerate(self.state.history())),
                          result=result, black_name=players[0], white_name=players[1], rules="Chinese")
    return sgf.to_sgf_bytes(record).decode()


def _dead_stones(size: int, komi: float, history) -> tuple[list[int], str]:
  """(dead stones' actions, how they were found): GNU Go's opinion where installed, else none."""
  from agents.gtp import gnugo
  path = gnugo.find_gnugo()
  if path is None:
    return [], "area score as the board stands (GNU Go not installed)"
  from agents.gtp import referee
  from agents.gtp.client import GtpClient, GtpError
  from games import go
  try:
    with GtpClient(gnugo.gnugo_command(path, level=1, seed=0), timeout_s=30, name="gnugo") as scorer:
      scorer.send(f"boardsize {size}")
      scorer.send("clear_board")
      scorer.send(f"komi {komi:g}")
      for i, action in enumerate(history):
        scorer.send(f"play {'bw'[i % 2]} {go.action_to_gtp(action, size)}")
      return list(referee.dead_stones(scorer, size)), "area score, dead stones by GNU Go"
  except GtpError as e:
    return [], f"area score as the board stands (GNU Go failed: {e})"
