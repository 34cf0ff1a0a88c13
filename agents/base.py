"""The one interface every player implements: a network, a built-in player, a plug-in or an outside engine.

An agent plays one game, on OpenSpiel states. Call sequence:

  agent = agents.make_agent("policy:runs/go9/policy.npz", game, seed=0)
  agent.reset()                                   # before each new game
  while not state.is_terminal():
    ...
    action = agent.step(state)                    # the agent's move when it is to play
    state.apply_action(action)
  agent.close()                                   # ends what it started (engine processes)

`step` never mutates `state`. Agents are seeded: the same seed and the same
states give the same moves. Network agents also have a batched
`probs(obs, legal)` that callers use to play many games at once.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
  import pyspiel


class Forfeit(Exception):
  """Raised by `Agent.step` when the agent loses the game by its own fault.

  An outside engine's illegal move, a crash or a time-out: a match scores the
  game as a loss for that agent, records `str(error)` as how it ended, and goes on.
  """


class Agent(abc.ABC):
  """Picks moves for the player to move in a (non-terminal, non-chance) OpenSpiel state."""

  @abc.abstractmethod
  def step(self, state: pyspiel.State) -> int:
    """The action to play, one of `state.legal_actions()`; raises `Forfeit` if the agent cannot give one."""

  def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
    """The agent's policy at `state`: legal action -> probability.

    This default is a deterministic agent's: the move `step` picks, with
    probability 1 (so calling it may advance a seeded agent's generator).
    """
    return {int(self.step(state)): 1.0}

  def check(self) -> None:
    """Raises `core.errors.UserError`, in one line, if the agent cannot play (an engine that died or talks nonsense).

    Matches call it once before the first game, so bad input is refused up front rather than forfeited.
    """

  def reset(self) -> None:
    """Forgets what it learned of the game in progress (a new game starts)."""

  def close(self) -> None:
    """Releases what it holds (processes, files); the agent is not used after."""

  def __enter__(self) -> "Agent":
    return self

  def __exit__(self, *exc) -> None:
    self.close()
