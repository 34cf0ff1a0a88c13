"""The R-NaD learner: a small state record and one jitted `update(state, batch) -> (state, metrics)`.

Call sequence:
  net = networks.make_network(cfg.network, game)
  state = init_state(cfg, net, example_obs, jax.random.PRNGKey(cfg.seed))
  update = make_update(cfg, net)            # jitted once
  state, metrics = update(state, batch)     # batch: a `Trajectories` of [B, T, ...] arrays

Every step moves the online network by Adam (b1 = 0) on value + NeuRD losses,
moves the target network towards it by a running average, and at the last step
of each entropy-schedule iteration (every delta_m steps) makes the target
network the new regularisation network, keeping the previous one for the
interpolation at the start of the next iteration.
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping, NamedTuple

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax

from agents import policy as policy_lib
from agents.networks import Network
from core import interfaces
from core.interfaces import Trajectories
from core import checkpoint
from learners.rnad import config as config_lib
from learners.rnad import losses
from learners.rnad import networks as networks_lib


class TrainingState(NamedTuple):
  """Everything the learner carries from step to step (and checkpoints)."""
  params: chex.ArrayTree
  params_target: chex.ArrayTree
  params_reg: chex.ArrayTree       # the latest regularisation network.
  params_reg_prev: chex.ArrayTree  # the one before it.
  opt_state: chex.ArrayTree
  step: chex.Array                 # learner steps done, int32 scalar.


def learning_rate(cfg: config_lib.AdamConfig, learner_step: chex.Array) -> chex.Array:
  """The step size at `learner_step`: `cfg.learning_rate`, or with `cfg.decay_steps`
  falling linearly to `cfg.end_learning_rate` (`optax.linear_schedule`) and staying there."""
  if not cfg.decay_steps:
    return jnp.asarray(cfg.learning_rate, jnp.float32)
  return optax.linear_schedule(cfg.learning_rate, cfg.end_learning_rate, cfg.decay_steps)(learner_step)


def make_optimizer(cfg: config_lib.AdamConfig) -> optax.GradientTransformation:
  """Gradient clipping, then Adam (b1 = 0 as in the paper) with epsilon 1e-8: a unit-size descent step.

  `make_update` scales it by `learning_rate(cfg, learner_step)`. The step size
  reads the learner step rather than a count kept in the optimizer state, so
  switching a decay on or off leaves checkpoints loadable.
  """
  return optax.chain(
      optax.clip(cfg.clip_gradient),
      optax.scale_by_adam(b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, eps_root=0.0),
      optax.scale(-1.0))


def init_state(cfg: config_lib.RNaDConfig, network: Network, example_obs: chex.Array,
               rng_key: chex.PRNGKey) -> TrainingState:
  """Fresh parameters; target and both regularisation networks start equal to them."""
  params = networks_lib.init(network, rng_key, example_obs)
  opt_state = make_optimizer(cfg.adam).init(params)
  return TrainingState(params=params, params_target=params, params_reg=params, params_reg_prev=params,
                       opt_state=opt_state, step=jnp.zeros((), jnp.int32))


def policy_outputs(network: Network, params: chex.ArrayTree, obs: chex.Array,
                   legal: chex.Array, action_ids: chex.Array | None = None
                   ) -> tuple[chex.Array, chex.Array, chex.Array, chex.Array]:
  """(pi, log_pi, logits, v) of `params` on observations, masked to legal actions (in slots, see `Trajectories`)."""
  obs = jnp.asarray(obs, jnp.float32)
  logits, v = networks_lib.policy_value(network, params, obs, action_ids)
  return losses.legal_policy(logits, legal), losses.legal_log_policy(logits, legal), logits, v


def loss_fn(params, params_target, params_reg, params_reg_prev, batch: Trajectories, alpha: chex.Array,
            finetune: chex.Array, *, cfg: config_lib.RNaDConfig, network: Network):
  """R-NaD's loss on a batch: value loss + NeuRD loss for both players. Returns (loss, metrics)."""
  # Steps after a game's end have no legal actions; call every action legal
  # there (the reference used a dummy state) so no softmax is 0/0. Such steps
  # are masked out of every loss.
  # Actors may store masks as uint8 and observations as float16; compute in float32.
  batch = batch._replace(legal=jnp.where(batch.valid[..., None] > 0, batch.legal.astype(jnp.float32), 1.0),
                         action_oh=batch.action_oh.astype(jnp.float32),
                         policy=batch.policy.astype(jnp.float32))
  pi, log_pi, logits, v = policy_outputs(network, params, batch.obs, batch.legal, batch.action_ids)
  if cfg.finetune.from_learner_steps >= 0:
    pi_pp = policy_lib.post_process_policy(pi, batch.legal, cfg.finetune.threshold, cfg.finetune.discretization)
    pi_learn = jnp.where(finetune, pi_pp, pi)
  else:
    pi_learn = pi
  _, _, _, v_target_net = policy_outputs(network, params_target, batch.obs, batch.legal, batch.action_ids)
  _, log_pi_reg, _, _ = policy_outputs(network, params_reg, batch.obs, batch.legal, batch.action_ids)
  # From halfway through an iteration alpha is 1 and reg_prev has no weight: skip its forward pass (a
  # sixth of the learner's network work). log_pi_reg stands in for it, so the ratio is the same to the bit.
  log_pi_reg_prev = jax.lax.cond(
      alpha < 1, lambda: policy_outputs(network, params_reg_prev, batch.obs, batch.legal, batch.action_ids)[1],
      lambda: log_pi_reg)
  log_ratio = losses.regularisation_log_ratio(log_pi, log_pi_reg, log_pi_reg_prev, alpha)

  v_targets, masks, q_targets = [], [], []
  num_players = batch.rewards.shape[-1]
  for player in range(num_players):
    vt = jax.vmap(lambda *a, p=player: losses.v_trace(
        *a, player=p, eta=cfg.eta, c=cfg.c_vtrace, rho=cfg.rho_vtrace, gamma=cfg.gamma))
    v_target, played, q = vt(v_target_net, batch.valid, batch.player_id, batch.policy, pi_learn,
                             log_ratio, batch.action_oh, batch.rewards[..., player])
    v_targets.append(v_target)
    masks.append(played)
    q_targets.append(q)
  loss_v = losses.value_loss(v, v_targets, masks)
  is_weights = None
  if cfg.correct_actor_lag:
    ratio = losses.actor_lag_weight(pi, batch.policy, batch.action_oh)
    is_weights = [ratio] * num_players
  loss_nerd = losses.neurd_loss(logits, pi, q_targets, batch.valid, batch.player_id, batch.legal,
                                beta=cfg.neurd.beta, clip=cfg.neurd.clip, is_weights=is_weights,
                                num_actions=_centring_count(cfg.neurd.centring, network))
  entropy = -jnp.sum(pi * log_pi, axis=-1)
  metrics = {"loss_v": loss_v, "loss_nerd": loss_nerd,
             "policy_entropy": losses.masked_mean(entropy, batch.valid),
             "kl_to_reg": losses.masked_mean(jnp.sum(pi * log_ratio, axis=-1), batch.valid)}
  return loss_v + loss_nerd, metrics


def _centring_count(centring: config_lib.Centring, network: Network) -> int | None:
  """`neurd_loss`'s `num_actions` for `centring`: None for the legal mean, else the game's action count."""
  return None if centring == config_lib.Centring.LEGAL else network.num_actions


def target_rate(avg: float, debias: bool, step: chex.Array) -> chex.Array:
  """How far update `step` (from 0) moves the target towards the online network.

  `avg` without `debias`; with it avg / (1 - (1 - avg)**(step + 1)), which makes
  the target the bias-corrected running average (1 at step 0, then towards avg).
  """
  if not debias:
    return jnp.asarray(avg, jnp.float32)
  return avg / -jnp.expm1((step + 1) * jnp.log1p(-avg))


def make_update(cfg: config_lib.RNaDConfig, network: Network,
                jit: bool = True) -> Callable[[TrainingState, Trajectories], tuple[TrainingState, dict]]:
  """Builds `update(state, batch) -> (state, metrics)`, jitted once."""
  optimizer = make_optimizer(cfg.adam)

  def update(state: TrainingState, batch: Trajectories):
    alpha, update_reg = config_lib.entropy_schedule(cfg.entropy_schedule, state.step)
    finetune = (cfg.finetune.from_learner_steps >= 0) & (state.step > cfg.finetune.from_learner_steps)
    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)
    (loss, metrics), grads = grad_fn(state.params, state.params_target, state.params_reg,
                                     state.params_reg_prev, batch, alpha, finetune, cfg=cfg, network=network)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    lr = learning_rate(cfg.adam, state.step)
    updates = jax.tree.map(lambda u: lr * u, updates)
    params = optax.apply_updates(state.params, updates)
    tau = target_rate(cfg.target_network_avg, cfg.target_network_debias, state.step)
    params_target = jax.tree.map(lambda t, p: t + tau * (p - t), state.params_target, params)
    params_reg, params_reg_prev = jax.lax.cond(
        update_reg & (state.step > 0),
        lambda: (params_target, state.params_reg),
        lambda: (state.params_reg, state.params_reg_prev))
    new_state = TrainingState(params=params, params_target=params_target, params_reg=params_reg,
                              params_reg_prev=params_reg_prev, opt_state=opt_state, step=state.step + 1)
    metrics = dict(metrics, loss=loss, alpha=alpha, learning_rate=lr, reg_replaced=update_reg.astype(jnp.float32),
                   grad_norm=optax.global_norm(grads),
                   actor_lag=jnp.mean(state.step - batch.version.astype(jnp.int32)).astype(jnp.float32))
    return new_state, metrics

  return jax.jit(update) if jit else update


def make_policy_fn(network: Network, finetune: config_lib.FinetuneConfig | None = None
                   ) -> Callable[[chex.ArrayTree, np.ndarray, np.ndarray], chex.Array]:
  """Jitted `(params, obs [N, O], legal [N, A]) -> probabilities [N, A]`, post-processed if asked."""
  return policy_lib.make_probs_fn(network, finetune)


class RNaDLearner(interfaces.Learner):
  """The stateful shell: owns a `TrainingState`, pulls batches from an iterator, saves and restores.

  Args:
    cfg: the learner config.
    network: the policy-value network.
    example_obs: one observation batch [1, O] to initialise parameters with.
    batches: an iterator of `Trajectories` (e.g. sampled from Reverb).
  """

  def __init__(self, cfg: config_lib.RNaDConfig, network: Network, example_obs: np.ndarray,
               batches: Iterator[Trajectories]):
    self.cfg = cfg
    self.network = network
    self.state = init_state(cfg, network, example_obs, jax.random.PRNGKey(cfg.seed))
    self._update = make_update(cfg, network)
    self._batches = batches
    self._cpu = jax.default_backend() == "cpu"

  def step(self) -> Mapping[str, chex.Array]:
    batch = next(self._batches)
    if self._cpu:
      # Cast float16 observations here rather than inside the update: on the CPU Leduc's learner ran
      # about a tenth faster so (without slots; barrage's ran as fast either way). On an
      # accelerator they travel at half the size and are cast there.
      batch = batch._replace(obs=np.asarray(batch.obs, np.float32))
    self.state, metrics = self._update(self.state, batch)
    return metrics

  def params(self):
    return self.state.params

  def version(self) -> int:
    return int(self.state.step)

  def save(self, path, meta: dict | None = None, previous=None):
    """Checkpoints the state to `path`; with `previous`, the file it replaces moves there."""
    return checkpoint.save(path, self.state._asdict(), dict(meta or {}, step=self.version()), previous=previous)

  def restore(self, path, fallback=None) -> dict:
    """Loads the state from `path`, or from `fallback` when `path` is damaged."""
    tree, meta = checkpoint.load(path, self.state._asdict(), fallback=fallback)
    self.state = TrainingState(**jax.tree.map(jnp.asarray, tree))
    return meta
