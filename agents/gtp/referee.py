"""Plays one game between two GTP engines, checking every move against OpenSpiel's rules.

  outcome = play_game(black, white, MatchConfig(board_size=9), scorer=gnugo)

Each engine's `genmove` answer is checked to be legal in the referee's own
OpenSpiel state and then sent to the other engine with `play`, whose `=`
means it accepted the move (one engine may play both sides: then nothing is
forwarded). The game ends on two passes, a resignation, a repeated position
(OpenSpiel's draw) or the move limit. A `scorer` engine (often GNU Go) then
gives `final_score` and `final_status_list dead`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from agents.gtp.client import GtpClient, GtpError
from games import go

_COLOUR_NAME = {go.BLACK: "b", go.WHITE: "w"}


class IllegalMoveError(GtpError):
  """An engine answered `genmove` with a move that is not legal here."""


@dataclasses.dataclass(frozen=True)
class MatchConfig:
  """One refereed game.

  Attributes:
    board_size: N.
    komi: komi sent to both engines.
    max_moves: the game ends (and is scored) after this many moves; 0 means 8 * N * N.
    timeout_s: seconds each engine may take per answer.
  """
  board_size: int = 9
  komi: float = 7.5
  max_moves: int = 0
  timeout_s: float = 60.0

  def __post_init__(self):
    go.GoConfig(board_size=self.board_size, komi=self.komi)  # Validates both.
    if self.max_moves < 0:
      raise ValueError(f"max_moves must be >= 0, got {self.max_moves}")
    if self.timeout_s <= 0:
      raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")

  @property
  def move_limit(self) -> int:
    return self.max_moves or 8 * self.board_size * self.board_size


@dataclasses.dataclass(frozen=True)
class GameOutcome:
  """What happened in a refereed game.

  Attributes:
    moves: (colour, action) for every move, passes included; colour 0 Black, 1 White.
    end: 'passes', 'resign', 'superko' or 'max_moves'.
    result: SGF-style result: the scorer's final_score, 'B+R'/'W+R' on resignation,
      '0' for a repeated position, else OpenSpiel's area score of the board.
    board: the final board (+1 Black, -1 White).
    dead: actions of the stones the scorer lists as dead (empty without a scorer).
    area_score: Black-minus-White area score after taking the dead stones off.
    accepted: moves the non-moving engine accepted with `play` (all of them, else an error is raised).
  """
  moves: tuple[tuple[int, int], ...]
  end: str
  result: str
  board: np.ndarray
  dead: tuple[int, ...]
  area_score: float
  accepted: int


def _setup(engine: GtpClient, cfg: MatchConfig) -> None:
  engine.send(f"boardsize {cfg.board_size}")
  engine.send("clear_board")
  engine.send(f"komi {cfg.komi:g}")


def dead_stones(scorer: GtpClient, size: int) -> tuple[int, ...]:
  """Actions of the stones `scorer` lists under `final_status_list dead`."""
  text = scorer.send("final_status_list dead")
  return tuple(sorted(go.gtp_to_action(v, size) for v in text.split()))


def play_game(black: GtpClient, white: GtpClient, cfg: MatchConfig = MatchConfig(),
              scorer: GtpClient | None = None) -> GameOutcome:
  """Plays one game from an empty board; raises GtpError if an engine fails or refuses a move."""
  size = cfg.board_size
  engines = {go.BLACK: black, go.WHITE: white}
  distinct = [black] if white is black else [black, white]
  for engine in distinct:
    engine.timeout_s = cfg.timeout_s
    _setup(engine, cfg)
  game = go.load_game(go.GoConfig(board_size=size, komi=cfg.komi, max_game_length=cfg.move_limit))
  state = game.new_initial_state()
  moves: list[tuple[int, int]] = []
  accepted, end, resigned = 0, "", None
  while not end:
    colour = state.current_player()
    engine = engines[colour]
    vertex = engine.send(f"genmove {_COLOUR_NAME[colour]}")
    if vertex.lower() == "resign":
      end, resigned = "resign", colour
      break
    try:
      action = go.gtp_to_action(vertex, size)
    except ValueError as e:
      raise IllegalMoveError(f"{engine.name} answered genmove with '{vertex}': {e}") from None
    if action not in state.legal_actions():
      raise IllegalMoveError(f"{engine.name} played {vertex} for {_COLOUR_NAME[colour]}, "
                             "which is illegal under OpenSpiel's rules")
    state.apply_action(action)
    moves.append((colour, action))
    other = engines[1 - colour]
    if other is not engine:
      other.send(f"play {_COLOUR_NAME[colour]} {vertex}")
      accepted += 1
    if state.is_terminal():
      history = state.history()
      if history[-2:] == [size * size] * 2:
        end = "passes"
      elif len(history) >= cfg.move_limit:
        end = "max_moves"
      else:
        end = "superko"
  board = go.board_of(state)
  dead: tuple[int, ...] = ()
  if resigned is not None:
    result = "W+R" if resigned == go.BLACK else "B+R"
  elif end == "superko":
    result = "0"
  elif scorer is not None:
    if scorer not in distinct:
      _setup(scorer, cfg)
      for colour, action in moves:
        scorer.send(f"play {_COLOUR_NAME[colour]} {go.action_to_gtp(action, size)}")
    result = scorer.send("final_score")
    dead = dead_stones(scorer, size)
  else:
    result = go.score_string(go.area_score(board, cfg.komi))
  cleared = go.remove_stones(board, [divmod(a, size) for a in dead])
  return GameOutcome(moves=tuple(moves), end=end, result=result, board=board, dead=dead,
                     area_score=go.area_score(cleared, cfg.komi), accepted=accepted)
