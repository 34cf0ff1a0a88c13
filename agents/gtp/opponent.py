"""Any GTP engine as a Go agent for OpenSpiel states (`gtp:COMMAND`, `gnugo[:LEVEL]`): `step(state)` via `genmove`.

  with GtpClient(gnugo_command(find_gnugo(), level=5)) as engine:
    opponent = GtpAgent(engine, komi=7.5)
    action = opponent.step(state)

The agent keeps the engine's board in step with the state's history: it sends
only the moves the engine has not seen, or clears the board and replays them
all when the game is a different one (a new game, an undo). Handicap and
setup stones are sent as `play` commands, as OpenSpiel's history holds them.
"""

from __future__ import annotations

import pyspiel

from agents import base
from agents.gtp.client import GtpClient, GtpError
from agents.gtp.referee import IllegalMoveError
from games import go


class GtpAgent(base.Agent):
  """Plays through a GTP engine. `resigned` is set when the engine resigns (it then passes).

  Args:
    engine: the running engine.
    komi: what to tell it (None: the state's game's komi).
    owns_engine: `close()` also stops the engine.
  """

  def __init__(self, engine: GtpClient, komi: float | None = None, owns_engine: bool = False):
    self.engine = engine
    self._owns_engine = owns_engine
    self.komi = komi
    self.resigned = False
    self._size: int | None = None
    self._sent: list[int] | None = None

  def sync(self, state: pyspiel.State) -> None:
    """Brings the engine's board to `state` (sending only what it has not seen)."""
    size = state.get_game().get_parameters()["board_size"]
    komi = self.komi if self.komi is not None else state.get_game().get_parameters()["komi"]
    history = list(state.history())
    if self._size != size:
      self.engine.send(f"boardsize {size}")
      self._size, self._sent = size, None
    if self._sent is None or self._sent != history[:len(self._sent)]:
      self.engine.send("clear_board")
      self.engine.send(f"komi {komi:g}")
      self._sent = []
    for i in range(len(self._sent), len(history)):
      self.engine.send(f"play {'bw'[i % 2]} {go.action_to_gtp(history[i], size)}")
      self._sent.append(history[i])

  def check(self) -> None:
    """The engine must answer `protocol_version` with 2 (GTP errors are one-line UserErrors)."""
    version = self.engine.send("protocol_version")
    if version.strip() != "2":
      raise GtpError(f"{self.engine.name} does not speak GTP version 2: 'protocol_version' answered {version[:60]!r}")

  def reset(self) -> None:
    self.resigned = False

  def close(self) -> None:
    if self._owns_engine:
      self.engine.close()

  def step(self, state: pyspiel.State) -> int:
    """The engine's move; `Forfeit` if it plays an illegal move, dies or does not answer in time."""
    try:
      return self._genmove(state)
    except GtpError as e:
      raise base.Forfeit(str(e)) from e

  def _genmove(self, state: pyspiel.State) -> int:
    self.sync(state)
    size = self._size
    vertex = self.engine.send(f"genmove {'bw'[state.current_player()]}")
    if vertex.lower() == "resign":
      self.resigned = True
      return size * size  # OpenSpiel has no resignation; the pass is sent with the next sync.
    try:
      action = go.gtp_to_action(vertex, size)
    except ValueError as e:
      raise IllegalMoveError(f"{self.engine.name} answered genmove with '{vertex}': {e}") from None
    if action not in state.legal_actions():
      raise IllegalMoveError(f"{self.engine.name} played {vertex}, illegal under OpenSpiel's rules")
    self._sent.append(action)
    return action
