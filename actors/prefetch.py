"""Batches made on a thread ahead of the learner: one prefetcher for replay sampling and dataset reading.

  batches = Prefetcher(functools.partial(replay.sample, batch_size), what="sampling from replay")
  batch = next(batches)     # RuntimeError once the source raised; StopIteration once a finite one is spent
  batches.close()           # the thread ends once the batch in hand is made
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from typing import Any, Callable, Iterable, Iterator

_END = object()  # put after a finite source's last batch


class Prefetcher:
  """Takes batches from `source` in a thread while the learner updates, a few ahead in a queue.

  Args:
    source: the batches: an iterable (a generator, say), or a zero-argument
      callable that returns the next batch each call.
    depth: batches made ahead.
    on_wait: called with the seconds waited so far, every half second that
      `next` waits for a batch; what it raises, `next` raises.
    what: what the source does, for the error `next` raises when it fails
      ("sampling from replay" gives "sampling from replay failed: ...").
    name: the thread's name.
  """

  def __init__(self, source: Iterable | Callable[[], Any], depth: int = 2,
               on_wait: Callable[[float], None] | None = None, what: str = "making a batch",
               name: str = "prefetch"):
    next_batch = source if callable(source) else functools.partial(next, iter(source))
    self._queue: queue.Queue = queue.Queue(maxsize=depth)
    self._on_wait = on_wait
    self._what = what
    self._stop = threading.Event()
    self._error: list[BaseException] = []
    self._ended = False

    def put(item) -> None:
      while not self._stop.is_set():
        try:
          self._queue.put(item, timeout=0.1)
          return
        except queue.Full:
          continue

    def work():
      try:
        while not self._stop.is_set():
          try:
            batch = next_batch()
          except StopIteration:
            put(_END)
            return
          put(batch)
      except BaseException as e:  # noqa: BLE001  (raised in the learner's thread by __next__)
        if not self._stop.is_set():
          self._error.append(e)

    self._thread = threading.Thread(target=work, daemon=True, name=name)
    self._thread.start()

  def __iter__(self) -> Iterator:
    return self

  def __next__(self):
    start = time.monotonic()
    while True:
      if self._error:
        raise RuntimeError(f"{self._what} failed: {self._error[0]}") from self._error[0]
      if self._ended:
        raise StopIteration
      try:
        batch = self._queue.get(timeout=0.5)
      except queue.Empty:
        if self._on_wait is not None:
          self._on_wait(time.monotonic() - start)
        continue
      if batch is _END:
        self._ended = True
        raise StopIteration
      return batch

  def close(self, wait_s: float = 0.0) -> bool:
    """Stops taking batches; returns whether the thread has ended.

    Args:
      wait_s: how long to wait for the thread, which ends once the batch in
        hand is made (0: not at all; a replay sample may block until actors write).
    """
    self._stop.set()
    if wait_s > 0:
      self._thread.join(timeout=wait_s)
    return not self._thread.is_alive()
