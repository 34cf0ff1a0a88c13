"""Packed trajectory rows: several whole games a row, one blank step apart, and v-trace unchanged by it."""

import jax
import jax.numpy as jnp
import numpy as np
import pyspiel
import pytest

from actors import self_play, stratego_self_play
from actors.trajectory_buffer import TrajectoryBuffer
from games import openspiel_io
from games.stratego import observation
from games.stratego.testing import board
import networks_fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)
from learners.rnad import losses, networks

T = 8


def _buffer(pack=True):
  fields = {"obs": np.zeros((1, T, 1), np.float32), "legal": np.zeros((1, T, 2), np.uint8),
            "player_id": np.zeros((1, T), np.int32), "valid": np.zeros((1, T), np.float32),
            "action_oh": np.zeros((1, T, 2), np.uint8), "policy": np.zeros((1, T, 2), np.float32),
            "rewards": np.zeros((1, T, 2), np.float32), "action_ids": np.full((1, T, 2), -1, np.int32)}
  return TrajectoryBuffer(fields, chunk_size=1, replay=None, pack=pack)


def _play(buf, steps, first_obs):
  for k in range(steps):
    buf.record(np.array([0]), 3, np.array([0]), obs=np.array([[first_obs + k]]), legal=np.array([[1, 1]]))


def test_buffer_packs_games_one_blank_apart_and_blanks_the_unfinished_one():
  buf = _buffer()
  _play(buf, 2, 10)   # game A: steps 0-1
  buf.end_game(0)     # blank at 2
  _play(buf, 3, 20)   # game B: steps 3-5
  buf.end_game(0)     # blank at 6
  _play(buf, 1, 30)   # game C starts at 7 and fills the row
  assert buf.full(0) and not buf.ready
  buf.cut(0)
  (row,) = buf.ready
  np.testing.assert_array_equal(row.valid[0], [1, 1, 0, 1, 1, 1, 0, 0])
  np.testing.assert_array_equal(row.obs[0, :, 0], [10, 11, 0, 20, 21, 22, 0, 0])  # C's step is gone
  np.testing.assert_array_equal(row.action_ids[0, 7], [-1, -1])
  assert buf.games_finished == 2 and buf.t[0] == 0
  _play(buf, 2, 40)   # C goes on at the start of the next row and ends there
  buf.end_game(0)
  assert buf.games_finished == 3 and buf.t[0] == 3 and len(buf.ready) == 1


def test_a_row_holding_only_an_unfinished_game_is_dropped_and_the_game_goes_on():
  buf = _buffer()
  _play(buf, T, 0)
  buf.cut(0)
  assert not buf.ready and buf.t[0] == 0 and buf.games_finished == 0
  _play(buf, 3, 100)
  buf.end_game(0)
  _play(buf, T - 4, 200)  # the next game fills the row exactly
  buf.cut(0)
  np.testing.assert_array_equal(buf.ready[0].valid[0], [1, 1, 1, 0, 0, 0, 0, 0])


def test_without_packing_a_row_holds_one_game_and_a_full_row_ends_it():
  buf = _buffer(pack=False)
  _play(buf, 2, 10)
  buf.end_game(0)
  _play(buf, T, 20)
  buf.cut(0)
  assert [list(r.valid[0]) for r in buf.ready] == [[1, 1, 0, 0, 0, 0, 0, 0], [1] * T]
  assert buf.games_finished == 2


def _random_game(rng, n, acts=3):
  mu = rng.dirichlet(np.ones(acts), n).astype(np.float32)
  pi = rng.dirichlet(np.ones(acts), n).astype(np.float32)
  action = np.eye(acts, dtype=np.float32)[rng.integers(0, acts, n)]
  reward = np.zeros(n, np.float32)
  reward[-1] = rng.choice([-1.0, 1.0])
  return dict(v=rng.normal(size=(n, 1)).astype(np.float32), valid=np.ones(n, np.float32),
              player_id=(np.arange(n) + rng.integers(0, 2)) % 2, acting_policy=mu, policy=pi,
              log_ratio=rng.normal(size=(n, acts)).astype(np.float32) * 0.3, action_oh=action, reward=reward)


def _concat(*parts):
  return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _blank(n, acts=3):
  return dict(v=np.zeros((n, 1), np.float32), valid=np.zeros(n, np.float32), player_id=np.zeros(n, np.int64),
              acting_policy=np.zeros((n, acts), np.float32), policy=np.zeros((n, acts), np.float32),
              log_ratio=np.zeros((n, acts), np.float32), action_oh=np.zeros((n, acts), np.float32),
              reward=np.zeros(n, np.float32))


@pytest.mark.parametrize("player", [0, 1])
def test_v_trace_of_packed_games_equals_v_trace_of_each_game_alone(player):
  rng = np.random.default_rng(5)
  a, b = _random_game(rng, 5), _random_game(rng, 4)

  def run(x):
    return [np.asarray(o) for o in losses.v_trace(**{k: jnp.asarray(v) for k, v in x.items()},
                                                   player=player, eta=0.2, gamma=0.9)]

  packed = run(_concat(a, _blank(1), b, _blank(2)))
  alone_a, alone_b = run(_concat(a, _blank(7))), run(_concat(b, _blank(8)))
  for got, want_a, want_b in zip(packed, alone_a, alone_b):
    np.testing.assert_allclose(got[:5], want_a[:5], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got[6:10], want_b[:4], rtol=1e-6, atol=1e-6)
    assert not np.any(got[5]) and not np.any(got[10:])
  assert np.any(packed[0][6:10])  # the second game has targets of its own


def _segments(valid):
  """(start, end) of each run of valid steps."""
  edges = np.diff(np.concatenate([[0], valid, [0]]).astype(int))
  return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def test_packed_stratego_rows_hold_whole_games_that_replay_in_openspiel():
  layout = board({"a1": "M", "b2": "C", "e4": "C", "j1": "L", "a10": "Y", "c9": "O", "f7": "O", "j10": "X"})
  game = pyspiel.load_game("stratego", {"variant": "barrage", "initial_board": layout, "max_moves": 30})
  net = networks.make_network(networks_fakes.mlp(16), game)
  params = net.init(jax.random.PRNGKey(3), np.zeros((1, openspiel_io.observation_size(game)), np.float32))
  actor = stratego_self_play.StrategoSelfPlayActor(game, net, 6, 40, 2, seed=1, pack=True)
  while actor.moves < 5000:
    actor.run_step(params, version=0)
  keep = observation.informative_features(game.config)
  rows = [jax.tree.map(lambda x, i=i: x[i], c) for c in actor.ready for i in range(len(c.valid))]
  whole, per_row = 0, []
  for tr in rows:
    segments = _segments(tr.valid)
    per_row.append(len(segments))
    for start, end in segments:
      if start == 0:
        continue  # may be the end of a game begun in the row before
      state = game.new_initial_state()
      for t in range(start, end):
        np.testing.assert_allclose(tr.obs[t].astype(np.float32), np.asarray(openspiel_io.observe(state))[keep],
                                   rtol=2e-3, atol=1e-5)  # rows keep observations in 16 bits
        state.apply_action(int(tr.action_ids[t][np.argmax(tr.action_oh[t])]))
        np.testing.assert_array_equal(tr.rewards[t], state.rewards())
      assert state.is_terminal()  # a packed row keeps no unfinished game
      whole += 1
  assert whole >= 20 and max(per_row) >= 2
  for tr in rows:  # games are one blank apart
    segments = _segments(tr.valid)
    assert all(s2 - e1 == 1 for (_, e1), (s2, _) in zip(segments, segments[1:]))


def test_packed_kuhn_rows_hold_whole_games_with_their_payoffs():
  game = pyspiel.load_game("kuhn_poker")
  uniform = lambda params, obs, legal: legal / legal.sum(axis=-1, keepdims=True)  # noqa: E731
  actor = self_play.SelfPlayActor(game, uniform, num_games=4, trajectory_max=12, chunk_size=4, seed=3, pack=True)
  while len(actor.ready) < 3:
    actor.run_step(None, version=0)
  for chunk in actor.ready:
    for i in range(4):
      segments = _segments(chunk.valid[i])
      assert len(segments) >= 3  # games of 2 or 3 moves, one blank apart, in 12 steps
      for start, end in segments[1:]:
        assert end - start in (2, 3)
        np.testing.assert_array_equal(chunk.player_id[i, start:end], [0, 1, 0][:end - start])
        final = chunk.rewards[i, end - 1]
        assert final.sum() == 0 and abs(final[0]) in (1, 2)
        assert not chunk.rewards[i, start:end - 1].any()
