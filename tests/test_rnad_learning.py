"""The R-NaD entropy schedule, the learner's update (target average, reg replacement) and checkpoints."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import networks_fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)
from core import checkpoint
from core.errors import UserError
from learners.rnad import config, learning, networks
from networks_fakes import mlp


@pytest.mark.parametrize("step, alpha, update", [
    (0, 0.0, False), (25, 0.5, False), (50, 1.0, False), (99, 1.0, True),   # 1st iteration: 100 steps
    (100, 0.0, False), (150, 1.0, False), (199, 1.0, True),                 # 2nd: 100 steps
    (200, 0.0, False), (450, 0.5, False), (1199, 1.0, True),                # 3rd: 1000 steps
    (1200, 0.0, False), (2199, 1.0, True), (3199, 1.0, True),               # then 1000 forever
])
def test_entropy_schedule(step, alpha, update):
  cfg = config.EntropyScheduleConfig(sizes=(100, 1000), repeats=(2, 1))
  np.testing.assert_array_equal(config.entropy_schedule_boundaries(cfg), [0, 100, 200, 1200])
  got_alpha, got_update = config.entropy_schedule(cfg, step)
  assert float(got_alpha) == pytest.approx(alpha)
  assert bool(got_update) == update


@pytest.mark.parametrize("kwargs", [dict(eta=-1.0), dict(gamma=0.0), dict(target_network_avg=2.0),
                                    dict(batch_size=0)])
def test_config_rejects_bad_values(kwargs):
  with pytest.raises(ValueError):
    config.RNaDConfig(**kwargs)


def test_adam_defaults_follow_the_paper():
  adam = config.AdamConfig()
  assert (adam.b1, adam.eps) == (0.0, 1e-8)
  cfg = config.RNaDConfig()
  assert (cfg.c_vtrace, cfg.rho_vtrace) == (1.0, float("inf"))


@pytest.mark.parametrize("step,want", [(0, 1.0), (2, 0.6), (4, 0.2), (9, 0.2)])
def test_learning_rate_falls_linearly_then_stays(step, want):
  adam = config.AdamConfig(learning_rate=1.0, decay_steps=4, end_learning_rate=0.2)
  np.testing.assert_allclose(float(learning.learning_rate(adam, jnp.asarray(step))), want, rtol=1e-6)
  constant = config.AdamConfig(learning_rate=0.3)
  assert float(learning.learning_rate(constant, jnp.asarray(step))) == pytest.approx(0.3)


@pytest.mark.parametrize("kwargs", [dict(decay_steps=-1), dict(decay_steps=10)])
def test_adam_rejects_a_bad_decay(kwargs):
  with pytest.raises(ValueError, match="decay_steps"):
    config.AdamConfig(**kwargs)


TINY = config.RNaDConfig(batch_size=2, trajectory_max=3, target_network_avg=0.5,
                         adam=config.AdamConfig(learning_rate=0.1),
                         entropy_schedule=config.EntropyScheduleConfig(sizes=(3,), repeats=(1,)),
                         network=mlp(4))


def tiny_batch():
  """Two trajectories of a 2-action game: p0 moves, p1 moves, end; p0 wins 1 in the first."""
  oh = np.array([[1, 0], [0, 1], [0, 0]], np.float32)
  traj = dict(obs=np.eye(3, 5, dtype=np.float32), legal=np.array([[1, 1], [1, 1], [0, 0]], np.float32),
              player_id=np.array([0, 1, 0], np.int32), valid=np.array([1, 1, 0], np.float32),
              action_oh=oh, policy=np.array([[0.5, 0.5], [0.5, 0.5], [0, 0]], np.float32))
  batch = {k: np.stack([v, v]) for k, v in traj.items()}
  rewards = np.zeros((2, 3, 2), np.float32)
  rewards[0, 1] = [1, -1]
  rewards[1, 1] = [-1, 1]
  return learning.Trajectories(**batch, rewards=rewards, version=np.zeros(2, np.int32))


def trees_close(a, b):
  return all(np.allclose(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_update_moves_the_target_by_a_running_average_and_replaces_reg_every_delta_m():
  net = networks_fakes.network(TINY.network, 2)
  state0 = learning.init_state(TINY, net, np.zeros((1, 5), np.float32), jax.random.PRNGKey(0))
  update = learning.make_update(TINY, net)
  batch = tiny_batch()
  state1, metrics = update(state0, batch)
  assert int(state1.step) == 1 and np.isfinite(float(metrics["loss"]))
  # target = target + 0.5 * (params - target) with the new params.
  want = jax.tree.map(lambda t, p: t + 0.5 * (p - t), state0.params_target, state1.params)
  assert trees_close(state1.params_target, want)
  assert not trees_close(state1.params, state0.params)
  state2, _ = update(state1, batch)
  assert trees_close(state2.params_reg, state0.params)      # Steps 0 and 1: reg untouched.
  state3, metrics = update(state2, batch)                   # Step 2 ends the 3-step iteration.
  assert float(metrics["reg_replaced"]) == 1.0
  assert trees_close(state3.params_reg, state3.params_target)
  assert trees_close(state3.params_reg_prev, state0.params)


def test_reg_prev_is_read_only_while_alpha_is_below_one():
  # TINY's iterations last 3 steps: alpha is 0, 2/3, then 1 at step 2. A NaN reg_prev spoils the loss at
  # step 1 and changes nothing at step 2, where its forward pass is skipped.
  net = networks_fakes.network(TINY.network, 2)
  update = learning.make_update(TINY, net)
  batch = tiny_batch()
  state1, _ = update(learning.init_state(TINY, net, np.zeros((1, 5), np.float32), jax.random.PRNGKey(0)), batch)
  state2, _ = update(state1, batch)
  nan_prev = lambda s: s._replace(params_reg_prev=jax.tree.map(lambda x: x * np.nan, s.params_reg_prev))  # noqa: E731
  assert np.isnan(float(update(nan_prev(state1), batch)[1]["loss"]))
  (want, m_want), (got, m_got) = update(state2, batch), update(nan_prev(state2), batch)
  assert float(m_want["alpha"]) == 1.0 and float(m_got["loss"]) == float(m_want["loss"])
  assert trees_close(got.params, want.params) and trees_close(got.params_target, want.params_target)


def test_debiased_target_rate_by_hand():
  # avg / (1 - (1 - avg)^(t + 1)) with avg 1/2: 1, 2/3, 4/7; 0.0003 tends to 0.0003.
  rates = [float(learning.target_rate(0.5, True, jnp.asarray(t))) for t in range(3)]
  np.testing.assert_allclose(rates, [1.0, 2 / 3, 4 / 7], rtol=1e-6)
  assert float(learning.target_rate(0.5, False, jnp.asarray(0))) == 0.5
  assert float(learning.target_rate(3e-4, True, jnp.asarray(0))) == pytest.approx(1.0, rel=1e-5)
  assert float(learning.target_rate(3e-4, True, jnp.asarray(2999))) == pytest.approx(3e-4 / (1 - 0.9997 ** 3000),
                                                                                    rel=1e-4)
  assert float(learning.target_rate(3e-4, True, jnp.asarray(10 ** 6))) == pytest.approx(3e-4, rel=1e-5)


def test_debiased_target_is_the_weighted_mean_of_the_online_networks():
  """Bias-corrected EMA with avg 1/2: after one update the online network, after two 1/3 p1 + 2/3 p2."""
  cfg = dataclasses.replace(TINY, target_network_debias=True)
  net = networks_fakes.network(cfg.network, 2)
  state0 = learning.init_state(cfg, net, np.zeros((1, 5), np.float32), jax.random.PRNGKey(0))
  update = learning.make_update(cfg, net)
  state1, _ = update(state0, tiny_batch())
  assert trees_close(state1.params_target, state1.params)
  state2, _ = update(state1, tiny_batch())
  want = jax.tree.map(lambda a, b: a / 3 + 2 * b / 3, state1.params, state2.params)
  assert trees_close(state2.params_target, want)
  assert not trees_close(state2.params_target, state2.params)


def test_update_steps_by_the_decayed_learning_rate():
  # Adam with b1 = 0 moves every parameter with a nonzero gradient by exactly the
  # step size on its first update; starting at learner step 2 of a 1 -> 0.2 decay
  # over 4 steps, that is 0.6.
  cfg = dataclasses.replace(TINY, adam=config.AdamConfig(learning_rate=1.0, decay_steps=4, end_learning_rate=0.2))
  net = networks_fakes.network(cfg.network, 2)
  state = learning.init_state(cfg, net, np.zeros((1, 5), np.float32), jax.random.PRNGKey(0))
  state = state._replace(step=jnp.asarray(2, jnp.int32))
  new_state, metrics = learning.make_update(cfg, net)(state, tiny_batch())
  moved = np.concatenate([np.abs(np.ravel(a - b)) for a, b in zip(jax.tree.leaves(new_state.params),
                                                                    jax.tree.leaves(state.params))])
  assert float(metrics["learning_rate"]) == pytest.approx(0.6)
  np.testing.assert_allclose(moved.max(), 0.6, rtol=1e-5)
  np.testing.assert_allclose(moved[moved > 1e-3], 0.6, rtol=1e-4)


def test_learner_checkpoint_round_trip(tmp_path):
  net = networks_fakes.network(TINY.network, 2)
  batches = iter([tiny_batch()] * 3)
  learner = learning.RNaDLearner(TINY, net, np.zeros((1, 5), np.float32), batches)
  learner.step()
  learner.step()
  path = learner.save(tmp_path / "ckpt.npz")
  fresh = learning.RNaDLearner(TINY, net, np.zeros((1, 5), np.float32), batches)
  assert fresh.version() == 0
  fresh.restore(path)
  assert fresh.version() == 2
  assert trees_close(fresh.state, learner.state)
  assert not (tmp_path / "ckpt.npz.tmp").exists()


def test_slots_in_action_order_give_the_update_without_slots():
  """Slot k = action k, gathered through `slot_logits`, is what a batch without `action_ids` means."""
  batch = tiny_batch()
  assert batch.action_ids is None
  identity = batch._replace(action_ids=np.broadcast_to(np.arange(2, dtype=np.int32), (2, 3, 2)).copy())
  net = networks_fakes.network(TINY.network, 2)
  state = learning.init_state(TINY, net, np.zeros((1, 5), np.float32), jax.random.PRNGKey(TINY.seed))
  update = learning.make_update(TINY, net)
  (with_slots, m1), (plain, m2) = update(state, identity), update(state, batch)
  assert trees_close(with_slots, plain)
  np.testing.assert_allclose(float(m1["loss"]), float(m2["loss"]), rtol=1e-6)
  learner = learning.RNaDLearner(TINY, net, np.zeros((1, 5), np.float32), iter([identity] * 2))
  learner.step()
  assert trees_close(learner.state, plain)


def test_checkpoint_of_another_config_is_a_user_error(tmp_path):
  net = networks_fakes.network(TINY.network, 2)
  params = net.init(jax.random.PRNGKey(0), np.zeros((1, 5), np.float32))
  path = checkpoint.save(tmp_path / "p.npz", params)
  other = networks_fakes.network(mlp(4, 4), 2).init(jax.random.PRNGKey(0), np.zeros((1, 5), np.float32))
  with pytest.raises(UserError, match="does not fit"):
    checkpoint.load(path, other)
  with pytest.raises(UserError, match="missing.npz cannot be read"):
    checkpoint.load(tmp_path / "missing.npz", params)


@pytest.mark.parametrize("backbone", ["transformer", "griffin"])
def test_rnad_reads_the_backbones_own_numbers_with_every_action_legal(backbone):
  """R-NaD's view flattens any leading dims and asks for every action; logits equal the backbone's own."""
  import jax.numpy as jnp
  import pyspiel
  from agents import networks as lm
  game = pyspiel.load_game("kuhn_poker")
  net = networks.make_network(lm.NetworkConfig.from_preset(backbone, "tiny"), game)
  obs = np.random.default_rng(0).random((3, 2, game.information_state_tensor_size()), np.float32)
  params = networks.init(net, jax.random.PRNGKey(0), obs)
  logits, value = networks.policy_value(net, params, obs)
  assert logits.shape == (3, 2, 2) and value.shape == (3, 2, 1)
  spec = lm.GameSpec("kuhn_poker", tuple(game.information_state_tensor_shape()), 2)
  own = lm.make_network(lm.NetworkConfig.from_preset(backbone, "tiny"), spec)
  out = own.apply(params, obs.reshape(6, -1), jnp.ones((6, 2), bool))
  np.testing.assert_allclose(logits.reshape(6, 2), out.logits, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(value.reshape(6), out.value.reshape(6), rtol=1e-5, atol=1e-6)


def test_exported_lm_backbone_policy_reloads_to_the_same_probabilities(tmp_path):
  import pyspiel
  from agents.networks import NetworkConfig
  from learners.rnad import export
  game = pyspiel.load_game("kuhn_poker")
  net_cfg = NetworkConfig.from_preset("transformer", "tiny")
  cfg = config.RNaDConfig(network=net_cfg)
  net = networks.make_network(net_cfg, game)
  obs = np.random.default_rng(1).random((4, 11), np.float32)
  legal = np.array([[1, 1], [1, 0], [0, 1], [1, 1]], np.float32)
  params = networks.init(net, jax.random.PRNGKey(3), obs)
  path = export.export(tmp_path / "policy.npz", params, game="kuhn_poker", cfg=cfg, step=7)
  policy = export.load(path)
  want = np.asarray(learning.make_policy_fn(net)(params, obs, legal))
  np.testing.assert_allclose(policy.probs(obs, legal), want, rtol=1e-6)
  assert policy.step_count == 7
  np.testing.assert_array_equal(policy.probs(obs, legal)[1:3], [[1, 0], [0, 1]])


def test_exported_policy_is_post_processed_when_its_config_says_so(tmp_path):
  import pyspiel
  from agents.policy import PostProcess
  from learners.rnad import export
  net_cfg = mlp(8)
  ft = config.FinetuneConfig(threshold=0.45, discretization=0, at_eval=True)
  net = networks.make_network(net_cfg, pyspiel.load_game("kuhn_poker"))
  obs = np.random.default_rng(2).random((64, 11), np.float32)
  legal = np.ones((64, 2), np.float32)
  params = networks.init(net, jax.random.PRNGKey(4), obs)
  params = jax.tree.map(lambda x: 0.5 * x, params)  # min probabilities from about 0.4 to 0.5.
  path = export.export(tmp_path / "policy.npz", params, game="kuhn_poker",
                       cfg=config.RNaDConfig(network=net_cfg, finetune=ft), step=1)
  raw_policy, policy = export.load(path, post_process=False), export.load(path)
  assert (raw_policy.post_process, policy.post_process) == (None, PostProcess(0.45, 0))
  raw, post = raw_policy.probs(obs, legal), policy.probs(obs, legal)
  # With two actions a 0.45 threshold drops the smaller one wherever it is below 0.45.
  sharp = np.min(raw, axis=-1) < 0.45
  assert 0 < sharp.sum() < 64
  np.testing.assert_array_equal(post[sharp], (raw[sharp] >= 0.5).astype(np.float32))
  np.testing.assert_allclose(post[~sharp], raw[~sharp], rtol=1e-6)


BARRAGE = "stratego(variant=barrage,deployment=random,history=0)"


def test_square_features_point_at_each_squares_planes():
  from games.stratego import RulesConfig, Variant, observation
  cfg = RulesConfig(variant=Variant.BARRAGE, history=0)
  keep = observation.informative_features(cfg)
  squares = observation.square_features(cfg, keep)
  # Barrage's types (type - 1): bomb 0, spy 1, scout 2, miner 3, general 9, marshal 10, flag 11. Ours on planes
  # 0-11, our revealed and moved pieces 12, 13, the enemy's revealed types 14 + (type - 1), its unmoved and moved 26, 27.
  assert squares.shape == (100, 18)
  name = np.arange(observation.num_planes(cfg) * 100)[keep]  # what each kept entry is: plane * 100 + square
  np.testing.assert_array_equal(name[squares] % 100, np.repeat(np.arange(100)[:, None], 18, axis=1))
  np.testing.assert_array_equal(name[squares[0]] // 100, [0, 1, 2, 3, 9, 10, 11, 12, 13, 14, 15, 16, 17, 23, 24, 25,
                                                            26, 27])
  np.testing.assert_array_equal(observation.square_features(cfg)[7], np.arange(58) * 100 + 7)


def test_from_to_term_adds_query_dot_key_to_each_moves_logit():
  """Move logits = the linear head + (W_q x_from + b_q + e_q[from] + U_q h) . (same for the key at to) / sqrt(d).

  Checked on all 1,800 moves, recomputed in numpy.
  """
  from games import openspiel_io
  from games.stratego import observation
  game = openspiel_io.load_game(BARRAGE)
  d = 4
  net = networks.make_network(mlp(8, from_to_dim=d), game)
  plain = networks.make_network(mlp(8), game)
  obs = np.random.default_rng(0).integers(0, 2, (2, 5800)).astype(np.float32)
  params = networks.init(net, jax.random.PRNGKey(1), obs)
  params = jax.tree.map(lambda x: x + 0.3 * np.random.default_rng(x.size).normal(size=x.shape), params)
  logits, value = networks.policy_value(net, params, obs)
  base_params = {k: params[k] for k in ("torso/~/linear_0", "policy", "value")}
  base_logits, base_value = networks.policy_value(plain, base_params, obs)
  np.testing.assert_allclose(value, base_value, rtol=1e-6)
  np.testing.assert_allclose(logits[:, :40], base_logits[:, :40], rtol=1e-6)  # deployment: no move, no term
  keep = observation.informative_features(game.config)
  x = obs[:, keep]
  h = np.maximum(x @ params["torso/~/linear_0"]["w"] + params["torso/~/linear_0"]["b"], 0)
  on_square = x[:, observation.square_features(game.config, keep)]  # [2, 100, 18]

  def embed(name):
    p = params[f"from_to/{name}"]
    return (on_square @ p["w"] + p["b"] + params["from_to"][f"{name}_square"]
            + (h @ params[f"from_to/{name}_context"]["w"])[:, None])

  q, k = embed("query"), embed("key")
  src, dst = observation.action_from_to()[40:].T
  want = base_logits[:, 40:] + np.sum(q[:, src] * k[:, dst], axis=-1) / np.sqrt(d)
  np.testing.assert_allclose(logits[:, 40:], want, rtol=1e-4, atol=1e-4)


def test_slotted_apply_gives_the_full_logits_at_the_slots_actions():
  """The learner's `apply_actions` (only K actions' pair scores) equals `apply` then a gather, values too.

  Slots mix placements (no from-to term), moves, and empty slots (-1, which read action 0).
  """
  from games import openspiel_io
  game = openspiel_io.load_game(BARRAGE)
  net = networks.make_network(mlp(8, from_to_dim=4), game)
  rng = np.random.default_rng(3)
  obs = rng.integers(0, 2, (2, 3, 5800)).astype(np.float32)
  params = networks.init(net, jax.random.PRNGKey(5), obs)
  params = jax.tree.map(lambda x: x + 0.3 * np.random.default_rng(x.size).normal(size=x.shape), params)
  ids = rng.integers(0, 1840, (2, 3, 6)).astype(np.int32)
  ids[..., 0] = 7  # a placement
  ids[0, 1, 4:] = -1  # empty slots
  logits, value = networks.policy_value(net, params, obs)
  slot_logits, slot_value = net.apply_actions(params, obs, ids)
  gathered = np.take_along_axis(np.asarray(logits), np.maximum(ids, 0), -1)
  np.testing.assert_allclose(slot_logits, gathered, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(slot_value, value, rtol=1e-6)
  # R-NaD's slots take `apply_actions`, or without it (the token backbones) `apply` then the same gather.
  np.testing.assert_allclose(networks.policy_value(net, params, obs, ids)[0], gathered, rtol=1e-5, atol=1e-5)
  plain = dataclasses.replace(net, apply_actions=None)
  np.testing.assert_allclose(networks.policy_value(plain, params, obs, ids)[0], gathered, rtol=1e-6)
  assert gathered[0, 1, 4] == logits[0, 1, 0]


def test_from_to_term_needs_a_board_game():
  import pyspiel
  from agents.networks import HeadConfig
  with pytest.raises(ValueError, match="FROM_TO head needs"):
    networks.make_network(mlp(8, from_to_dim=8), pyspiel.load_game("kuhn_poker"))
  with pytest.raises(ValueError, match="from_to_dim"):
    HeadConfig(from_to_dim=0)


def test_exported_policy_keeps_the_from_to_term(tmp_path):
  from games import openspiel_io
  from learners.rnad import export
  game = openspiel_io.load_game(BARRAGE)
  net_cfg = mlp(8, from_to_dim=4)
  net = networks.make_network(net_cfg, game)
  obs = np.random.default_rng(2).integers(0, 2, (3, 5800)).astype(np.float32)
  legal = np.zeros((3, 1840), np.float32)
  legal[:, 40:60] = 1
  params = networks.init(net, jax.random.PRNGKey(4), obs)
  path = export.export(tmp_path / "policy.npz", params, game=BARRAGE, cfg=config.RNaDConfig(network=net_cfg), step=3)
  want = np.asarray(learning.make_policy_fn(net)(params, obs, legal))
  np.testing.assert_allclose(export.load(path).probs(obs, legal), want, rtol=1e-6)
