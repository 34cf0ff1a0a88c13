"""The OpenSpiel game `stratego`: a thin pyspiel shell that drives the JAX rules one state at a time.

Importing this module registers the game, so any program that imports
`games` can call `pyspiel.load_game("stratego(variant=barrage,deployment=random)")`.

Players: 0 Red (moves first), 1 Blue. Action ids are those of `engine`
(deployment 0-39, moves 40-1839, in the acting player's frame); actions print
in the notation, e.g. `e4-e5`, and deployment as `place c3`. With
`deployment=random` a chance node places each piece uniformly among its
owner's free home squares (a uniform random setup); with `deployment=file` one
chance node per side picks a line of `setups_file` uniformly.

The information-state tensor is the observation tensor (see `observation`): the
board as the player knows it plus the last `history` moves; it is not perfect
recall. The information-state string is perfect recall: every public move and
the player's own deployment, then the player's view of the board.
"""

from __future__ import annotations

import numpy as np
import pyspiel

from core.errors import UserError
from games.stratego import _tables as T
from games.stratego import engine
from games.stratego import notation
from games.stratego import observation
from games.stratego import pieces as P
from games.stratego import setups
from games.stratego.config import RulesConfig

_DEFAULTS = {
    "variant": "classic",
    "initial_board": "",
    "deployment": "play",
    "setups_file": "",
    "max_moves": 2000,
    "max_moves_since_attack": 200,
    "two_square_rule": True,
    "more_squares_rule": True,
    "history": 8,
}
_DEPLOYMENTS = ("play", "random", "file")

GAME_TYPE = pyspiel.GameType(
    short_name="stratego",
    long_name="Stratego",
    dynamics=pyspiel.GameType.Dynamics.SEQUENTIAL,
    chance_mode=pyspiel.GameType.ChanceMode.EXPLICIT_STOCHASTIC,
    information=pyspiel.GameType.Information.IMPERFECT_INFORMATION,
    utility=pyspiel.GameType.Utility.ZERO_SUM,
    reward_model=pyspiel.GameType.RewardModel.TERMINAL,
    max_num_players=2,
    min_num_players=2,
    provides_information_state_string=True,
    provides_information_state_tensor=True,
    provides_observation_string=True,
    provides_observation_tensor=True,
    parameter_specification=_DEFAULTS)


# Games made in this process, by their string, so that states (also unpickled ones) find theirs.
_GAMES: dict[str, "StrategoGame"] = {}


class GameParameterError(UserError, ValueError):
  """A `stratego(...)` parameter with a bad value."""


class StrategoGame(pyspiel.Game):
  """Stratego with the parameters in `_DEFAULTS`; see the module docstring.

  An `initial_board` must be a real start: exactly one flag and a piece that
  moves on each side (`notation.check_playable`). Rule tests build positions
  that are not with `check_board=False` (see `games.stratego.testing`).
  """

  def __init__(self, params=None, check_board: bool = True):
    params = {**_DEFAULTS, **(params or {})}
    try:
      variant = P.Variant(params["variant"])
    except ValueError:
      raise GameParameterError(f"variant must be classic or barrage, got {params['variant']!r}") from None
    try:
      self.config = RulesConfig(
          variant=variant, max_moves=int(params["max_moves"]),
          max_moves_since_attack=int(params["max_moves_since_attack"]),
          two_square_rule=bool(params["two_square_rule"]),
          more_squares_rule=bool(params["more_squares_rule"]), history=int(params["history"]))
    except ValueError as e:
      raise GameParameterError(str(e)) from None
    self.deployment = params["deployment"]
    if self.deployment not in _DEPLOYMENTS:
      raise GameParameterError(f"deployment must be one of {', '.join(_DEPLOYMENTS)}, got {self.deployment!r}")
    self.initial_board = None
    if params["initial_board"]:
      try:
        self.initial_board = notation.parse_board(params["initial_board"])
        if check_board:
          notation.check_playable(self.initial_board)
      except ValueError as e:
        raise GameParameterError(f"initial_board: {e}") from None
    self.setups = None
    if self.deployment == "file" and self.initial_board is None:
      if not params["setups_file"]:
        raise GameParameterError("deployment=file needs setups_file")
      # Bad lines are logged with file:line and skipped, so one stray line in
      # a collected data set does not make the whole file unusable.
      self.setups = setups.load_setups(params["setups_file"], variant, skip_bad_lines=True)
    n = P.num_pieces(variant)
    deploying = self.initial_board is None
    chance = 0
    if deploying and self.deployment == "random":
      chance = 40
    elif deploying and self.deployment == "file":
      chance = len(self.setups)
    info = pyspiel.GameInfo(
        num_distinct_actions=T.NUM_ACTIONS, max_chance_outcomes=chance, num_players=2,
        min_utility=-1.0, max_utility=1.0, utility_sum=0.0,
        max_game_length=self.config.max_moves + (2 * n if deploying else 0))
    super().__init__(GAME_TYPE, info, params)
    if deploying:
      self._start = engine.jit_init_deployment(self.config)
    else:
      self._start = engine.jit_init_from_board(self.config, self.initial_board)
    _GAMES[str(self)] = self

  def batched_start(self) -> tuple[np.ndarray | None, bool] | None:
    """`(initial_board, deploy)`: how `engine.deal` starts this game's games; None for setups from a file.

    With an `initial_board` every game starts from it; with `deployment=play`
    the players place their pieces (`deploy`); with `deployment=random` both
    sides are dealt uniformly at random.
    """
    if self.initial_board is not None:
      return self.initial_board, False
    if self.deployment == "file":
      return None
    return None, self.deployment == "play"

  def new_initial_state(self):
    return StrategoState(self)

  def action_from_to(self) -> np.ndarray:
    """int32[num_distinct_actions, 2]: each action's (from, to) square in the observation tensor's
    square order, (-1, -1) for deployment; see `observation.action_from_to`."""
    return observation.action_from_to()

  def make_py_observer(self, iig_obs_type=None, params=None):
    if params:
      raise ValueError(f"observation parameters not supported; got {params}")
    perfect_recall = bool(iig_obs_type and iig_obs_type.perfect_recall)
    return StrategoObserver(self, perfect_recall)


class StrategoState(pyspiel.State):
  """One game in progress: holds an `engine.State` and a log of the actions taken."""

  def __init__(self, game: StrategoGame):
    super().__init__(game)
    self._game_key = str(game)
    self.engine_state = game._start
    self._log: list[tuple[int, int, str]] = []  # (side, action, kind): kind d placement, s setup line, m move

  # Read-only views.
  @property
  def _game(self) -> StrategoGame:
    """The game this state belongs to (kept out of the pickled state, found by its string)."""
    game = _GAMES.get(self._game_key)
    return game if game is not None else pyspiel.load_game(self._game_key)

  @property
  def config(self) -> RulesConfig:
    return self._game.config

  def is_deploying(self) -> bool:
    """The players are still placing their pieces: the actions are placements (0..39), not moves."""
    return int(self.engine_state.placed) < 2 * P.num_pieces(self.config.variant)

  def _side(self) -> int:
    return int(self.engine_state.player)

  # pyspiel API.
  def current_player(self):
    if bool(self.engine_state.terminal):
      return pyspiel.PlayerId.TERMINAL
    if self.is_deploying() and self._game.deployment != "play":
      return pyspiel.PlayerId.CHANCE
    return self._side()

  def _legal_actions(self, player):
    if player != self.current_player():
      return []
    if player == pyspiel.PlayerId.CHANCE:
      return [a for a, _ in self.chance_outcomes()]
    return np.flatnonzero(np.asarray(self.engine_state.legal)).tolist()

  def chance_outcomes(self):
    if self._game.deployment == "file":
      n = len(self._game.setups)
      return [(i, 1.0 / n) for i in range(n)]
    free = np.flatnonzero(np.asarray(self.engine_state.legal)[:T.NUM_DEPLOY_ACTIONS])
    return [(int(a), 1.0 / len(free)) for a in free]

  def _apply_action(self, action):
    side = self._side()
    if self.is_chance_node() and self._game.deployment == "file":
      self.engine_state = engine.jit_deploy_setup(self.config, self.engine_state, self._game.setups[action])
      kind = "s"
    else:
      kind = "d" if self.is_deploying() else "m"
      self.engine_state = engine.jit_step(self.config, self.engine_state, action)
    self._log.append((side, int(action), kind))

  def _action_to_string(self, player, action):
    side = self._side() if player < 0 or player == self.current_player() else player
    return action_to_string(side, action, chance_file=player == pyspiel.PlayerId.CHANCE
                            and self._game.deployment == "file" and self._game.initial_board is None)

  def is_terminal(self):
    return bool(self.engine_state.terminal)

  def returns(self):
    return [float(x) for x in np.asarray(self.engine_state.rewards)]

  def __str__(self):
    return _header(self) + "\n" + notation.pretty_board(observation.absolute_view(self.engine_state)[0])

  def board_string(self) -> str:
    """The whole board as a 100-letter string in the notation."""
    return notation.format_board(observation.absolute_view(self.engine_state)[0])


def action_to_string(side: int, action: int, chance_file: bool = False) -> str:
  """Action id of `side` -> `e4-e5`, `place c3`, or `setup 17` (a setups-file line)."""
  if chance_file:
    return f"setup {action}"
  if action < T.NUM_DEPLOY_ACTIONS:
    sq = int(notation.SETUP_SQUARES[action])
    return f"place {notation.square_name(99 - sq if side else sq)}"
  src, j = divmod(action - T.NUM_DEPLOY_ACTIONS, T.NUM_LINE_TARGETS)
  dst = T.line_target(src, j)
  if side:
    src, dst = 99 - src, 99 - dst
  return notation.move_string(src, dst)


def string_to_action(side: int, text: str) -> int:
  """Inverse of `action_to_string` for moves (`e4-e5`) and placements (`place c3`)."""
  text = text.strip()
  if text.startswith("place "):
    sq = notation.parse_square(text[6:])
    sq = 99 - sq if side else sq
    idx = np.flatnonzero(notation.SETUP_SQUARES == sq)
    if not len(idx):
      raise ValueError(f"{text!r}: not a home square of {'Blue' if side else 'Red'}")
    return int(idx[0])
  src, dst = notation.parse_move(text)
  if side:
    src, dst = 99 - src, 99 - dst
  j = T.line_index(src, dst)
  if j < 0:
    raise ValueError(f"{text!r}: the squares are not on one row or column")
  return T.NUM_DEPLOY_ACTIONS + src * T.NUM_LINE_TARGETS + j


def _header(state: StrategoState) -> str:
  s = state.engine_state
  if bool(s.terminal):
    r = np.asarray(s.rewards)
    result = "draw" if r[0] == 0 else ("Red wins" if r[0] > 0 else "Blue wins")
    return f"game over: {result}, moves {int(s.num_moves)}"
  who = "Blue" if int(s.player) else "Red"
  if state.is_deploying():
    order = P.placement_order(state.config.variant)
    piece = P.TYPE_NAMES[order[int(s.placed) % len(order)] - 1]
    return f"{who} deploys: {piece}"
  return f"{who} to move, moves {int(s.num_moves)}, since attack {int(s.since_attack)}"


class StrategoObserver:
  """Observer (PyObserver interface): tensors from `observation.observe`, strings with `?` for unknown enemies."""

  def __init__(self, game: StrategoGame, perfect_recall: bool):
    self._game = game
    self._perfect_recall = perfect_recall
    c = observation.num_planes(game.config)
    self.tensor = np.zeros(c * 100, np.float32)
    self.dict = {"planes": self.tensor.reshape(c, 10, 10)}

  def set_from(self, state: StrategoState, player: int):
    self.tensor[:] = np.asarray(observation.jit_observe(state.config, state.engine_state, player)).reshape(-1)

  def string_from(self, state: StrategoState, player: int) -> str:
    view = player_view(state, player)
    if not self._perfect_recall:
      return view
    tokens = ["?" if kind != "m" and side != player else action_to_string(side, action, chance_file=kind == "s")
              for side, action, kind in state._log]
    return f"player {player}\nactions {' '.join(tokens)}\n{view}"


def player_view(state: StrategoState, player: int) -> str:
  """The board as `player` knows it: own pieces and revealed enemies by letter, other enemies `?`."""
  board, revealed, _ = observation.absolute_view(state.engine_state)
  playing = not state.is_deploying()
  lo, hi = (13, 24) if player == 0 else (1, 12)
  enemy = (board >= lo) & (board <= hi)
  shown = board.copy()
  if not playing:
    shown[enemy] = P.EMPTY
  hidden = enemy & ~revealed & bool(playing)
  return f"{_header(state)}\nviewer {'Blue' if player else 'Red'}\n{notation.pretty_board(shown, hidden)}"


pyspiel.register_game(GAME_TYPE, StrategoGame)
