"""The four roles of distributed training (actor, learner, replay, parameters) as small interfaces.

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
from typing import Any, Mapping


class ParameterSource(abc.ABC):
  """Where actors get the learner's parameters, with a version number (learner steps)."""

  @abc.abstractmethod
  def publish(self, params: Any, version: int) -> None:
    """Makes `params` the latest (learner side)."""

  @abc.abstractmethod
  def latest(self) -> tuple[Any, int]:
    """The latest published parameters and their version; blocks until one exists."""


class Replay(abc.ABC):
  """A store of trajectories that actors add to and the learner samples from."""

  @abc.abstractmethod
  def add(self, trajectories: Any) -> None:
    """Writes a chunk of finished trajectories (arrays with a leading batch axis)."""

  @abc.abstractmethod
  def sample(self, batch_size: int) -> Any:
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
