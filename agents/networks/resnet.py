"""AlphaZero-style residual convolution torso, the baseline beside the LM backbones.

Blocks of conv3x3 -> norm -> relu -> conv3x3 -> norm -> +skip -> relu over the
board grid (a flat observation's tokens form a 1 x T grid). Layer norm over
channels stands in for AlphaZero's batch norm so that `apply` stays a pure
function with no batch statistics to carry.
"""

from __future__ import annotations

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from agents.networks import layers
from agents.networks.config import NetworkConfig

KERNEL = 3


class Conv2D(hk.Module):
  """A 'SAME' 2-D convolution without bias (a norm follows), weights cast to the input dtype."""

  def __init__(self, channels: int, kernel: int = KERNEL, name: str | None = None):
    super().__init__(name=name)
    self.channels = channels
    self.kernel = kernel

  def __call__(self, x: jax.Array) -> jax.Array:
    fan_in = self.kernel * self.kernel * x.shape[-1]
    w = hk.get_parameter("w", (self.kernel, self.kernel, x.shape[-1], self.channels), jnp.float32,
                         init=hk.initializers.TruncatedNormal(np.sqrt(2.0 / fan_in)))
    return jax.lax.conv_general_dilated(x, w.astype(x.dtype), (1, 1), "SAME",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))


class ResNet(hk.Module):
  """`depth` residual blocks of `width` channels over a (height, width) grid of tokens."""

  def __init__(self, config: NetworkConfig, name: str | None = "resnet"):
    super().__init__(name=name)
    self.config = config

  def __call__(self, x: jax.Array, grid: tuple[int, int]) -> jax.Array:
    """Args: x [B, L, D] tokens with L = grid[0] * grid[1] in row-major order. Returns [B, L, D]."""
    b, length, d = x.shape
    x = x.reshape(b, grid[0], grid[1], d)
    for i in range(self.config.depth):
      with hk.name_scope(f"block_{i}"):
        h = jax.nn.relu(layers.LayerNorm(name="norm_1")(Conv2D(d, name="conv_1")(x)))
        h = layers.LayerNorm(name="norm_2")(Conv2D(d, name="conv_2")(h))
        x = jax.nn.relu(x + h)
    return x.reshape(b, length, d)
