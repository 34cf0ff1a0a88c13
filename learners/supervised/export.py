"""The supervised learner's exported policy: an `agents.policy` file that `policy:PATH` plays."""

from __future__ import annotations

import pathlib

from agents import policy as policy_lib
from learners.supervised.config import SupervisedConfig


def export(path: str | pathlib.Path, params, *, game: str, cfg: SupervisedConfig, step: int) -> pathlib.Path:
  """Writes the network's parameters with what rebuilds it (atomically); played as sampled, no post-processing."""
  return policy_lib.save_policy(path, params, game=game, network=cfg.network, step=step)
