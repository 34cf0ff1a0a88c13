"""R-NaD hyperparameters as frozen configs, and the entropy schedule they define.

Defaults follow the DeepNash paper and OpenSpiel's former reference
implementation, with its two documented slips fixed: v-trace uses rho = inf and
c = 1 (the paper's rho = 1 was a typo, confirmed by its authors) and Adam's
epsilon is 1e-8 (the reference wrote 10e-8 where 1e-8 was meant).
"""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np

from agents.networks.config import Backbone, HeadConfig, NetworkConfig, PolicyHead


@dataclasses.dataclass(frozen=True)
class EntropyScheduleConfig:
  """When the regularisation network is replaced (the paper's delta_m).

  Iteration m lasts `sizes[k]` learner steps, repeated `repeats[k]` times, in
  order; after the last entry the last size repeats forever. With
  `sizes=(100, 1000), repeats=(2, 1)` the reg network is replaced at steps
  100, 200, 1200, 2200, 3200, ...

  Attributes:
    sizes: learner steps per iteration, one per stage.
    repeats: how many iterations each stage lasts.
  """
  sizes: tuple[int, ...] = (20_000,)
  repeats: tuple[int, ...] = (1,)

  def __post_init__(self):
    if not self.sizes or len(self.sizes) != len(self.repeats):
      raise ValueError(f"sizes {self.sizes} and repeats {self.repeats} must be non-empty and of equal length")
    if any(s < 2 for s in self.sizes):
      raise ValueError(f"every size must be at least 2 learner steps, got {self.sizes}")
    if any(r < 1 for r in self.repeats):
      raise ValueError(f"every repeat must be at least 1, got {self.repeats}")


class Centring(enum.Enum):
  """What NeuRD's logits are centred on before the threshold beta applies.

  NeuRD stops raising a logit beta above the centre and lowering one beta
  below it, which bounds how sharp the policy gets (up to what other states'
  updates carry over through the shared weights).
  """
  # Their mean over the legal actions: beta bounds each logit against the
  # others, so with K legal actions NeuRD stops raising an action at a
  # probability of about e^beta / (e^beta + K - 1) (0.21 at beta 2, K = 30).
  LEGAL = "legal"
  # The legal logits' sum over the game's number of actions, as the
  # reference did: with many actions (Stratego's 1,840) nearly the raw
  # logits, so beta bounds each logit on its own and one action may reach
  # e^beta / (e^beta + (K - 1) e^-beta) (0.65 at beta 2, K = 30).
  ALL = "all"


@dataclasses.dataclass(frozen=True)
class NeurdConfig:
  """The NeuRD policy loss.

  Attributes:
    beta: logits (centred as `centring` says) stop moving outward past +-beta.
    clip: advantages are clipped to [-clip, clip] before the update.
    centring: see `Centring`.
  """
  beta: float = 2.0
  clip: float = 10_000.0
  centring: Centring = Centring.LEGAL

  def __post_init__(self):
    if self.beta <= 0 or self.clip <= 0:
      raise ValueError(f"beta and clip must be positive, got beta={self.beta} clip={self.clip}")


@dataclasses.dataclass(frozen=True)
class AdamConfig:
  """Adam with b1 = 0 as in the paper (no momentum), then gradient clipping.

  Attributes:
    learning_rate: step size (at the start, if it decays).
    b1, b2, eps: Adam's moment decays and epsilon (1e-8; the reference's 10e-8 was a slip).
    clip_gradient: each gradient entry is clipped to [-clip_gradient, clip_gradient].
    decay_steps: learner steps over which the step size falls linearly from
      `learning_rate` to `end_learning_rate` and then stays; 0 keeps it constant.
    end_learning_rate: the step size after `decay_steps` (needed with them, unused without).
  """
  learning_rate: float = 5e-5
  b1: float = 0.0
  b2: float = 0.999
  eps: float = 1e-8
  clip_gradient: float = 10_000.0
  decay_steps: int = 0
  end_learning_rate: float = 0.0

  def __post_init__(self):
    if self.learning_rate <= 0:
      raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
    if not (0 <= self.b1 < 1 and 0 <= self.b2 < 1):
      raise ValueError(f"b1 and b2 must be in [0, 1), got {self.b1}, {self.b2}")
    if self.eps <= 0 or self.clip_gradient <= 0:
      raise ValueError("eps and clip_gradient must be positive")
    if self.decay_steps < 0:
      raise ValueError(f"decay_steps must be >= 0, got {self.decay_steps}")
    if self.decay_steps and self.end_learning_rate <= 0:
      raise ValueError(f"decay_steps {self.decay_steps} needs a positive end_learning_rate, "
                       f"got {self.end_learning_rate}")


@dataclasses.dataclass(frozen=True)
class FinetuneConfig:
  """Fine-tuning and test-time post-processing of the policy.

  Probabilities below `threshold` are dropped and the rest rounded to
  multiples of 1 / `discretization` (DeepNash: 0.03 and 1/32).

  Attributes:
    from_learner_steps: learner step from which the learner trains against the
      post-processed policy; -1 never.
    threshold: drop actions with probability below this.
    discretization: round the rest to multiples of 1/discretization; 0 keeps them as they are.
    at_eval: also post-process the policy that is evaluated and exported.
  """
  from_learner_steps: int = -1
  threshold: float = 0.03
  discretization: int = 32
  at_eval: bool = False

  def __post_init__(self):
    if self.from_learner_steps < -1:
      raise ValueError(f"from_learner_steps must be -1 (never) or >= 0, got {self.from_learner_steps}")
    if not 0 <= self.threshold < 1:
      raise ValueError(f"threshold must be in [0, 1), got {self.threshold}")
    if self.discretization < 0:
      raise ValueError(f"discretization must be >= 0, got {self.discretization}")

  def describe(self) -> str:
    """The post-processing in words, e.g. 'threshold 0.1, discretisation none'."""
    return f"threshold {self.threshold}, discretisation {self.discretization or 'none'}"


@dataclasses.dataclass(frozen=True)
class RNaDConfig:
  """Everything the R-NaD learner needs.

  Attributes:
    batch_size: trajectories per learner step.
    trajectory_max: steps per trajectory (games longer than this are cut).
    eta: reward-transform strength (the paper's eta).
    gamma: discount (1 for the paper's episodic zero-sum games).
    c_vtrace: v-trace's trace cutoff c (1, per the authors).
    rho_vtrace: v-trace's value cutoff rho (inf, per the authors; the paper's 1 was a typo).
    target_network_avg: the target network moves this fraction towards the online one per step.
    target_network_debias: bias-correct that running average as Adam does its
      moments: the target is the exponentially weighted mean of the online
      networks so far, so step t (from 0) moves it by avg / (1 - (1 - avg)**(t + 1)),
      starting at 1. Off (the reference): the target keeps a weight of
      (1 - avg)**t on the initial network, which with a slow average (Leduc's
      0.0003) is still 41% at the end of the first 3,000-step iteration.
    correct_actor_lag: also weight each step's NeuRD advantages by min(1,
      pi(a)/mu(a)) for the action a taken, pi the learner's policy and mu the
      acting one. Off by default, as in the reference (weight 1): v-trace's
      targets already correct for the lag through pi/mu.
    seed: seed of the learner's PRNG (initial parameters).
    network: the policy-value network (`agents.networks.NetworkConfig`).
    entropy_schedule, neurd, adam, finetune: see their classes.
  """
  batch_size: int = 256
  trajectory_max: int = 10
  eta: float = 0.2
  gamma: float = 1.0
  c_vtrace: float = 1.0
  rho_vtrace: float = math.inf
  target_network_avg: float = 0.001
  target_network_debias: bool = False
  correct_actor_lag: bool = False
  seed: int = 42
  entropy_schedule: EntropyScheduleConfig = EntropyScheduleConfig()
  neurd: NeurdConfig = NeurdConfig()
  adam: AdamConfig = AdamConfig()
  finetune: FinetuneConfig = FinetuneConfig()
  # An MLP of two 256-wide layers; any backbone of `agents.networks` trains (`stratago train --network`).
  network: NetworkConfig = NetworkConfig(backbone=Backbone.MLP, hidden=(256, 256),
                                         head=HeadConfig(policy=PolicyHead.FLAT))

  def __post_init__(self):
    if self.batch_size < 1 or self.trajectory_max < 1:
      raise ValueError("batch_size and trajectory_max must be positive")
    if self.eta < 0:
      raise ValueError(f"eta must be >= 0, got {self.eta}")
    if not 0 < self.gamma <= 1:
      raise ValueError(f"gamma must be in (0, 1], got {self.gamma}")
    if self.c_vtrace <= 0 or self.rho_vtrace <= 0:
      raise ValueError("c_vtrace and rho_vtrace must be positive")
    if not 0 < self.target_network_avg <= 1:
      raise ValueError(f"target_network_avg must be in (0, 1], got {self.target_network_avg}")


def entropy_schedule_boundaries(cfg: EntropyScheduleConfig) -> np.ndarray:
  """Learner steps at which iterations start: [0, s0, 2*s0, ..., then s1 steps apart...]."""
  bounds = [0]
  for size, repeat in zip(cfg.sizes, cfg.repeats):
    start = bounds[-1]
    bounds.extend([start + (i + 1) * size for i in range(repeat)])
  return np.asarray(bounds, dtype=np.int64)


def entropy_schedule(cfg: EntropyScheduleConfig, learner_step):
  """The reg-policy interpolation and the replacement flag at `learner_step`.

  Pure jnp, so it works under `jax.jit` with a traced step.

  Returns:
    (alpha, update_reg): alpha rises linearly from 0 at an iteration's start to 1
    halfway through and stays 1; the reg policy is `alpha * reg + (1 - alpha) *
    reg_prev` in log space. `update_reg` is true on an iteration's last step,
    after which the target network becomes the new reg network.
  """
  import jax.numpy as jnp
  bounds = entropy_schedule_boundaries(cfg)
  step = jnp.asarray(learner_step, dtype=jnp.int32)
  last_size = int(bounds[-1] - bounds[-2])
  last_start = bounds[-1] + (step - bounds[-1]) // last_size * last_size
  b = jnp.asarray(bounds, dtype=jnp.int32)
  start = jnp.max(jnp.where(b <= step, b, 0))
  finish = jnp.min(jnp.where(step < b, b, bounds[-1]))
  beyond = step >= bounds[-1]
  it_start = jnp.where(beyond, last_start, start)
  it_size = jnp.where(beyond, last_size, finish - start)
  update_reg = step == it_start + it_size - 1
  alpha = jnp.minimum(2.0 * (step - it_start) / it_size, 1.0)
  return alpha.astype(jnp.float32), update_reg
