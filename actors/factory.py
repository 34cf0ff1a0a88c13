"""The actor a training config asks for: Stratego's batched JAX rules, a small game's tree, or OpenSpiel."""

from __future__ import annotations

import pyspiel

from actors.config import TrainConfig
from core import interfaces


def actor_kind(cfg: TrainConfig, game: pyspiel.Game) -> str:
  """"jax" for Stratego, "tabular" where `cfg.actors.tabular` asks for it, else "openspiel"."""
  from actors import stratego_self_play
  if stratego_self_play.supports(game):
    return "jax"
  return "tabular" if cfg.actors.tabular else "openspiel"


def writes_slots(cfg: TrainConfig, game: pyspiel.Game) -> bool:
  """Whether the actor's trajectories carry `action_ids` (Stratego's legal-move slots; the others store every action)."""
  return actor_kind(cfg, game) == "jax"


def make_actor(cfg: TrainConfig, game: pyspiel.Game, network, num_games: int, chunk_size: int,
               replay: interfaces.Replay | None = None, seed: int = 0, kind: str | None = None
               ) -> interfaces.Actor:
  """An actor of `kind` (default: `actor_kind`) playing `num_games` games with `network`."""
  from actors import self_play, stratego_self_play, tabular_self_play
  from agents import policy
  kind = kind or actor_kind(cfg, game)
  common = dict(num_games=num_games, trajectory_max=cfg.learner.trajectory_max, chunk_size=chunk_size,
                replay=replay, seed=seed, pack=cfg.actors.pack_games, explore=cfg.actors.explore)
  if kind == "jax":
    return stratego_self_play.StrategoSelfPlayActor(game, network, explore_deployment=cfg.actors.explore_deployment,
                                                    **common)
  cls = {"tabular": tabular_self_play.TabularSelfPlayActor, "openspiel": self_play.SelfPlayActor}[kind]
  return cls(game, policy.make_probs_fn(network), **common)
