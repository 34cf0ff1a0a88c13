"""The prefetcher both training loops read batches through: order, the end, errors, waiting and stop."""

import itertools
import threading
import time

import pytest

from actors.prefetch import Prefetcher


def _threads(name: str) -> list[threading.Thread]:
  return [t for t in threading.enumerate() if t.name == name]


def test_an_iterable_source_comes_through_in_order_and_ends():
  batches = Prefetcher([1, 2, 3, 4, 5], depth=2)
  assert list(batches) == [1, 2, 3, 4, 5]
  with pytest.raises(StopIteration):  # and stays spent
    next(batches)


def test_a_callable_source_is_called_for_each_batch():
  batches = Prefetcher(itertools.count(10).__next__, depth=3, name="prefetch-callable")
  assert [next(batches) for _ in range(4)] == [10, 11, 12, 13]
  assert batches.close(wait_s=5)


def test_an_exception_in_the_source_is_raised_by_next_with_its_cause():
  def source():
    yield 1
    raise ValueError("shard 3 is truncated")

  batches = Prefetcher(source(), what="reading the dataset")
  seen = []
  with pytest.raises(RuntimeError, match=r"^reading the dataset failed: shard 3 is truncated$") as info:
    for _ in range(10):
      seen.append(next(batches))
  assert isinstance(info.value.__cause__, ValueError)
  assert seen in ([], [1])  # a batch made before the failure may or may not be handed on first


@pytest.mark.parametrize("full", [False, True])
def test_close_ends_the_thread_whether_it_makes_or_puts_a_batch(full):
  name = f"prefetch-close-{full}"
  calls = itertools.count(1)
  waiting = threading.Event()

  def source():
    # Making: the first call is slow. Putting: with depth 1 the queue holds the first
    # batch, so the thread waits to put the second.
    if next(calls) == (2 if full else 1):
      waiting.set()
    time.sleep(0.0 if full else 0.2)
    return "batch"

  batches = Prefetcher(source, depth=1, name=name)
  assert waiting.wait(5)
  assert _threads(name)
  assert batches.close(wait_s=5)
  assert not _threads(name)


def test_an_error_after_close_is_not_raised():
  release = threading.Event()

  def source():
    release.wait(5)
    raise ValueError("the server went away as the run stopped")

  def on_wait(waited_s):
    raise TimeoutError("waited")

  batches = Prefetcher(source, on_wait=on_wait, name="prefetch-late-error")
  batches.close()
  release.set()
  assert batches.close(wait_s=5)
  with pytest.raises(TimeoutError):  # not the source's error: nobody asks for it after a stop
    next(batches)


def test_waiting_calls_on_wait_each_half_second_and_raises_what_it_raises():
  waits = []

  def on_wait(waited_s):
    waits.append(waited_s)
    if waited_s >= 1.0:
      raise TimeoutError(f"no batch for {waited_s:.1f} s")

  never = threading.Event()
  batches = Prefetcher(lambda: never.wait(), on_wait=on_wait, name="prefetch-wait")
  start = time.monotonic()
  with pytest.raises(TimeoutError, match="no batch for"):
    next(batches)
  assert len(waits) in (2, 3)
  assert waits == sorted(waits) and 0.45 <= waits[0] < 1.0 and waits[-1] >= 1.0
  assert time.monotonic() - start < 3
  never.set()
  assert batches.close(wait_s=5)
