"""Fake actor loops for the launcher's tests, each with `actors.actor_loop.run_actor`'s arguments.

They run in spawned actor processes, so they live at module level and import
no network: `play` walks a small game's tree with a uniform policy and writes
real trajectories to replay.
"""

import os
import time

import pyspiel
import reverb

from actors import reverb_replay, tabular_self_play


def _uniform(params, obs, legal):
  return legal / legal.sum(axis=-1, keepdims=True)


def play(cfg, address, actor_id, start_step, should_stop, report, chunks_then=None):
  """Uniform self-play into replay until `should_stop()`; calls `chunks_then()` once it has written 2 chunks."""
  replay = reverb_replay.ReverbReplay(address, cfg.actors.chunk_size, slots=False, should_stop=should_stop)
  actor = tabular_self_play.TabularSelfPlayActor(
      pyspiel.load_game(cfg.game), _uniform, cfg.actors.games_per_actor, cfg.learner.trajectory_max,
      cfg.actors.chunk_size, replay, seed=actor_id)
  try:
    while not should_stop():
      actor.run_step(None, 0)
      report(actor.moves)
      if chunks_then is not None and actor.games_finished >= 2 * cfg.actors.chunk_size:
        chunks_then()
        chunks_then = None
  except reverb.errors.DeadlineExceededError:  # Told to stop while the server held a chunk.
    pass


def hang_on_stop(cfg, address, actor_id, start_step, should_stop, report, signals_while_playing=(),
                 signals_on_stop=()):
  """`play`, then never leave, as an actor stuck flushing to a stalled server did.

  Actor 0 also sends `signals_while_playing` to the launcher once it has
  written, and `signals_on_stop` once it is told to stop, 0.3 s apart: a
  Ctrl-C or a SIGTERM landing while the launcher waits for it.
  """
  def send(signums):
    for signum in signums:
      if actor_id == 0:
        os.kill(os.getppid(), signum)
        time.sleep(0.3)

  play(cfg, address, actor_id, start_step, should_stop, report, lambda: send(signals_while_playing))
  send(signals_on_stop)
  while True:
    time.sleep(1.0)


def fail(cfg, address, actor_id, start_step, should_stop, report):
  """Dies at once, as actors asked for 10^8 games each do under a memory limit."""
  raise MemoryError("Unable to allocate 3.64 TiB for an array with shape (1000000, 1000000)")


def silent(cfg, address, actor_id, start_step, should_stop, report):
  """Alive but never writes, until told to stop."""
  while not should_stop():
    time.sleep(0.05)

