"""R-NaD's exported policy: the evaluated network written as an `agents.policy` file.

`policy.npz` holds the network's parameters and what rebuilds it (the game,
the `NetworkConfig`, the learner step) and, where `finetune.at_eval` says so,
the post-processing (threshold and discretisation) to apply when it plays.
`agents.policy.load_policy` (and the `policy:PATH` agent spec) reads it.
"""

from __future__ import annotations

import pathlib

from agents import policy as policy_lib
from learners.rnad import config as config_lib


def export(path: str | pathlib.Path, params, *, game: str, cfg: config_lib.RNaDConfig, step: int) -> pathlib.Path:
  """Writes `params` of the network `cfg.network` describes as an exported policy (atomically)."""
  ft = cfg.finetune
  pp = policy_lib.PostProcess(ft.threshold, ft.discretization) if ft.at_eval else None
  return policy_lib.save_policy(path, params, game=game, network=cfg.network, step=step, post_process=pp)


def load(path: str | pathlib.Path, post_process: bool | None = None) -> policy_lib.PolicyAgent:
  """The exported policy at `path` as an agent; `post_process` None follows the file."""
  return policy_lib.load_policy(path, post_process=post_process)
