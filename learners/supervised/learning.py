"""The supervised learner: one jitted AdamW update per batch of expert positions.

  learner = SupervisedLearner(cfg, net, params)
  metrics = learner.update(batch)     # batch: obs [B, O], legal [B, A], move [B], value [B]
  learner.save(path, meta); learner.restore(path)

It consumes batches and emits parameters; what reads the data and when to
save is the caller's (see `actors.supervised_loop`).
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from agents import networks
from core import checkpoint
from learners.supervised import losses
from learners.supervised.config import SupervisedConfig


def make_optimizer(cfg: SupervisedConfig) -> optax.GradientTransformation:
  """Clipping, then AdamW on a warm-up and (optionally) cosine-decayed step size."""
  if cfg.decay_steps > cfg.warmup_steps:
    lr = optax.warmup_cosine_decay_schedule(0.0, cfg.learning_rate, max(cfg.warmup_steps, 1), cfg.decay_steps,
                                            end_value=cfg.learning_rate / 10)
  else:
    lr = optax.linear_schedule(0.0, cfg.learning_rate, max(cfg.warmup_steps, 1))
  return optax.chain(optax.clip_by_global_norm(cfg.max_grad_norm),
                     optax.adamw(lr, weight_decay=cfg.weight_decay))


def loss_and_metrics(net: networks.Network, value_weight: float, params, batch) -> tuple[jax.Array, dict]:
  """The weighted loss of a batch and its parts (policy cross-entropy, value MSE, top-1)."""
  out = net.apply(params, batch["obs"], batch["legal"])
  policy = losses.policy_loss(out.logits, batch["move"])
  value = losses.value_loss(out.value, batch["value"])
  loss = jnp.mean(policy) + value_weight * jnp.mean(value) + net.config.moe.load_balance_weight * out.aux_loss
  return loss, {"loss": loss, "policy_loss": jnp.mean(policy), "value_mse": jnp.mean(value),
                "top1": jnp.mean(losses.top_k_hits(out.logits, batch["move"], 1))}


class SupervisedLearner:
  """Holds the parameters and optimiser state; `update` takes one step."""

  def __init__(self, cfg: SupervisedConfig, net: networks.Network, params):
    self.cfg, self.net = cfg, net
    self.optimizer = make_optimizer(cfg)
    self.params = params
    self.opt_state = self.optimizer.init(params)
    self.steps = 0

    @jax.jit
    def update(params, opt_state, batch):
      grads, metrics = jax.grad(functools.partial(loss_and_metrics, net, cfg.value_weight), has_aux=True)(
          params, batch)
      updates, opt_state = self.optimizer.update(grads, opt_state, params)
      metrics["grad_norm"] = optax.global_norm(grads)
      return optax.apply_updates(params, updates), opt_state, metrics

    self._update = update
    self._evaluate = jax.jit(functools.partial(_evaluate, net))

  def update(self, batch: dict[str, np.ndarray]) -> dict[str, jax.Array]:
    self.params, self.opt_state, metrics = self._update(self.params, self.opt_state, batch)
    self.steps += 1
    return metrics

  def evaluate(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-position figures of held-out positions: cross-entropy, value error, top-1 and top-5 hits."""
    return {k: np.asarray(v) for k, v in self._evaluate(self.params, batch).items()}

  def save(self, path: str | pathlib.Path, meta: dict[str, Any], previous=None) -> None:
    """Checkpoints parameters and optimiser state; with `previous`, the file it replaces moves there."""
    checkpoint.save(path, {"params": self.params, "opt_state": self.opt_state}, {**meta, "step": self.steps},
                    previous=previous)

  def restore(self, path: str | pathlib.Path, fallback=None) -> dict[str, Any]:
    """Loads from `path`, or from `fallback` when `path` is damaged; returns the checkpoint's meta."""
    template = {"params": self.params, "opt_state": self.opt_state}
    state, meta = checkpoint.load(path, template, fallback=fallback)
    self.params, self.opt_state, self.steps = state["params"], state["opt_state"], int(meta["step"])
    return meta


def _evaluate(net: networks.Network, params, batch) -> dict[str, jax.Array]:
  out = net.apply(params, batch["obs"], batch["legal"])
  return {"cross_entropy": losses.policy_loss(out.logits, batch["move"]),
          "value_se": losses.value_loss(jnp.clip(out.value, -1, 1), batch["value"]),
          "top1": losses.top_k_hits(out.logits, batch["move"], 1),
          "top5": losses.top_k_hits(out.logits, batch["move"], 5)}
