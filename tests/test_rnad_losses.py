"""R-NaD's losses and transforms against numbers worked out by hand on tiny inputs."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents import policy as policy_lib
from learners.rnad import losses

# One Kuhn-like trajectory of 3 moves then an ended step:
# t0 player 0 takes action 0, t1 player 1 takes action 0, t2 player 0 takes
# action 1 and wins 1 (player 1 loses 1); t3 is padding after the end.
V = np.array([[0.5], [-0.2], [0.3], [0.0]], np.float32)  # target-network values of the mover.
VALID = np.array([1, 1, 1, 0], np.float32)
PLAYER = np.array([0, 1, 0, 0], np.int32)
ACTION = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], np.float32)
MU = np.full((4, 2), 0.5, np.float32)  # the acting policy: uniform.
REWARD = {0: np.array([0, 0, 1, 0], np.float32), 1: np.array([0, 0, -1, 0], np.float32)}


def vtrace(player, pi=MU, log_ratio=np.zeros((4, 2), np.float32), eta=0.0):
  out = losses.v_trace(jnp.asarray(V), VALID, PLAYER, MU, pi, log_ratio, ACTION, REWARD[player],
                       player=player, eta=eta)
  return [np.asarray(x) for x in out]


def test_legal_policy_and_log_policy():
  logits = jnp.array([1.0, 2.0, 3.0])
  legal = jnp.array([1.0, 0.0, 1.0])
  p0 = 1 / (1 + math.e ** 2)  # e^1 / (e^1 + e^3)
  np.testing.assert_allclose(losses.legal_policy(logits, legal), [p0, 0, 1 - p0], rtol=1e-6)
  np.testing.assert_allclose(losses.legal_log_policy(logits, legal),
                             [math.log(p0), 0.0, math.log(1 - p0)], rtol=1e-6)


def test_regularisation_log_ratio_interpolates_the_two_reg_policies():
  # pi_reg in log space: 0.25 * [-0.5, -1] + 0.75 * [-1.5, -3] = [-1.25, -2.5].
  got = losses.regularisation_log_ratio(jnp.array([-1.0, -2.0]), jnp.array([-0.5, -1.0]),
                                        jnp.array([-1.5, -3.0]), 0.25)
  np.testing.assert_allclose(got, [0.25, 0.5], rtol=1e-6)


def test_player_signs_and_has_played():
  np.testing.assert_array_equal(losses.player_signs(PLAYER, VALID, 0)[:, 0], [1, -1, 1, 0])
  np.testing.assert_array_equal(losses.player_signs(PLAYER, VALID, 1)[:, 0], [-1, 1, -1, 0])
  np.testing.assert_array_equal(losses.has_played(VALID, PLAYER, 1), [0, 1, 0, 0])


def test_v_trace_on_policy_gives_the_monte_carlo_return():
  v_target, played, q = vtrace(0)
  # t2: 0.3 + (1 - 0.3) = 1. t0: 0.5 + (0 + 0.3 - 0.5) + (1 - 0.3) = 1.
  np.testing.assert_allclose(v_target[:, 0], [1.0, 0.0, 1.0, 0.0], atol=1e-6)
  np.testing.assert_array_equal(played, [1, 0, 1, 0])
  # q = v + onehot / mu * (r + next_v_target - v): t0 0.5 + 2 * (1 - 0.5); t2 0.3 + 2 * (1 - 0.3).
  np.testing.assert_allclose(q, [[1.5, 0.5], [0, 0], [0.3, 1.7], [0, 0]], atol=1e-6)


def test_v_trace_for_the_second_player():
  v_target, _, q = vtrace(1)
  # t1: the loss at t2 is folded in: -0.2 + (0 + -1 + 0 - (-0.2)) = -1.
  np.testing.assert_allclose(v_target[:, 0], [0, -1.0, 0, 0], atol=1e-6)
  # q at t1: -0.2 + 2 * (-1 + 0 - (-0.2)) for the taken action.
  np.testing.assert_allclose(q[1], [-1.8, -0.2], atol=1e-6)


def test_v_trace_weights_opponent_moves_by_pi_over_the_acting_mu():
  # The learner now plays the opponent's t1 action with 0.25; the actor used 0.5: ratio 0.5.
  pi = MU.copy()
  pi[1] = [0.25, 0.75]
  v_target, _, q = vtrace(0, pi=pi)
  # t0: 0.5 + 0.5 * (0 + 0.3 - 0.5) + min(1, 0.5) * (1 - 0.3) = 0.75 (rho = inf, c = 1).
  np.testing.assert_allclose(v_target[0, 0], 0.75, atol=1e-6)
  # q at t0: 0.5 + 2 * (0 + 0.5 * 1 - 0.5) = 0.5.
  np.testing.assert_allclose(q[0], [0.5, 0.5], atol=1e-6)


def test_v_trace_adds_the_reward_transform():
  # eta = 0.5; log(pi/pi_reg) = [0.2, -0.2] at t0, [0.4, 0] at t1.
  log_ratio = np.array([[0.2, -0.2], [0.4, 0.0], [0, 0], [0, 0]], np.float32)
  v_target, _, q = vtrace(0, log_ratio=log_ratio, eta=0.5)
  # t1 (opponent's): +eta * sum(pi * log_ratio) = 0.5 * 0.2 = 0.1 reward for player 0.
  # t0: sum(pi * log_ratio) = 0, so v_target = 0.5 + (0.1 + 0.3 - 0.5) + (1 - 0.3) = 1.1.
  np.testing.assert_allclose(v_target[0, 0], 1.1, atol=1e-6)
  # q at t0: 0.5 - 0.5 * [0.2, -0.2] + [2, 0] * (0.1 + 1 - 0.5) = [1.6, 0.6].
  np.testing.assert_allclose(q[0], [1.6, 0.6], atol=1e-6)


def test_v_trace_vmaps_over_a_batch():
  batched = jax.vmap(lambda *a: losses.v_trace(*a, player=0, eta=0.0))
  out = batched(*[jnp.stack([x, x]) for x in (V, VALID, PLAYER, MU, MU, np.zeros((4, 2), np.float32),
                                              ACTION, REWARD[0])])
  np.testing.assert_allclose(out[0][:, :, 0], [[1, 0, 1, 0]] * 2, atol=1e-6)


def test_value_loss_is_a_masked_mean_per_player():
  v = jnp.array([[1.0], [2.0], [3.0]])
  targets = [jnp.array([[0.0], [2.0], [0.0]]), jnp.array([[0.0], [0.0], [5.0]])]
  masks = [jnp.array([1.0, 1.0, 0.0]), jnp.array([0.0, 0.0, 1.0])]
  # (1^2 + 0^2) / 2 + (3 - 5)^2 / 1 = 4.5.
  assert float(losses.value_loss(v, targets, masks)) == pytest.approx(4.5)
  assert float(losses.value_loss(v, targets[:1], [jnp.zeros(3)])) == 0.0


def test_apply_force_with_threshold():
  logits = jnp.array([3.0, -3.0, 0.5, 0.5])
  force = jnp.array([1.0, -1.0, -2.0, 2.0])
  f = lambda l: jnp.sum(losses.apply_force_with_threshold(l, force, 2.0))  # noqa: E731
  # Past +-2 only the force back towards 0 remains; inside it all force passes.
  np.testing.assert_allclose(jax.grad(f)(logits), [0.0, 0.0, -2.0, 2.0])


# NeuRD on one step of player 0: legal actions 0 and 1, pi = softmax(1, 3) = [0.1192, 0.8808, 0].
LOGITS = jnp.array([[1.0, 3.0, 5.0]])
LEGAL = jnp.array([[1.0, 1.0, 0.0]])
PI = losses.legal_policy(LOGITS, LEGAL)


@pytest.mark.parametrize("q, beta, clip, loss, grad", [
    # adv = q - pi.q = [0.8808, -0.1192]; centred logits [-1, 1]: loss = -(-0.8808 - 0.1192) = 1.
    # grad = -(adv - mean_legal(adv)) = -([0.8808, -0.1192] - 0.3808) = [-0.5, 0.5].
    ([2.0, 1.0, 0.0], 2.0, 100.0, 1.0, [-0.5, 0.5, 0.0]),
    # clip 0.5: adv = [0.5, -0.1192]; loss = 0.5 + 0.1192.
    ([2.0, 1.0, 0.0], 2.0, 0.5, 0.6192, [-(0.5 - 0.1904), -(-0.1192 - 0.1904), 0.0]),
    # beta 0.5 and q = [0, 2]: action 0 is pushed down below -0.5, action 1 up above 0.5: no force.
    ([0.0, 2.0, 0.0], 0.5, 100.0, 0.0, [0.0, 0.0, 0.0]),
])
def test_neurd_loss(q, beta, clip, loss, grad):
  def f(logits):
    return losses.neurd_loss(logits, PI, [jnp.array([q])], jnp.ones(1), jnp.zeros(1, jnp.int32),
                             LEGAL, beta=beta, clip=clip)
  assert float(f(LOGITS)) == pytest.approx(loss, abs=1e-3)
  np.testing.assert_allclose(jax.grad(f)(LOGITS)[0], grad, atol=1e-3)


@pytest.mark.parametrize("q, beta, loss, grad", [
    # The reference's centring: the legal sum 4 over all 3 actions, so centred logits [-1/3, 5/3].
    # adv = [0.8808, -0.1192]: loss = -(-0.8808 / 3 - 5 * 0.1192 / 3) = 0.4923;
    # grad = -(adv - sum(adv) / 3) = -([0.8808, -0.1192] - 0.2539) = [-0.6269, 0.3731].
    ([2.0, 1.0, 0.0], 2.0, 0.4923, [-0.6269, 0.3731, 0.0]),
    # beta 0.5, q = [0, 2]: adv = [-1.7616, 0.2384]. Action 1 (5/3) is past the band, but action 0
    # (-1/3, where the legal mean put it at -1) is inside it and still pushed down:
    # loss = -(-1/3 * -1.7616) = -0.5872; grad = 1.7616 * [2/3, -1/3].
    ([0.0, 2.0, 0.0], 0.5, -0.5872, [1.1744, -0.5872, 0.0]),
])
def test_neurd_loss_with_the_references_centring(q, beta, loss, grad):
  def f(logits):
    return losses.neurd_loss(logits, PI, [jnp.array([q])], jnp.ones(1), jnp.zeros(1, jnp.int32),
                             LEGAL, beta=beta, clip=100.0, num_actions=3)
  assert float(f(LOGITS)) == pytest.approx(loss, abs=1e-3)
  np.testing.assert_allclose(jax.grad(f)(LOGITS)[0], grad, atol=1e-3)


def test_neurd_loss_ignores_the_other_players_steps():
  f = losses.neurd_loss(LOGITS, PI, [jnp.array([[2.0, 1.0, 0.0]])], jnp.ones(1), jnp.ones(1, jnp.int32),
                        LEGAL, beta=2.0, clip=100.0)
  assert float(f) == 0.0


@pytest.mark.parametrize("policy, legal, want", [
    ([0.02, 0.48, 0.5], [1, 1, 1], [0.0, 0.48 / 0.98, 0.5 / 0.98]),
    ([0.02, 0.02, 0.0], [1, 1, 0], [0.5, 0.5, 0.0]),  # all below: unchanged, renormalised.
])
def test_threshold_policy(policy, legal, want):
  got = policy_lib.threshold_policy(jnp.array(policy), jnp.array(legal, jnp.float32), 0.03)
  np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("policy, units", [
    ([0.5, 0.3, 0.2, 0.0], [16, 10, 6, 0]),    # ceil: 16, 10, 7 -> the smallest gets what is left.
    ([0.25, 0.25, 0.25, 0.25], [8, 8, 8, 8]),
    ([0.7, 0.29, 0.01], [23, 9, 0]),           # ceil: 23, 10, 1 -> 23, 9, 0.
])
def test_discretize_policy(policy, units):
  np.testing.assert_allclose(policy_lib.discretize_policy(jnp.array(policy), 32) * 32, units, atol=1e-5)


def test_post_process_policy_thresholds_then_discretises():
  got = policy_lib.post_process_policy(jnp.array([0.02, 0.48, 0.5]), jnp.ones(3), 0.03, 32)
  # After the threshold: [0, 0.4898, 0.5102] -> ceil 16, 17 by descending size: 17 then 15.
  np.testing.assert_allclose(got * 32, [0, 15, 17], atol=1e-5)


@pytest.mark.parametrize("rho, want", [
    # pi/mu = 0.75/0.5 = 1.5 at the opponent's t1. t0: 0.5 + min(rho, 1.5) * (0 + 0.3 - 0.5) + min(c=1, 1.5) * (1 - 0.3).
    (float("inf"), 0.5 + 1.5 * -0.2 + 0.7),   # 0.9: the authors' rho = inf (our default)
    (1.0, 0.5 + 1.0 * -0.2 + 0.7),            # 1.0: the paper's misprinted rho = 1
])
def test_v_trace_rho_cutoff(rho, want):
  pi = MU.copy()
  pi[1] = [0.75, 0.25]
  v_target, _, _ = losses.v_trace(jnp.asarray(V), VALID, PLAYER, MU, pi, np.zeros((4, 2), np.float32), ACTION,
                                  REWARD[0], player=0, eta=0.0, rho=rho)
  assert float(v_target[0, 0]) == pytest.approx(want, abs=1e-6)


def test_actor_lag_weight_is_min_one_ratio_at_the_action_taken():
  pi = jnp.array([[0.2, 0.8], [0.2, 0.8], [0.5, 0.5]])
  mu = jnp.array([[0.4, 0.6], [0.4, 0.6], [0.0, 0.0]])
  taken = jnp.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # the last step is after the end
  np.testing.assert_allclose(losses.actor_lag_weight(pi, mu, taken), [[0.5], [1.0], [1.0]])


def test_correct_actor_lag_scales_the_neurd_loss_by_the_weights():
  import networks_fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)
  from learners.rnad import config, learning
  cfg = config.RNaDConfig(network=networks_fakes.mlp(4))
  net = networks_fakes.network(cfg.network, 2)
  obs = np.eye(3, 5, dtype=np.float32)[None]
  params = net.init(jax.random.PRNGKey(0), obs[0])
  params = {**params, "policy": jax.tree.map(jnp.zeros_like, params["policy"])}  # pi = (1/2, 1/2) everywhere
  taken = np.array([[[1, 0], [0, 1], [1, 0]]], np.float32)
  batch = learning.Trajectories(
      obs=obs, legal=np.ones((1, 3, 2), np.float32), player_id=np.array([[0, 1, 0]], np.int32),
      valid=np.ones((1, 3), np.float32), action_oh=taken, policy=np.full((1, 3, 2), 0.5, np.float32),
      rewards=np.array([[[0, 0], [0, 0], [1, -1]]], np.float32), version=np.zeros(1, np.int32))

  def nerd(batch, correct):  # the NeuRD loss's gradient on the policy head's bias
    c = dataclasses.replace(cfg, correct_actor_lag=correct)
    loss = lambda p: learning.loss_fn(p, params, params, params, batch, 1.0, False, cfg=c, network=net)[1]
    return np.asarray(jax.grad(lambda p: loss(p)["loss_nerd"])(params)["policy"]["b"])

  # Acting with the learner's own policy: every weight is 1.
  assert np.abs(nerd(batch, False)).max() > 1e-3
  np.testing.assert_allclose(nerd(batch, True), nerd(batch, False), rtol=1e-6)
  # Acting deterministically (mu = 1 at the action taken, pi = 1/2): every weight is 1/2.
  greedy = batch._replace(policy=taken)
  assert np.abs(nerd(greedy, False)).max() > 1e-3
  np.testing.assert_allclose(nerd(greedy, True), 0.5 * nerd(greedy, False), rtol=1e-6)
