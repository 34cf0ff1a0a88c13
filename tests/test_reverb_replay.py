"""The Reverb replay and parameter source on a real server on loopback: what goes in comes out, fetched once."""

import numpy as np
import portpicker
import pytest
import reverb

from actors import reverb_replay
from actors.config import ReplayConfig
from core.interfaces import Trajectories


@pytest.fixture
def address():
  port = portpicker.pick_unused_port()
  server = reverb_replay.make_server(ReplayConfig(max_size=8, min_size=1, samples_per_insert=1.0), port)
  yield f"localhost:{port}"
  server.stop()


def _params(scale: float):
  return {"linear": {"w": scale * np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.full(3, scale, np.float32)}}


def _fetches(address: str) -> int:
  return reverb.Client(address).server_info()[reverb_replay.PARAMS].rate_limiter_info.sample_stats.completed


def test_parameters_are_fetched_once_per_publish(address):
  learner = reverb_replay.ReverbParameterSource(address, _params(0.0))
  actor = reverb_replay.ReverbParameterSource(address, _params(0.0))
  learner.publish(_params(1.0), 3)
  params, version = actor.latest()
  assert version == 3
  np.testing.assert_array_equal(params["linear"]["w"], [[0, 1, 2], [3, 4, 5]])
  np.testing.assert_array_equal(params["linear"]["b"], [1, 1, 1])
  assert _fetches(address) == 1

  for _ in range(5):  # Nothing new: the same tree, and no further fetch from the table.
    again = actor.latest()
    assert again[0] is params and again[1] == 3
  assert _fetches(address) == 1

  learner.publish(_params(2.0), 4)
  params, version = actor.latest()
  assert version == 4 and _fetches(address) == 2
  np.testing.assert_array_equal(params["linear"]["w"], [[0, 2, 4], [6, 8, 10]])


def test_a_chunk_written_by_an_actor_is_sampled_whole(address):
  rng = np.random.default_rng(0)
  b, t, k = 2, 3, 4  # A chunk of 2 rows of 3 steps over 4 action slots.
  chunk = Trajectories(
      obs=rng.normal(size=(b, t, 5)).astype(np.float32), legal=np.ones((b, t, k), np.float32),
      player_id=np.array([[0, 1, 0], [1, 0, 1]], np.int32), valid=np.array([[1, 1, 0], [1, 1, 1]], np.float32),
      action_oh=np.eye(k, dtype=np.float32)[[[0, 1, 2], [3, 0, 1]]], policy=np.full((b, t, k), 0.25, np.float32),
      rewards=rng.normal(size=(b, t, 2)).astype(np.float32), version=np.array([7, 7], np.int32),
      action_ids=np.tile(np.arange(k, dtype=np.int32), (b, t, 1)))
  writer = reverb_replay.ReverbReplay(address, chunk_size=b)
  writer.add(chunk)
  with pytest.raises(ValueError, match="multiple of the chunk size 2"):
    writer.sample(3)
  batch = reverb_replay.ReverbReplay(address, chunk_size=b).sample(2)
  for name in Trajectories._fields:
    np.testing.assert_array_equal(getattr(batch, name), getattr(chunk, name), err_msg=name)
  with pytest.raises(ValueError, match="a chunk with the fields"):
    writer.add(chunk._replace(action_ids=None))
  writer.close()


def test_a_replay_without_slots_stores_no_action_ids(address):
  """The OpenSpiel and tree actors' chunks (slot k is action k) travel without `action_ids`."""
  chunk = Trajectories(
      obs=np.arange(6, dtype=np.float16).reshape(1, 2, 3), legal=np.ones((1, 2, 3), np.float32),
      player_id=np.array([[0, 1]], np.int32), valid=np.ones((1, 2), np.float32),
      action_oh=np.eye(3, dtype=np.float32)[[[2, 0]]], policy=np.full((1, 2, 3), 1 / 3, np.float32),
      rewards=np.array([[[0, 0], [1, -1]]], np.float32), version=np.array([5], np.int32))
  replay = reverb_replay.ReverbReplay(address, chunk_size=1, slots=False)
  with pytest.raises(ValueError, match="a chunk with the fields"):
    replay.add(chunk._replace(action_ids=np.zeros((1, 2, 3), np.int32)))
  replay.add(chunk)
  batch = replay.sample(1)
  assert batch.action_ids is None
  for name in Trajectories._fields[:-1]:
    np.testing.assert_array_equal(getattr(batch, name), getattr(chunk, name), err_msg=name)
  replay.close()
