"""The rules' settings: one frozen dataclass, hashable so jitted rule functions take it as static."""

from __future__ import annotations

import dataclasses

from games.stratego.pieces import Variant

# The longest game limit: a million moves is far past any real game, and the counters and
# OpenSpiel's game length stay well inside int32.
MAX_MOVES = 1_000_000


@dataclasses.dataclass(frozen=True)
class RulesConfig:
  """How a game of Stratego is played and observed.

  Attributes:
    variant: the piece set, classic (40 a side) or barrage (8 a side).
    max_moves: the game is drawn after this many moves (both sides counted; deployment not).
    max_moves_since_attack: drawn after this many moves in a row without an attack.
    two_square_rule: enforce the two-squares rule (see `engine`).
    more_squares_rule: enforce the more-squares rule as `engine` documents it.
    history: how many recent moves the observation shows.
    chase_memory: positions remembered per chase for the more-squares rule.
  """
  variant: Variant = Variant.CLASSIC
  max_moves: int = 2000
  max_moves_since_attack: int = 200
  two_square_rule: bool = True
  more_squares_rule: bool = True
  history: int = 8
  chase_memory: int = 16

  def __post_init__(self):
    if not isinstance(self.variant, Variant):
      raise ValueError(f"variant must be a Variant, got {self.variant!r}")
    if not 1 <= self.max_moves <= MAX_MOVES:
      raise ValueError(f"max_moves must be in 1..{MAX_MOVES}, got {self.max_moves}")
    if not 1 <= self.max_moves_since_attack <= MAX_MOVES:
      raise ValueError(f"max_moves_since_attack must be in 1..{MAX_MOVES}, got {self.max_moves_since_attack}")
    if not 0 <= self.history <= 64:
      raise ValueError(f"history must be in 0..64, got {self.history}")
    if not 2 <= self.chase_memory <= 256:
      raise ValueError(f"chase_memory must be in 2..256, got {self.chase_memory}")

  @classmethod
  def classic(cls, **kwargs) -> "RulesConfig":
    return cls(variant=Variant.CLASSIC, **kwargs)

  @classmethod
  def barrage(cls, **kwargs) -> "RulesConfig":
    return cls(variant=Variant.BARRAGE, **kwargs)
