"""The four roles of distributed training (actor, learner, replay, parameters), and the trajectory record.

A launcher (local processes now, Ray later) starts one `Replay` server, one
`Learner` and several `Actor`s; they share data only through the replay and a
`ParameterSource`, so the same objects run in one process or across machines.

Call sequence:
  learner process:  replay = ...; params = ...(publisher side)
                    loop: metrics = learner.step()        # samples replay inside
                          params.publish(learner.params(), learner.version())
  actor process:    params = ...(subscriber side)
                    loop: p, version = params.latest()    # every few steps
                          actor.run_step(p, version)      # writes finished games to replay
"""

from __future__ import annotations

import abc
from typing import Any, Mapping, NamedTuple


class ParameterSource(abc.ABC):
  """Where actors get the learner's parameters, with a version number (learner steps)."""

  @abc.abstractmethod
  def publish(self, params: Any, version: int) -> None:
    """Makes `params` the latest (learner side)."""

  @abc.abstractmethod
  def latest(self) -> tuple[Any, int]:
    """The latest published parameters and their version; blocks until one exists."""


class Trajectories(NamedTuple):
  """A batch of self-play trajectories, batch-major: B trajectories of T steps.

  obs [B, T, O] float16 or float32 (the network sees float32), legal [B, T, K]
  0/1 (float32 or uint8), player_id [B, T] int32, valid [B, T] float32 (1 at a
  step where a player moved, 0 at padding and between packed games),
  action_oh [B, T, K] 0/1, policy [B, T, K] float32 (mu: what the actor
  sampled from), rewards [B, T, P] float32 (each player's reward received
  after the step), version [B] int32 (the parameter version the actor held at
  the row's first step, so the oldest in the row), action_ids [B, T, K] int32
  or None.

  A row holds one game from its first step, or with packing
  (`actors.trajectory_buffer`) several games one invalid step apart, the
  first of which may be the end of a game begun in an earlier row. Every
  loss masks by `valid` and v-trace restarts at an invalid step, so neither
  form mixes two games.

  The K slots of legal, action_oh and policy are the game's A actions
  (K = A) when `action_ids` is None. Otherwise slot k stands for action
  `action_ids[..., k]` (-1: an empty slot, never legal): a game with 1,840
  actions but at most 64 legal ones (barrage Stratego) then stores and learns
  on 64 slots, and every loss costs K/A as much.
  """
  obs: Any
  legal: Any
  player_id: Any
  valid: Any
  action_oh: Any
  policy: Any
  rewards: Any
  version: Any
  action_ids: Any | None = None


class Replay(abc.ABC):
  """A store of trajectories that actors add to and the learner samples from."""

  @abc.abstractmethod
  def add(self, trajectories: Trajectories) -> None:
    """Writes a chunk of finished trajectories (arrays with a leading batch axis)."""

  @abc.abstractmethod
  def sample(self, batch_size: int) -> Trajectories:
    """A batch of `batch_size` trajectories; blocks while the rate limiter says wait."""


class Actor(abc.ABC):
  """Plays games with given parameters and writes what it played to a `Replay`."""

  @abc.abstractmethod
  def run_step(self, params: Any, version: int) -> int:
    """Advances every game it runs by one move; returns the number of moves made."""


class Learner(abc.ABC):
  """Consumes batches from a `Replay` and produces parameters."""

  @abc.abstractmethod
  def step(self) -> Mapping[str, float]:
    """One update on one sampled batch; returns its metrics."""

  @abc.abstractmethod
  def params(self) -> Any:
    """The parameters actors should act with."""

  @abc.abstractmethod
  def version(self) -> int:
    """Learner steps done so far (the version number of `params()`)."""
