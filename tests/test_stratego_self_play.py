"""The JAX Stratego actor records what the OpenSpiel game would: observations, legal moves, rewards."""

import dataclasses

import jax
import numpy as np
import pyspiel
import pytest

from actors import stratego_self_play
from games import openspiel_io
from games.stratego import engine, observation, RulesConfig
from games.stratego.testing import board
import networks_fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)
from learners.rnad import config, learning, networks

# Two scouts, a marshal and a flag each: short games with long scout moves.
BOARD = board({"a1": "M", "b2": "D", "e4": "D", "j1": "L", "a10": "Y", "c9": "P", "f7": "P", "j10": "X"})


def _actor(game, num_games=6, trajectory_max=40, chunk_size=2, seed=0, features=True, from_to_dim=0, explore=0.0,
           explore_deployment=None):
  net = networks.make_network(networks_fakes.mlp(16, from_to_dim=from_to_dim), game)
  if not features:  # the actor then stores whole observations (the MLP still reads its features of them)
    net = dataclasses.replace(net, features=None)
  params = net.init(jax.random.PRNGKey(3), np.zeros((1, openspiel_io.observation_size(game)), np.float32))
  actor = stratego_self_play.StrategoSelfPlayActor(game, net, num_games, trajectory_max, chunk_size, seed=seed,
                                                   explore=explore, explore_deployment=explore_deployment)
  return actor, params, net


def _trajectories(actor, params, moves):
  while actor.moves < moves:
    actor.run_step(params, version=7)
  return [jax.tree.map(lambda x, i=i: x[i], c) for c in actor.ready for i in range(len(c.valid))]


@pytest.mark.parametrize("start", [{"initial_board": BOARD}, {"deployment": "play"}])
def test_recorded_games_replay_in_the_openspiel_game_step_for_step(start):
  """From a fixed board, or from an empty one where the policy places both sides' pieces."""
  game = pyspiel.load_game("stratego", {"variant": "barrage", "history": 2, "max_moves": 30, **start})
  actor, params, net = _actor(game, from_to_dim=4)  # the from-to term, on the actor's slots too
  keep = observation.informative_features(game.config)  # what the MLP reads, so what the actor stores
  assert len(keep) == 18 * 100 + 19 + 2 * 6 * 100
  trajs = _trajectories(actor, params, 700 if "deployment" in start else 400)  # placing: 16 steps more a game
  assert len(trajs) >= 8
  # mu, which the actor computes on the slots alone, is the network's legal softmax over all actions.
  policy = learning.make_policy_fn(net)
  for tr in trajs:
    state = game.new_initial_state()
    steps = int(tr.valid.sum())
    assert tr.version == 7
    for t in range(steps):
      ids = tr.action_ids[t]
      legal_full = np.zeros(game.num_distinct_actions(), np.float32)
      legal_full[ids[tr.legal[t] > 0]] = 1
      np.testing.assert_array_equal(legal_full, state.legal_actions_mask())
      # The actor stores float16 (0/1 planes exactly; the clocks, moves / max_moves, rounded): equal to the
      # OpenSpiel observation rounded the same way.
      want = np.asarray(openspiel_io.observe(state))[keep].astype(np.float16)
      np.testing.assert_array_equal(tr.obs[t], want)
      assert tr.player_id[t] == state.current_player()
      assert tr.action_oh[t].sum() == 1 and tr.legal[t][tr.action_oh[t] > 0] == 1
      assert tr.policy[t].sum() == pytest.approx(1.0, abs=1e-5)
      assert np.all(tr.policy[t][tr.legal[t] == 0] == 0)
      full = np.asarray(policy(params, np.asarray(openspiel_io.observe(state), np.float32)[None], legal_full[None]))
      np.testing.assert_allclose(tr.policy[t][tr.legal[t] > 0], full[0, ids[tr.legal[t] > 0]], rtol=1e-4, atol=1e-6)
      state.apply_action(int(ids[np.argmax(tr.action_oh[t])]))
      np.testing.assert_array_equal(tr.rewards[t], state.rewards())
    assert state.is_terminal() or steps == 40
    assert not tr.valid[steps:].any() and np.all(tr.action_ids[steps:] == -1)
    placed = [int(tr.action_ids[t][np.argmax(tr.action_oh[t])]) < 40 for t in range(steps)]
    assert placed == [t < 16 for t in range(steps)] if "deployment" in start else not any(placed)


@pytest.mark.parametrize("start, explore, explore_deployment", [
    ({"initial_board": BOARD}, 0.25, None),
    ({"deployment": "play"}, 0.1, 0.5),  # the players place their pieces: another share while they do
])
def test_explore_records_the_network_policy_mixed_with_uniform_play(start, explore, explore_deployment):
  game = pyspiel.load_game("stratego", {"variant": "barrage", "history": 0, "max_moves": 20, **start})
  actor, params, net = _actor(game, from_to_dim=4, explore=explore, explore_deployment=explore_deployment)
  policy = learning.make_policy_fn(net)
  keep = observation.informative_features(game.config)
  checked = {True: 0, False: 0}  # steps checked, by whether a piece was placed
  for tr in _trajectories(actor, params, 300):
    state = game.new_initial_state()
    for t in range(int(tr.valid.sum())):
      ids, on = tr.action_ids[t], tr.legal[t] > 0
      full = np.asarray(policy(params, np.asarray(openspiel_io.observe(state), np.float32)[None],
                               np.asarray(state.legal_actions_mask(), np.float32)[None]))[0]
      np.testing.assert_array_equal(tr.obs[t], np.asarray(openspiel_io.observe(state))[keep].astype(np.float16))
      placing = bool(ids[0] < 40)
      share = explore_deployment if placing and explore_deployment is not None else explore
      # mu = (1 - share) pi + share / (number of legal moves) on the legal slots, 0 on the others.
      np.testing.assert_allclose(tr.policy[t][on], (1 - share) * full[ids[on]] + share / on.sum(),
                                 rtol=1e-4, atol=1e-6)
      assert np.all(tr.policy[t][~on] == 0)
      state.apply_action(int(ids[np.argmax(tr.action_oh[t])]))
      checked[placing] += 1
  assert checked[False] >= 100 and checked[True] >= (16 * 4 if "deployment" in start else 0)
  with pytest.raises(ValueError, match="explore must be"):
    _actor(game, explore=-0.1)
  with pytest.raises(ValueError, match="explore_deployment must be"):
    _actor(game, explore_deployment=1.0)


def test_slots_hold_the_legal_actions_in_order_and_nothing_else():
  game = openspiel_io.load_game("stratego(variant=barrage,deployment=random,history=0)")
  actor, params, _ = _actor(game, num_games=8, trajectory_max=30, chunk_size=4)
  trajs = _trajectories(actor, params, 300)
  k = engine.max_legal_actions(game.config)
  assert k == 52 and trajs[0].legal.shape == (30, 52)
  for tr in trajs:
    for t in range(int(tr.valid.sum())):
      on = tr.legal[t] > 0
      n = int(on.sum())
      assert n >= 1 and on[:n].all() and not on[n:].any()
      ids = tr.action_ids[t]
      assert np.all(np.diff(ids[:n]) > 0) and np.all(ids[n:] == -1) and ids[0] >= 40


def test_random_setups_differ_and_hold_the_barrage_pieces():
  game = openspiel_io.load_game("stratego(variant=barrage,deployment=random,history=0)")
  actor, params, _ = _actor(game, num_games=16, trajectory_max=8, chunk_size=16, features=False)
  trajs = _trajectories(actor, params, 16 * 8)[:16]
  first = np.stack([tr.obs[0].astype(np.float32).reshape(-1, 100) for tr in trajs])
  own = first[:, :12].sum(axis=2)  # own pieces per type, as Red sees them at move 1
  np.testing.assert_array_equal(own, np.tile([1, 1, 2, 1, 0, 0, 0, 0, 0, 1, 1, 1], (16, 1)))
  assert len({first[i, :12].tobytes() for i in range(16)}) == 16


def test_max_legal_actions_bounds_every_position_of_random_play():
  cfg = RulesConfig.barrage(history=0)
  keys = jax.random.split(jax.random.PRNGKey(0), 256)
  states = jax.vmap(lambda k: engine.init_random(cfg, k))(keys)
  step = jax.jit(jax.vmap(lambda s, a: engine.step(cfg, s, a)))
  most = 0
  for i in range(150):
    legal = np.asarray(states.legal)
    most = max(most, int(legal.sum(-1).max()))
    g = np.random.default_rng(i).gumbel(size=legal.shape)
    states = step(states, np.argmax(np.where(legal, g, -np.inf), -1))
  assert 20 < most <= engine.max_legal_actions(cfg) == 52
  assert engine.max_legal_actions(RulesConfig.classic()) == 8 * 18 + 25 * 4


def test_informative_features_drop_only_constant_entries():
  cfg = RulesConfig.barrage(history=0)
  keep = observation.informative_features(cfg)
  assert len(keep) == 18 * 100 + 19
  keys = jax.random.split(jax.random.PRNGKey(1), 64)
  states = jax.vmap(lambda k: engine.init_random(cfg, k))(keys)
  obs = np.asarray(jax.vmap(lambda s: observation.observe(cfg, s, s.player))(states)).reshape(64, -1)
  dropped = np.setdiff1d(np.arange(obs.shape[1]), keep)
  planes = obs.reshape(64, -1, 100)
  # A dropped entry is either the same in every position or a copy of its plane's first square.
  for j in dropped:
    p, sq = divmod(j, 100)
    assert np.all(obs[:, j] == obs[0, j]) or np.all(planes[:, p, sq] == planes[:, p, 0])


@pytest.mark.parametrize("centring", list(config.Centring))
def test_slots_give_the_same_loss_and_gradients_as_the_full_action_space(centring):
  rng = np.random.default_rng(0)
  b, t, a, k = 3, 5, 9, 4
  legal = np.zeros((b, t, a), np.float32)
  ids = np.full((b, t, k), -1, np.int32)
  for i in range(b):
    for j in range(t):
      chosen = np.sort(rng.choice(a, size=rng.integers(1, k + 1), replace=False))
      legal[i, j, chosen] = 1
      ids[i, j, :len(chosen)] = chosen
  mu = rng.random((b, t, a)) * legal
  mu /= mu.sum(-1, keepdims=True)
  taken = np.asarray([[rng.choice(a, p=mu[i, j]) for j in range(t)] for i in range(b)])
  action_oh = np.eye(a, dtype=np.float32)[taken]
  valid = np.ones((b, t), np.float32)
  valid[0, 3:] = 0
  rewards = np.zeros((b, t, 2), np.float32)
  rewards[:, -1] = [[1, -1], [-1, 1], [1, -1]]
  full = learning.Trajectories(obs=rng.random((b, t, 6)).astype(np.float32), legal=legal,
                               player_id=np.tile(np.arange(t) % 2, (b, 1)).astype(np.int32), valid=valid,
                               action_oh=action_oh, policy=mu.astype(np.float32), rewards=rewards,
                               version=np.zeros(b, np.int32))
  take = lambda x: np.where(ids >= 0, np.take_along_axis(x, np.maximum(ids, 0), -1), 0)
  slots = full._replace(legal=take(legal).astype(np.uint8), action_oh=take(action_oh).astype(np.uint8),
                        policy=take(mu).astype(np.float32), action_ids=ids)
  # beta 0.5 so the threshold binds somewhere and the two centrings differ.
  cfg = config.RNaDConfig(network=networks_fakes.mlp(8),
                          neurd=config.NeurdConfig(beta=0.5, centring=centring))
  net = networks_fakes.network(cfg.network, a, obs_size=6)
  p = net.init(jax.random.PRNGKey(0), full.obs[0])
  q = jax.tree.map(lambda x: x * 0.5, p)

  def loss(batch):
    return jax.value_and_grad(learning.loss_fn, has_aux=True)(p, q, p, q, batch, 0.3, False, cfg=cfg, network=net)

  (l_full, m_full), g_full = loss(full)
  (l_slots, m_slots), g_slots = loss(slots)
  assert float(l_slots) == pytest.approx(float(l_full), rel=1e-5)
  for key in m_full:
    assert float(m_slots[key]) == pytest.approx(float(m_full[key]), rel=1e-4, abs=1e-6), key
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-6), g_full, g_slots)
