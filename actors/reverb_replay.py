"""Reverb behind the `Replay` and `ParameterSource` interfaces: tables, writer, sampler, params.

One Reverb server holds two tables:
  `trajectories`: chunks of finished games, sampled uniformly, evicted first-in
    first-out, behind a rate limiter that keeps each chunk's average number of
    samples near `samples_per_insert` (so data is neither wasted nor overused);
  `params`: the learner's latest parameters with their version (one item).
Actors write through a Reverb trajectory writer; everything travels over gRPC,
so actors and the learner may sit in different processes or machines.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np
import reverb

from actors.config import ReplayConfig
from core import interfaces
from core.interfaces import Trajectories

TRAJECTORIES = "trajectories"
PARAMS = "params"

# How long a writer waits for the server to take a chunk before it asks `should_stop` again.
FLUSH_POLL_MS = 500


def make_server(cfg: ReplayConfig, port: int, checkpointer=None) -> reverb.Server:
  """Starts a Reverb server with the trajectory and params tables on `port`.

  With a `reverb.checkpointers` checkpointer, the server first loads the
  tables of its latest checkpoint, if there is one.
  """
  trajectories = reverb.Table(
      name=TRAJECTORIES, sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
      max_size=cfg.max_size,
      rate_limiter=reverb.rate_limiters.SampleToInsertRatio(
          samples_per_insert=cfg.samples_per_insert, min_size_to_sample=cfg.min_size,
          error_buffer=cfg.error_buffer))
  params = reverb.Table(
      name=PARAMS, sampler=reverb.selectors.Lifo(), remover=reverb.selectors.Fifo(), max_size=1,
      rate_limiter=reverb.rate_limiters.MinSize(1))
  return reverb.Server(tables=[trajectories, params], port=port, checkpointer=checkpointer)


class ReverbReplay(interfaces.Replay):
  """Writes `Trajectories` chunks with a trajectory writer; samples batches made of chunks.

  Args:
    address: the Reverb server.
    chunk_size: rows in a chunk (one item); batches are made of whole chunks.
    slots: whether chunks carry `action_ids`. The OpenSpiel and tree actors'
      chunks do not (slot k is action k), which saves Go 4 bytes per action
      and step; Stratego's do.
    should_stop: asked every `FLUSH_POLL_MS` while `add` waits for the server
      (its rate limiter, or a server that went away, can hold a chunk for
      ever); once it says True, `add` gives the chunk up and raises
      `reverb.errors.DeadlineExceededError`.
  """

  def __init__(self, address: str, chunk_size: int, slots: bool = True,
               should_stop: Callable[[], bool] = lambda: False):
    self._client = reverb.Client(address)
    self._chunk = chunk_size
    self._fields = tuple(k for k in Trajectories._fields if slots or k != "action_ids")
    self._writer = None
    self._should_stop = should_stop

  def add(self, trajectories: Trajectories) -> None:
    present = tuple(k for k, v in trajectories._asdict().items() if v is not None)
    if present != self._fields:
      raise ValueError(f"a chunk with the fields {present} for a replay of {self._fields}")
    data = {k: getattr(trajectories, k) for k in self._fields}
    if self._writer is None:
      self._writer = self._client.trajectory_writer(num_keep_alive_refs=1)
    self._writer.append(data)
    item = {k: self._writer.history[k][-1] for k in self._fields}
    self._writer.create_item(TRAJECTORIES, priority=1.0, trajectory=item)
    while True:
      try:
        self._writer.flush(block_until_num_items=0, timeout_ms=FLUSH_POLL_MS)
        return
      except reverb.errors.DeadlineExceededError:
        if self._should_stop():
          raise

  def sample(self, batch_size: int) -> Trajectories:
    if batch_size % self._chunk:
      raise ValueError(f"batch_size {batch_size} must be a multiple of the chunk size {self._chunk}")
    names = sorted(self._fields)  # Reverb flattens dicts in sorted-key order.
    parts = []
    for sample in self._client.sample(TRAJECTORIES, num_samples=batch_size // self._chunk,
                                      emit_timesteps=False):
      parts.append(dict(zip(names, (np.asarray(x) for x in sample.data))))
    return Trajectories(**{k: np.concatenate([p[k] for p in parts]) for k in self._fields})

  def inserts(self) -> int:
    """Chunks the server has taken into the trajectory table so far, from every writer."""
    return self._client.server_info()[TRAJECTORIES].rate_limiter_info.insert_stats.completed

  def close(self) -> None:
    """Closes the writer without waiting: a chunk the server has not taken yet is dropped."""
    if self._writer is not None:
      self._writer.close()
      self._writer = None
    self._client = None


class ReverbParameterSource(interfaces.ParameterSource):
  """Parameters as one Reverb item: flattened leaves plus the version, newest wins.

  `latest` first asks the server how many times the parameters were published
  (the params table's insert count, in `server_info`) and fetches them only
  when that count has changed since its last fetch, so actors may call it on
  every move: on loopback the check takes about 0.07 ms, and the check with a
  fetch 0.65 ms for Leduc's preset network and 2.4 ms for barrage's
  (`benchmarks/reverb_params.py`).

  Args:
    address: the Reverb server.
    template: a tree of the parameters' structure (e.g. from `network.init`),
      used to unflatten what was fetched.
  """

  def __init__(self, address: str, template: Any):
    self._client = reverb.Client(address)
    self._treedef = jax.tree.structure(template)
    self._latest: tuple[Any, int] | None = None
    self._inserts = -1  # The params table's insert count when `_latest` was fetched.

  def publish(self, params: Any, version: int) -> None:
    leaves = [np.asarray(x) for x in jax.tree.leaves(params)]
    self._client.insert([np.asarray(version, np.int64), *leaves], priorities={PARAMS: 1.0})

  def latest(self) -> tuple[Any, int]:
    # Read the count before fetching: a publish in between is then fetched again next time, never missed.
    inserts = self._client.server_info()[PARAMS].rate_limiter_info.insert_stats.completed
    if self._latest is None or inserts != self._inserts:
      sample = next(self._client.sample(PARAMS, num_samples=1, emit_timesteps=False))
      data = [np.asarray(x)[0] for x in sample.data]  # Items written by `insert` come as one step.
      self._latest = jax.tree.unflatten(self._treedef, data[1:]), int(data[0])
      self._inserts = inserts
    return self._latest
