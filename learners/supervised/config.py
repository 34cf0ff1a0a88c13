"""The supervised learner's config: the network, the optimiser and the loss weights."""

from __future__ import annotations

import dataclasses

from agents.networks.config import NetworkConfig


@dataclasses.dataclass(frozen=True)
class SupervisedConfig:
  """How the learner fits a policy and value to expert positions.

  Attributes:
    network: the policy/value network (any backbone of `agents.networks`).
    batch_size: positions per update.
    learning_rate: Adam's peak step size, reached after `warmup_steps` and
      decayed by a cosine to a tenth of it at `decay_steps`.
    warmup_steps: linear warm-up from zero.
    decay_steps: end of the cosine decay (0: no decay).
    weight_decay: AdamW's decoupled weight decay.
    max_grad_norm: gradients are clipped to this global norm.
    value_weight: the value loss's weight against the policy's cross-entropy;
      AlphaGo's value net overfits whole games when weighted as the policy
      (positions of one game share an outcome), hence below 1.
    augment: train on a random one of the board's 8 symmetries of each position.
    seed: initialisation and data order.
  """
  network: NetworkConfig = NetworkConfig.from_preset("resnet", "tiny")
  batch_size: int = 256
  learning_rate: float = 2e-3
  warmup_steps: int = 200
  decay_steps: int = 0
  weight_decay: float = 1e-4
  max_grad_norm: float = 1.0
  value_weight: float = 0.25
  augment: bool = True
  seed: int = 0

  def __post_init__(self):
    if self.batch_size < 1 or self.learning_rate <= 0 or self.max_grad_norm <= 0:
      raise ValueError("batch_size, learning_rate and max_grad_norm must be positive")
    if min(self.warmup_steps, self.decay_steps) < 0 or self.weight_decay < 0 or self.value_weight < 0:
      raise ValueError("warmup_steps, decay_steps, weight_decay and value_weight must be >= 0")
