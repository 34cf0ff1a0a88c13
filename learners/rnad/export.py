"""The exported policy: a trained network that evaluation, GTP and the GUI load and query.

`policy.npz` holds the online network's parameters and what is needed to
rebuild it: the game string, the MLP widths, the input and action sizes, the
learner step and whether to post-process (threshold and discretise).
"""

from __future__ import annotations

import dataclasses
import pathlib

import jax
import numpy as np

from games import openspiel_io
from learners.rnad import checkpoint
from learners.rnad import config as config_lib
from learners.rnad import learning
from learners.rnad import networks

FORMAT = "stratago.rnad.policy/1"


def export(path: str | pathlib.Path, params, *, game: str, cfg: config_lib.RNaDConfig, obs_size: int,
           num_actions: int, step: int) -> pathlib.Path:
  """Writes `params` of the network `cfg.network` describes as an exported policy (atomically)."""
  meta = {"format": FORMAT, "game": game, "hidden": list(cfg.network.hidden),
          "from_to_dim": cfg.network.from_to_dim,
          "backbone": cfg.network.backbone.value, "preset": cfg.network.preset, "obs_size": obs_size,
          "num_actions": num_actions, "step": int(step),
          "finetune": dataclasses.asdict(cfg.finetune)}
  return checkpoint.save(path, params, meta)


@dataclasses.dataclass
class ExportedPolicy:
  """A loaded policy. `probs(obs, legal)` is batched; `action_probabilities(state)` takes one state.

  `post_process` is the threshold and discretisation `probs` applies, None if none.
  """
  game: str
  step: int
  params: object
  _probs_fn: object
  post_process: config_lib.FinetuneConfig | None = None

  def probs(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
    return np.asarray(self._probs_fn(self.params, np.asarray(obs, np.float32), np.asarray(legal, np.float32)))

  def action_probabilities(self, state) -> dict[int, float]:
    probs = self.probs(np.asarray([openspiel_io.observe(state)]), np.asarray([state.legal_actions_mask()]))[0]
    return {a: float(probs[a]) for a in state.legal_actions()}


def load(path: str | pathlib.Path, post_process: bool | None = None) -> ExportedPolicy:
  """Loads an exported policy; `post_process` None follows the file's `finetune.at_eval`."""
  meta = checkpoint.read_meta(path)
  if meta.get("format") != FORMAT:
    raise checkpoint.CheckpointError(f"{path} is not an exported R-NaD policy (format {meta.get('format')!r})")
  net_cfg = config_lib.NetworkConfig(backbone=config_lib.Backbone(meta.get("backbone", "mlp")),
                                     preset=meta.get("preset", "small"), hidden=tuple(meta["hidden"]),
                                     from_to_dim=meta.get("from_to_dim", 0))
  net = networks.for_game(net_cfg, openspiel_io.load_game(meta["game"]))
  template = net.init(jax.random.PRNGKey(0), np.zeros((1, meta["obs_size"]), np.float32))
  params, _ = checkpoint.load(path, template)
  ft = config_lib.FinetuneConfig(**meta["finetune"])
  use_pp = ft.at_eval if post_process is None else post_process
  pp = ft if use_pp else None
  return ExportedPolicy(game=meta["game"], step=meta["step"], params=params,
                        _probs_fn=learning.make_policy_fn(net, pp), post_process=pp)
