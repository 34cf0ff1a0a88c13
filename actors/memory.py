"""A run's memory, estimated from its config before anything is allocated, and refused if it cannot fit.

Too large a size once ended in an XLA out-of-memory traceback, a C++ abort
(exit 134) or actors dying of MemoryError. The estimates are lower bounds of
the big allocations only (observations as float16, legal masks as bytes, no
framework overhead), so a refused run could not have run; a run that passes
may still not fit. Replay is not estimated: Reverb compresses what it holds.

  check(cfg, game)   # UserError: "... needs at least 37 GiB for the actors' games ...; 12 GiB is available"
"""

from __future__ import annotations

import os

from actors.config import TrainConfig
from core.errors import UserError

_F32, _F16 = 4, 2
# Copies of the parameters the R-NaD learner keeps: online, target, two regularisation
# networks, Adam's two moments, and one gradient.
_PARAM_COPIES = 7


def available_bytes() -> int | None:
  """Memory this machine can still give (MemAvailable), or its total; None where neither is known."""
  try:
    with open("/proc/meminfo") as f:
      for line in f:
        if line.startswith("MemAvailable:"):
          return int(line.split()[1]) * 1024
  except (OSError, ValueError, IndexError):
    pass
  try:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
  except (ValueError, OSError, AttributeError):
    return None


def estimate(cfg: TrainConfig, game) -> dict[str, int]:
  """Lower bounds, in bytes, of the big allocations of a run, by what they are for."""
  from agents.networks import counting
  from games import openspiel_io
  obs, actions = openspiel_io.observation_size(game), game.num_distinct_actions()
  step = obs * _F16 + actions                 # one recorded step: its observation and legal mask
  traj = cfg.learner.trajectory_max * step
  return {
      "the network's parameters and optimiser state": counting.count(cfg.learner.network, game).params
                                                      * _F32 * _PARAM_COPIES,
      "the learner's batches (learner.batch_size x learner.trajectory_max)": 3 * cfg.learner.batch_size * traj,
      "the actors' games (actors.num_actors x actors.games_per_actor x learner.trajectory_max)":
          cfg.actors.num_actors * cfg.actors.games_per_actor * traj,
  }


def check(cfg: TrainConfig, game, available: int | None = None) -> None:
  """Raises a one-line UserError when the estimate exceeds the memory available (`available_bytes()`)."""
  available = available_bytes() if available is None else available
  if available is None:
    return
  parts = estimate(cfg, game)
  total = sum(parts.values())
  if total > available:
    what, most = max(parts.items(), key=lambda kv: kv[1])
    raise UserError(f"this run needs at least {_gib(total)} of memory, {_gib(most)} of it for {what}; "
                    f"{_gib(available)} is available")


def _gib(n: int) -> str:
  return f"{n / 2**30:,.1f} GiB"
