"""The actor's role in a run: play self-play games with the learner's latest parameters and write them to replay.

Every launcher runs this same loop in each actor process (local processes
now, Ray actors later); only how the process starts, stops and restarts
differs. It talks to the rest of the run only through the replay's address
and a parameter source:

  run_actor(cfg, "localhost:8000", actor_id=0, start_step=0,
            should_stop=stop_event.is_set, report=lambda moves: ...)
"""

from __future__ import annotations

import contextlib
from typing import Callable

import jax
import numpy as np

from actors import factory, reverb_replay, self_play
from actors.config import TrainConfig
from agents import networks
from core import interfaces


def make_network(cfg: TrainConfig, game) -> networks.Network:
  """The network of a run, as its learner and actors build it (`cfg.learner.network` on `game`)."""
  return networks.for_game(cfg.learner.network, game)


def run_actor(cfg: TrainConfig, address: str, actor_id: int, start_step: int, should_stop: Callable[[], bool],
              report: Callable[[int], None], params_source: interfaces.ParameterSource | None = None) -> None:
  """Plays until `should_stop()`; returns quietly when the replay server goes away after a stop.

  A chunk that the server has not taken when the stop comes (its rate limiter
  holds it, or the server is gone) is dropped after at most
  `reverb_replay.FLUSH_POLL_MS`, so the loop leaves within about that time plus
  one move.

  Args:
    cfg: the run's config (game, learner network, actor settings).
    address: the Reverb server's `host:port`, where finished games go.
    actor_id: this actor's number (0..num_actors - 1); with `start_step` it seeds the actor.
    start_step: the learner step the run (re)started at, so a resumed run plays other games.
    should_stop: polled between moves and while a chunk waits for the server.
    report: called after every move with the moves this actor has made in all.
    params_source: where parameters come from (None: the Reverb parameter table at `address`).
  """
  game = self_play.load_game(cfg.game)
  net = make_network(cfg, game)
  if params_source is None:
    template = net.init(jax.random.PRNGKey(0), np.zeros((1, self_play.observation_size(game)), np.float32),
                        np.ones((1, game.num_distinct_actions()), bool))
    params_source = reverb_replay.ReverbParameterSource(address, template)
  replay = reverb_replay.ReverbReplay(address, cfg.actors.chunk_size, slots=factory.writes_slots(cfg, game),
                                      should_stop=should_stop)
  seed = cfg.actors.seed + 1000 * actor_id + start_step
  actor = factory.make_actor(cfg, game, net, cfg.actors.games_per_actor, cfg.actors.chunk_size, replay, seed)
  try:
    params, version = params_source.latest()
    n = 0
    while not should_stop():
      if n % cfg.actors.param_sync_every == 0:
        params, version = params_source.latest()
      actor.run_step(params, version)
      report(actor.moves)
      n += 1
  except Exception:  # noqa: BLE001  (a server stopped under a blocked call is the normal way out)
    if not should_stop():
      raise
  finally:
    with contextlib.suppress(Exception):
      replay.close()
