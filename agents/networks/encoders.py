"""Game observations -> tokens: a board encoder (one token per square, 2-D positions) and a flat one.

`GameSpec` is all a network needs to know about a game. A game whose
OpenSpiel observation tensor has shape (planes, height, width) (Go: [4, 9, 9],
tic-tac-toe: [3, 3, 3], Stratego's planes) is a board; any other shape is
read as a flat vector cut into tokens of `flat_token_size` features.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from agents.networks import layers
from agents.networks.config import EncoderConfig


@dataclasses.dataclass(frozen=True)
class GameSpec:
  """What a network needs to know about a game.

  Attributes:
    name: the game's short name.
    observation_shape: OpenSpiel's observation tensor shape.
    num_actions: OpenSpiel's number of distinct actions.
    action_from_to: for factorised heads, each action's (from, to) token
      indices (a board's tokens are its squares in row-major order: token
      r * width + c is `observation[:, r, c]`); (-1, -1) for an action that is
      not a move between squares (it is read from the pooled features). None
      where the game has no table.
  """
  name: str
  observation_shape: tuple[int, ...]
  num_actions: int
  action_from_to: tuple[tuple[int, int], ...] | None = None

  def __post_init__(self):
    if self.num_actions < 1 or not self.observation_shape or min(self.observation_shape) < 1:
      raise ValueError(f"bad game spec: observation {self.observation_shape}, {self.num_actions} actions")
    if self.action_from_to is not None:
      if len(self.action_from_to) != self.num_actions:
        raise ValueError(f"action_from_to has {len(self.action_from_to)} rows for {self.num_actions} actions")
      table = np.asarray(self.action_from_to).reshape(-1, 2)
      not_move = np.any(table < 0, axis=1)
      squares = int(np.prod(self.observation_shape[1:])) if self.is_board else np.inf
      if np.any(table[not_move] != -1) or np.any(table[~not_move] >= squares):
        raise ValueError(f"action_from_to rows must be (-1, -1) or two token indices below {squares}")

  @property
  def is_board(self) -> bool:
    return len(self.observation_shape) == 3

  @property
  def observation_size(self) -> int:
    return int(np.prod(self.observation_shape))

  def grid(self, encoder: EncoderConfig) -> tuple[int, int]:
    """(rows, columns) of the token grid: the board, or one row of flat tokens."""
    if self.is_board:
      return int(self.observation_shape[1]), int(self.observation_shape[2])
    return 1, math.ceil(self.observation_size / encoder.flat_token_size)

  def num_tokens(self, encoder: EncoderConfig) -> int:
    rows, cols = self.grid(encoder)
    return rows * cols


def spec_from_game(game: Any, action_from_to=None, observation_shape=None) -> GameSpec:
  """The GameSpec of an OpenSpiel game (a `pyspiel.Game`), or `game` itself if already a GameSpec.

  Args:
    game: the game.
    action_from_to: each action's (from, to) token, [num_actions, 2]; by
      default the game's own `action_from_to()` where it has one (Stratego's
      does), else None.
    observation_shape: the input's shape, by default OpenSpiel's observation
      tensor's (R-NaD passes the information-state tensor's).
  """
  if isinstance(game, GameSpec):
    return game
  if action_from_to is None and callable(getattr(game, "action_from_to", None)):
    action_from_to = game.action_from_to()
  table = None if action_from_to is None else tuple((int(f), int(t)) for f, t in action_from_to)
  shape = game.observation_tensor_shape() if observation_shape is None else observation_shape
  return GameSpec(name=game.get_type().short_name,
                  observation_shape=tuple(int(s) for s in shape),
                  num_actions=int(game.num_distinct_actions()),
                  action_from_to=table)


class Tokens(NamedTuple):
  """An encoded observation."""
  x: jax.Array          # [B, L, D] token features.
  positions: jax.Array  # [B, L, 2] int32 (row, column) of each token.


def grid_positions(rows: int, cols: int) -> np.ndarray:
  """[rows * cols, 2] (row, column) in row-major order."""
  r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
  return np.stack([r.ravel(), c.ravel()], axis=-1).astype(np.int32)


class Encoder(hk.Module):
  """Board planes or a flat vector -> [B, L, D] tokens with (row, column) positions."""

  def __init__(self, spec: GameSpec, config: EncoderConfig, width: int, name: str | None = "encoder"):
    super().__init__(name=name)
    self.spec = spec
    self.config = config
    self.width = width

  def __call__(self, observation: jax.Array, dtype=jnp.float32) -> Tokens:
    """Args: observation [B, *observation_shape] or [B, observation_size] (OpenSpiel's flat list)."""
    b = observation.shape[0]
    obs = observation.reshape(b, self.spec.observation_size).astype(dtype)
    rows, cols = self.spec.grid(self.config)
    if self.spec.is_board:
      planes = self.spec.observation_shape[0]
      feats = obs.reshape(b, planes, rows * cols).transpose(0, 2, 1)  # [B, L, planes]
    else:
      size = self.config.flat_token_size
      feats = jnp.pad(obs, ((0, 0), (0, rows * cols * size - obs.shape[1])))
      feats = feats.reshape(b, rows * cols, size)
    x = layers.Dense(self.width, bias=True, name="embed")(feats)
    if self.config.learned_positions:
      pos = hk.get_parameter("position_embedding", (rows * cols, self.width), jnp.float32,
                             init=hk.initializers.TruncatedNormal(0.02))
      x = x + pos.astype(dtype)
    positions = jnp.broadcast_to(jnp.asarray(grid_positions(rows, cols)), (b, rows * cols, 2))
    return Tokens(x=x, positions=positions)
