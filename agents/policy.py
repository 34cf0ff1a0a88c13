"""Network policies: the exported-policy file, DeepNash's post-processing, and the agent that plays one.

`policy.npz` (written by a learner's export, read by `load_policy`) holds a
network's parameters as `core.checkpoint` stores them, with what rebuilds the
network: the game string, the whole `NetworkConfig`, the learner step and the
post-processing to apply. Files of the first format (`stratago.rnad.policy/1`,
before the network stacks were one) load too.

  agent = load_policy("runs/go9/policy.npz", seed=0)     # or load_run("runs/go9")
  action = agent.step(state)
  probs = agent.probs(obs, legal)                        # [N, O], [N, A] -> [N, A]
  priors, values = agent.evaluate(obs, legal)            # -> [N, A], [N] (what a search asks)
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import pyspiel

from agents import base
from agents.networks import Network, for_game, heads
from agents.networks.config import Backbone, HeadConfig, NetworkConfig, PolicyHead
from core import checkpoint
from core import config as config_lib
from core import rundir
from core.errors import UserError
from games import openspiel_io

FORMAT = "stratago.policy/2"
FORMAT_V1 = "stratago.rnad.policy/1"


@dataclasses.dataclass(frozen=True)
class PostProcess:
  """DeepNash's test-time policy: drop actions below `threshold`, round the rest to 1/`discretization` (0: don't)."""
  threshold: float = 0.03
  discretization: int = 32

  def describe(self) -> str:
    """In words, e.g. 'threshold 0.1, discretisation none'."""
    return f"threshold {self.threshold}, discretisation {self.discretization or 'none'}"


def threshold_policy(policy: jax.Array, legal: jax.Array, threshold: float) -> jax.Array:
  """Drops actions below `threshold` and renormalises (unchanged if all are below it)."""
  keep = legal * ((policy >= threshold) | (jnp.max(policy, axis=-1, keepdims=True) < threshold))
  kept = keep * policy
  return kept / jnp.sum(kept, axis=-1, keepdims=True)


def discretize_policy(policy: jax.Array, discretization: int) -> jax.Array:
  """Rounds a policy to multiples of 1/discretization, summing to 1.

  Actions in descending probability each get ceil(p * n) of the n units until
  the units run out (the reference's rule, vectorised): so large actions round
  up and the smallest ones lose what is left.
  """
  n = discretization
  order = jnp.argsort(-policy, axis=-1)
  sorted_p = jnp.take_along_axis(policy, order, axis=-1)
  units = jnp.ceil(sorted_p * n - 1e-6)  # 1e-6: 0.25 * 32 must stay 8, not 9 by rounding error.
  cum = jnp.minimum(jnp.cumsum(units, axis=-1), n)
  alloc = jnp.diff(cum, axis=-1, prepend=0.0)
  left = n - cum[..., -1:]
  alloc = alloc.at[..., :1].add(left)
  inverse = jnp.argsort(order, axis=-1)
  return jnp.take_along_axis(alloc, inverse, axis=-1) / n


def post_process_policy(policy: jax.Array, legal: jax.Array, threshold: float,
                        discretization: int) -> jax.Array:
  """DeepNash's test-time policy: threshold, then discretise (0 skips the discretisation)."""
  out = threshold_policy(policy, legal, threshold) if threshold > 0 else policy
  return discretize_policy(out, discretization) if discretization > 0 else out


def make_probs_fn(network: Network, post_process: Any = None) -> Callable[[Any, np.ndarray, np.ndarray], jax.Array]:
  """Jitted `(params, obs [N, O], legal [N, A]) -> probabilities [N, A]`, 0 on illegal actions.

  `post_process`: anything with `threshold` and `discretization` (a `PostProcess`), or None.
  """

  def probs(params, obs, legal):
    obs = jnp.asarray(obs, jnp.float32)
    out = network.apply(params, obs, jnp.ones(obs.shape[:1] + (network.num_actions,), bool))
    pi = heads.legal_policy(out.logits, legal)
    if post_process is not None:
      pi = post_process_policy(pi, legal, post_process.threshold, post_process.discretization)
    return pi

  return jax.jit(probs)


def make_evaluate_fn(network: Network) -> Callable[[Any, np.ndarray, np.ndarray], tuple[jax.Array, jax.Array]]:
  """Jitted `(params, obs [N, O], legal [N, A]) -> (policy [N, A], value [N])`: the raw policy (no
  post-processing) and the value head's output clipped to [-1, 1], for the player to move."""

  def evaluate(params, obs, legal):
    obs = jnp.asarray(obs, jnp.float32)
    out = network.apply(params, obs, jnp.ones(obs.shape[:1] + (network.num_actions,), bool))
    return heads.legal_policy(out.logits, legal), jnp.clip(out.value, -1.0, 1.0)

  return jax.jit(evaluate)


@functools.lru_cache(maxsize=16)
def _evaluate_fn(network: Network):
  return make_evaluate_fn(network)


@functools.lru_cache(maxsize=16)
def _probs_fn(network: Network, post_process: PostProcess | None):
  """`make_probs_fn`, compiled once per network and post-processing (agents of one policy share it)."""
  return make_probs_fn(network, post_process)


class PolicyAgent(base.Agent):
  """Plays a network's policy: samples each move from it (seeded), or batched `probs` for many games.

  A recurrent backbone (griffin) is asked about each position on its own,
  without the game's history, as R-NaD trains it.

  Attributes:
    game: the game string the policy was trained on.
    step_count: the learner step it was exported at.
    post_process: the post-processing `probs` applies, None if none.
  """

  def __init__(self, network: Network, params: Any, game: str, step: int = 0,
               post_process: PostProcess | None = None, seed: int = 0):
    self.network = network
    self.params = params
    self.game = game
    self.step_count = int(step)
    self.post_process = post_process
    self._probs_fn = _probs_fn(network, post_process)
    self._evaluate_fn = None  # compiled on first use: only a search asks for values
    self._rng = np.random.default_rng(seed)

  def probs(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """[N, A] probabilities of observations [N, O] (`games.openspiel_io.observe`) with legal masks [N, A]."""
    return np.asarray(self._probs_fn(self.params, np.asarray(obs, np.float32), np.asarray(legal, np.float32)))

  def evaluate(self, obs: np.ndarray, legal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(raw policy [N, A], value in [-1, 1] for the player to move [N]) of observations [N, O], legal masks [N, A].

    Every exported policy keeps its value head (learners export all the network's parameters).
    """
    if self._evaluate_fn is None:
      self._evaluate_fn = _evaluate_fn(self.network)
    pi, v = self._evaluate_fn(self.params, np.asarray(obs, np.float32), np.asarray(legal, np.float32))
    return np.asarray(pi), np.asarray(v)

  @property
  def batch_key(self) -> tuple[int, int]:
    """Agents with equal keys compute the same `probs`, so a caller may ask one of them for all their positions."""
    return id(self._probs_fn), id(self.params)

  def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
    probs = self.probs(np.asarray([openspiel_io.observe(state)]), np.asarray([state.legal_actions_mask()]))[0]
    return {a: float(probs[a]) for a in state.legal_actions()}

  def choose(self, state: pyspiel.State, probs: np.ndarray) -> int:
    """A move drawn with this agent's generator from `probs` [A], this state's row of a batched `probs` call."""
    return self.pick(np.asarray(state.legal_actions(), np.int64), probs)

  def pick(self, actions: np.ndarray, probs: np.ndarray) -> int:
    """A move drawn with this agent's generator among the legal `actions` (ascending) from a `probs` row [A].

    What `choose` draws, for a caller that holds the legal actions rather than a pyspiel state.
    """
    p = np.asarray(probs, np.float64)[actions]
    return int(self._rng.choice(actions, p=p / p.sum()))

  def step(self, state: pyspiel.State) -> int:
    return self.choose(state, self.probs(np.asarray([openspiel_io.observe(state)]),
                                         np.asarray([state.legal_actions_mask()]))[0])


def save_policy(path: str | pathlib.Path, params: Any, *, game: str, network: NetworkConfig, step: int,
                post_process: PostProcess | None = None) -> pathlib.Path:
  """Writes an exported policy (atomically): what `load_policy` reads."""
  meta = {"format": FORMAT, "game": game, "network": config_lib.to_dict(network), "step": int(step),
          "post_process": None if post_process is None else dataclasses.asdict(post_process)}
  return checkpoint.save(path, params, meta)


def network_config_from_dict(data: dict) -> NetworkConfig:
  """A `NetworkConfig` from its YAML/JSON form, or from the first format's {backbone, preset, hidden, from_to_dim}."""
  if "from_to_dim" in data and "width" not in data:  # stratago.rnad.policy/1 and run configs before it
    backbone = Backbone(data.get("backbone", "mlp"))
    if backbone is not Backbone.MLP:
      return NetworkConfig.from_preset(backbone, data.get("preset", "small"))
    from_to_dim = int(data.get("from_to_dim", 0))
    head = (HeadConfig(policy=PolicyHead.FROM_TO, from_to_dim=from_to_dim) if from_to_dim
            else HeadConfig(policy=PolicyHead.FLAT))
    return NetworkConfig(backbone=Backbone.MLP, hidden=tuple(data["hidden"]), head=head)
  return config_lib.from_dict(NetworkConfig, data)


def _template(network: Network, game: pyspiel.Game) -> Any:
  obs = np.zeros((1, openspiel_io.observation_size(game)), np.float32)
  return network.init(jax.random.PRNGKey(0), obs, np.ones((1, network.num_actions), bool))


def _policy_meta(path: pathlib.Path) -> dict:
  """An exported policy's metadata; UserError, in one line, for a missing file or one that is no policy."""
  expected = "expected a policy.npz that 'stratago train' exports"
  if not path.is_file():
    raise UserError(f"no policy file at {path} ({expected})")
  try:
    meta = checkpoint.read_meta(path)
  except checkpoint.DamagedCheckpointError as e:
    raise UserError(f"{path} is not an exported policy: it {e.reason} ({expected})") from None
  if meta.get("format") not in (FORMAT, FORMAT_V1):
    raise UserError(f"{path} is not an exported policy (format {meta.get('format')!r}; {expected})")
  return meta


def load_policy(path: str | pathlib.Path, seed: int = 0, post_process: bool | None = None) -> PolicyAgent:
  """The agent of an exported policy file; `post_process` None follows the file. UserError if it is none.

  The network, parameters and compiled policy are read once per file (and its modification time) and
  shared by every agent loaded from it, so a match can make a fresh, freshly seeded agent per game.
  """
  path = pathlib.Path(path)
  if not path.is_file():
    _policy_meta(path)  # the one-line error for a missing file
  meta, network, params, pp = _load_policy(str(path.resolve()), path.stat().st_mtime_ns)
  if post_process is False:
    pp = None
  elif post_process and pp is None:
    pp = PostProcess()
  return PolicyAgent(network, params, meta["game"], meta.get("step", 0), pp, seed)


@functools.lru_cache(maxsize=16)
def _load_policy(path: str, mtime_ns: int) -> tuple[dict, Network, Any, PostProcess | None]:
  """(meta, network, parameters, post-processing) of a policy file, read once per path and modification time."""
  del mtime_ns  # A new file at the same path is another key.
  meta = _policy_meta(pathlib.Path(path))
  if meta.get("format") == FORMAT:
    network_cfg = network_config_from_dict(meta["network"])
    pp = None if meta.get("post_process") is None else PostProcess(**meta["post_process"])
  else:  # FORMAT_V1
    network_cfg = network_config_from_dict(meta)
    ft = meta["finetune"]
    pp = PostProcess(ft["threshold"], ft["discretization"]) if ft.get("at_eval") else None
  game = openspiel_io.load_game(meta["game"])
  network = for_game(network_cfg, game)
  params, _ = checkpoint.load(path, _template(network, game))
  return meta, network, params, pp


def trained_game(path: str | pathlib.Path, run: bool = False) -> str:
  """The game string of an exported policy file, or (with `run`) of a training run's folder."""
  if run:
    return _run_config(pathlib.Path(path))["game"]
  return _policy_meta(pathlib.Path(path))["game"]


def _run_config(run_dir: pathlib.Path) -> dict:
  config_path = run_dir / "config.yaml"
  if not config_path.is_file() or not rundir.has_checkpoint(run_dir):
    raise UserError(f"{run_dir} is not a training run with a checkpoint "
                    f"(expected config.yaml and {rundir.CHECKPOINT} there)")
  cfg = config_lib.load_yaml(config_path.read_bytes(), f"run config {config_path}")
  if not isinstance(cfg, dict) or not isinstance(cfg.get("game"), str) or not isinstance(cfg.get("learner"), dict):
    raise UserError(f"{config_path} is not a training run's config (expected the config.yaml 'stratago train' writes)")
  return cfg


def load_run(run_dir: str | pathlib.Path, seed: int = 0) -> PolicyAgent:
  """The agent of a training run's latest checkpoint: the parameters and post-processing its run evaluates."""
  run_dir = pathlib.Path(run_dir)
  cfg = _run_config(run_dir)
  learner = cfg["learner"]
  network_cfg = network_config_from_dict(learner["network"])
  ft = learner.get("finetune", {})
  pp = PostProcess(ft["threshold"], ft["discretization"]) if ft.get("at_eval") else None
  if cfg.get("algo") == "supervised":  # one set of parameters
    which = "params"
  else:
    which = "params_target" if cfg.get("eval", {}).get("policy", "target") == "target" else "params"
  game = openspiel_io.load_game(cfg["game"])
  network = for_game(network_cfg, game)
  params, meta = checkpoint.load(run_dir / rundir.CHECKPOINT, _template(network, game), subtree=which,
                                 fallback=run_dir / rundir.PREVIOUS_CHECKPOINT)
  return PolicyAgent(network, params, cfg["game"], meta.get("step", 0), pp, seed)
