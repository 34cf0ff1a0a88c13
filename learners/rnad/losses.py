"""R-NaD's pure math: legal softmax, reward transform, two-player v-trace, value and NeuRD losses.

Shapes (one trajectory unless said otherwise; the learner `jax.vmap`s over the batch):
  T  time steps of a trajectory, interleaving both players' turns;
  A  distinct actions of the game.
A step is `valid` where a player moved (0 after the game's end, and between two
games packed into one trajectory); `player_id` says whose turn it was.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
from jax import lax

from agents.networks.heads import legal_policy  # noqa: F401  (R-NaD's pi; actors use it too)


def legal_log_policy(logits: chex.Array, legal: chex.Array) -> chex.Array:
  """log of `legal_policy`, finite everywhere: 0 at illegal actions (never -inf)."""
  legal = legal.astype(bool)
  masked = jnp.where(legal, logits, -jnp.inf)
  max_legal = jnp.max(masked, axis=-1, keepdims=True)
  log_z = jnp.log(jnp.sum(jnp.where(legal, jnp.exp(masked - max_legal), 0.0), axis=-1, keepdims=True))
  return jnp.where(legal, logits - max_legal - log_z, 0.0)


def regularisation_log_ratio(log_pi: chex.Array, log_pi_reg: chex.Array, log_pi_reg_prev: chex.Array,
                             alpha: chex.Numeric) -> chex.Array:
  """log(pi / pi_reg) with pi_reg interpolated (in log space) between the two latest reg networks.

  The transformed reward of a player is `-eta * log(pi / pi_reg)` at its own
  steps and `+eta * log(pi / pi_reg)` at its opponent's; `alpha` goes 0 -> 1 over
  the first half of an iteration, so the reward moves smoothly from the old
  regulariser (`reg_prev`) to the new one (`reg`).
  """
  return log_pi - (alpha * log_pi_reg + (1.0 - alpha) * log_pi_reg_prev)


def player_signs(player_id: chex.Array, valid: chex.Array, player: int) -> chex.Array:
  """+1 at `player`'s steps, -1 at the opponent's, 0 after the end; shape [..., 1]."""
  own = (player_id == player).astype(jnp.float32)
  return jnp.expand_dims((2.0 * own - 1.0) * valid, axis=-1)


def _select(pred, on_true, on_false):
  return jax.tree.map(lambda x, y: jnp.where(pred, x, y), on_true, on_false)


def has_played(valid: chex.Array, player_id: chex.Array, player: int) -> chex.Array:
  """1 at `player`'s own valid steps, else 0: where v-trace gives `player` a value target. [...]."""
  return valid.astype(jnp.float32) * (player_id == player)


@chex.dataclass(frozen=True)
class _VTraceCarry:
  reward: chex.Array            # opponent-step rewards since our next step, importance-weighted.
  reward_uncorrected: chex.Array  # the same, not importance-weighted.
  next_value: chex.Array
  next_v_target: chex.Array
  importance_sampling: chex.Array  # product of pi/mu over opponent steps since our next step.


def v_trace(v: chex.Array, valid: chex.Array, player_id: chex.Array, acting_policy: chex.Array,
            policy: chex.Array, log_ratio: chex.Array, action_oh: chex.Array, reward: chex.Array,
            player: int, eta: float, lambda_: float = 1.0, c: float = 1.0, rho: float = jnp.inf,
            gamma: float = 1.0) -> tuple[chex.Array, chex.Array, chex.Array]:
  """Two-player v-trace for interleaved turns, seen from `player`, on transformed rewards.

  Opponent steps are folded into `player`'s next step: their rewards and the
  importance weights pi/mu of the opponent's actions accumulate until `player`
  moves again, so v-trace runs on `player`'s own steps only. `mu` is the policy
  that actually acted (recorded by the actor with whatever parameters it held),
  so the correction covers both exploration and actors lagging the learner.

  Args:
    v: [T, 1] values (the target network's: the reference's choice, confirmed by its authors).
    valid: [T] 1 while the game runs.
    player_id: [T] whose turn it is.
    acting_policy: [T, A] mu, the policy that acted.
    policy: [T, A] pi, the learner's (possibly post-processed) policy.
    log_ratio: [T, A] log(pi / pi_reg), see `regularisation_log_ratio`.
    action_oh: [T, A] one-hot of the action taken.
    reward: [T] `player`'s game reward received after each step.
    player: the player whose values and policy targets are computed.
    eta: reward-transform strength.
    lambda_, c, rho, gamma: v-trace's lambda, trace cutoff, value cutoff, discount.

  Returns:
    (v_target [T, 1], has_played [T], q_target [T, A]): value targets at
    `player`'s steps (0 elsewhere), the value-loss mask, and per-action Q
    estimates at `player`'s steps for NeuRD (the taken action's estimate is
    importance-weighted by 1/mu, the others are baseline plus reg term).
  """
  chex.assert_rank([v, valid, player_id, acting_policy, policy, log_ratio, action_oh, reward],
                   [2, 1, 1, 2, 2, 2, 2, 1])
  valid = valid.astype(jnp.float32)
  gamma = jnp.asarray(gamma, jnp.float32)
  signs = player_signs(player_id, valid, player)

  def taken(p):
    return jnp.sum(action_oh * p, axis=-1) * valid + (1.0 - valid)

  ratio = taken(policy) / taken(acting_policy)
  inv_mu = 1.0 / taken(acting_policy)
  eta_reg_entropy = -eta * jnp.sum(policy * log_ratio, axis=-1) * signs[:, 0]
  eta_log_policy = -eta * log_ratio * signs
  played = has_played(valid, player_id, player)

  init = _VTraceCarry(reward=jnp.zeros(()), reward_uncorrected=jnp.zeros(()),
                      next_value=jnp.zeros((1,)), next_v_target=jnp.zeros((1,)),
                      importance_sampling=jnp.ones(()))

  def step(carry, x):
    cs, player_t, v_t, reward_t, reg_entropy_t, valid_t, inv_mu_t, action_t, reg_log_t = x
    reward_uncorrected = reward_t + gamma * carry.reward_uncorrected + reg_entropy_t
    discounted_reward = reward_t + gamma * carry.reward
    our_v_target = (
        v_t + jnp.minimum(rho, cs * carry.importance_sampling) *
        (reward_uncorrected + gamma * carry.next_value - v_t) +
        lambda_ * jnp.minimum(c, cs * carry.importance_sampling) * gamma *
        (carry.next_v_target - carry.next_value))
    our_q = (v_t + reg_log_t + action_t * inv_mu_t *
             (discounted_reward + gamma * carry.importance_sampling * carry.next_v_target - v_t))
    our_carry = _VTraceCarry(reward=jnp.zeros(()), reward_uncorrected=jnp.zeros(()),
                             next_value=v_t, next_v_target=our_v_target,
                             importance_sampling=jnp.ones(()))
    opp_carry = _VTraceCarry(reward=reg_entropy_t + cs * discounted_reward,
                             reward_uncorrected=reward_uncorrected,
                             next_value=gamma * carry.next_value,
                             next_v_target=gamma * carry.next_v_target,
                             importance_sampling=cs * carry.importance_sampling)
    zeros = (jnp.zeros_like(our_v_target), jnp.zeros_like(our_q))
    return _select(valid_t > 0,
                   _select(player_t == player, (our_carry, (our_v_target, our_q)), (opp_carry, zeros)),
                   (init, zeros))

  xs = (ratio, player_id, v, reward, eta_reg_entropy, valid, inv_mu, action_oh, eta_log_policy)
  _, (v_target, q_target) = lax.scan(step, init, xs, reverse=True)
  return v_target, played, q_target


def masked_mean(x: chex.Array, mask: chex.Array) -> chex.Array:
  """sum(x * mask) / sum(mask), and 0 when the mask is empty."""
  total = jnp.sum(mask)
  return jnp.sum(x * mask) / (total + (total == 0.0))


def value_loss(v: chex.Array, v_targets: list[chex.Array], masks: list[chex.Array]) -> chex.Array:
  """Sum over players of the mean squared error to v-trace targets over steps the player still moves.

  Args:
    v: [..., 1] the online network's values.
    v_targets: per player, [..., 1] targets (gradients are stopped).
    masks: per player, [...] `has_played` masks.
  """
  total = 0.0
  for v_target, mask in zip(v_targets, masks):
    chex.assert_equal_shape([v, v_target])
    err = (v - lax.stop_gradient(v_target))[..., 0] ** 2
    total = total + masked_mean(err, mask)
  return total


def apply_force_with_threshold(logits: chex.Array, force: chex.Array, threshold: float) -> chex.Array:
  """`logits * stop_gradient(force)`, dropping the push past +-threshold.

  A logit already above `threshold` keeps only negative force, one below
  `-threshold` only positive; this is NeuRD's beta (the paper's logit bound).
  """
  chex.assert_equal_shape([logits, force])
  can_decrease = logits > -threshold
  can_increase = logits < threshold
  clipped = can_decrease * jnp.minimum(force, 0.0) + can_increase * jnp.maximum(force, 0.0)
  return logits * lax.stop_gradient(clipped)


def actor_lag_weight(pi: chex.Array, mu: chex.Array, action_oh: chex.Array) -> chex.Array:
  """min(1, pi(a) / mu(a)) for the action a taken at each step, gradient stopped; [..., 1].

  1 where no action was taken (steps after the end).
  """
  pi_a = jnp.sum(pi * action_oh, axis=-1, keepdims=True)
  mu_a = jnp.sum(mu * action_oh, axis=-1, keepdims=True)
  taken = jnp.sum(action_oh, axis=-1, keepdims=True) > 0
  ratio = jnp.where(taken, pi_a / jnp.where(taken, mu_a, 1.0), 1.0)
  return lax.stop_gradient(jnp.minimum(1.0, ratio))


def neurd_loss(logits: chex.Array, policy: chex.Array, q_targets: list[chex.Array], valid: chex.Array,
               player_id: chex.Array, legal: chex.Array, beta: float, clip: float,
               is_weights: list[chex.Array] | None = None, num_actions: int | None = None) -> chex.Array:
  """The NeuRD policy loss on legal actions, summed over players.

  For player k at its own valid steps: advantages `q - sum(pi * q)` (times
  optional importance weights, clipped to +-clip, gradient stopped) push the
  logits, centred on their mean over the legal actions (or on their legal sum
  over `num_actions`), with `apply_force_with_threshold`; illegal actions get
  no force.

  Args:
    logits: [..., A] the online network's logits.
    policy: [..., A] its legal policy.
    q_targets: per player, [..., A] from `v_trace`.
    valid, player_id: [...].
    legal: [..., A] 0/1 legal-action mask.
    beta, clip: NeuRD's logit threshold and advantage clip.
    is_weights: per player, [..., 1] weights of each step's advantage; None for 1.
    num_actions: None centres on the mean over the legal actions, so beta
      bounds each logit against the others; a number centres on the legal
      logits' sum over that many actions, as the reference did with the
      game's action count, which with many actions is nearly the raw logits.

  Returns:
    The loss (a scalar): minus the mean over valid own steps of the forced logits.
  """
  legal = legal.astype(jnp.float32)
  count = jnp.maximum(jnp.sum(legal, axis=-1, keepdims=True), 1.0) if num_actions is None else num_actions
  centred = logits - jnp.sum(logits * legal, axis=-1, keepdims=True) / count  # the same for every player
  total = 0.0
  for k, q in enumerate(q_targets):
    adv = q - jnp.sum(policy * q, axis=-1, keepdims=True)
    if is_weights is not None:
      adv = is_weights[k] * adv
    adv = lax.stop_gradient(jnp.clip(adv, -clip, clip))
    forced = jnp.sum(legal * apply_force_with_threshold(centred, adv, beta), axis=-1)
    total = total - masked_mean(forced, valid * (player_id == k))
  return total
