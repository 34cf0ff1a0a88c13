"""Batched self-play trajectories, NashConv and play against random, on Kuhn and Leduc poker."""

import numpy as np
import pyspiel
import pytest

from actors import self_play
from evaluation import nashconv, vs_random


def uniform(params, obs, legal):
  return legal / legal.sum(axis=-1, keepdims=True)


def test_sample_actions_never_picks_a_zero_probability_action():
  rng = np.random.default_rng(0)
  probs = np.array([[0.0, 1.0, 0.0], [0.25, 0.75, 0.0]] * 2000)
  acts = self_play.sample_actions(probs, rng)
  assert set(acts[0::2]) == {1}
  assert set(acts[1::2]) <= {0, 1}
  assert np.mean(acts[1::2] == 0) == pytest.approx(0.25, abs=0.03)


def test_play_chance_deals_by_the_chance_probabilities():
  # Leduc deals one of 6 cards (two of each of 3 ranks) to each player: the first card is uniform, and
  # the second is one of the 5 left, so each rank pair (a, b) has 2/6 * 2/5 (a = b: 2/6 * 1/5) probability.
  game, rng, n = pyspiel.load_game("leduc_poker"), np.random.default_rng(0), 30_000
  counts = np.zeros((3, 3))
  for _ in range(n):
    state = self_play.play_chance(game.new_initial_state(), rng)
    assert state.current_player() == 0
    first, second = state.history()
    counts[first // 2, second // 2] += 1
  want = np.full((3, 3), 2 / 6 * 2 / 5)
  np.fill_diagonal(want, 2 / 6 * 1 / 5)
  assert np.abs(counts / n - want).max() < 4 * np.sqrt(want.max() * (1 - want.max()) / n)


def test_kuhn_trajectories_record_who_moved_what_and_the_payoff():
  game = pyspiel.load_game("kuhn_poker")
  actor = self_play.SelfPlayActor(game, uniform, num_games=8, trajectory_max=4, chunk_size=16, seed=3)
  while not actor.ready:
    actor.run_step(None, version=7)
  batch = actor.ready[0]
  assert batch.obs.shape == (16, 4, 11) and batch.rewards.shape == (16, 4, 2)
  assert batch.action_ids is None  # slot k is action k: nothing to store
  for i in range(16):
    n = int(batch.valid[i].sum())
    assert n in (2, 3)                                # Kuhn games last 2 or 3 moves.
    np.testing.assert_array_equal(batch.valid[i], [1] * n + [0] * (4 - n))
    np.testing.assert_array_equal(batch.player_id[i, :n], [0, 1, 0][:n])
    np.testing.assert_allclose(batch.policy[i, :n], 0.5)  # what the (uniform) actor sampled from.
    assert batch.action_oh[i, :n].sum() == n and batch.action_oh[i, n:].sum() == 0
    final = batch.rewards[i, n - 1]
    assert final.sum() == 0 and abs(final[0]) in (1, 2)   # Zero-sum: ante 1, or ante plus bet.
    assert not batch.rewards[i, :n - 1].any()
  np.testing.assert_array_equal(batch.version, 7)


def test_explore_mixes_in_uniform_play_and_records_the_mixture():
  def first_legal(params, obs, legal):  # all its mass on the first legal action.
    return (np.cumsum(legal, axis=-1) == 1) * legal
  game = pyspiel.load_game("leduc_poker")
  actor = self_play.SelfPlayActor(game, first_legal, num_games=64, trajectory_max=16, chunk_size=64, seed=0,
                                  explore=0.3)
  while not actor.ready:
    actor.run_step(None, version=0)
  batch = actor.ready[0]
  valid = batch.valid > 0
  k = batch.legal.sum(-1)[valid]                            # 2 or 3 legal actions.
  first = np.argmax(batch.legal, axis=-1)[valid]
  mu = batch.policy[valid]
  # 0.7 + 0.3 / k on the policy's action, 0.3 / k on each other legal one, 0 elsewhere.
  np.testing.assert_allclose(mu[np.arange(len(mu)), first], 0.7 + 0.3 / k, rtol=1e-6)
  np.testing.assert_allclose(mu.sum(-1), 1.0, rtol=1e-6)
  np.testing.assert_allclose(mu * (1 - batch.legal[valid]), 0.0)
  assert set(np.unique(k)) == {2, 3}
  # The mixture is what was sampled: some moves are not the policy's.
  taken = np.argmax(batch.action_oh, axis=-1)[valid]
  assert np.mean(taken != first) == pytest.approx(np.mean(0.3 * (k - 1) / k), abs=0.05)
  with pytest.raises(ValueError, match="explore"):
    self_play.SelfPlayActor(game, first_legal, num_games=1, trajectory_max=2, chunk_size=1, explore=1.0)


def check_then_bet_then_fold(params, obs, legal):
  """Kuhn poker, deterministically: player 0 passes (checks, then folds), player 1 bets; 3 moves a game."""
  bet = obs[:, 1] == 1  # The information state opens with the player's one-hot.
  return np.stack([~bet, bet], axis=-1).astype(np.float64)


# Each game: P0 passes, P1 bets, P0 passes (folds) and loses its ante: rewards (-1, 1) after the third move.
# Information-state planes: player (2), card (3, dealt at random: not compared), history (3 moves x pass/bet).
PLAYER_AND_HISTORY = [0, 1, 5, 6, 7, 8, 9, 10]
MOVES = {  # the game's three steps: player, history planes, action, rewards after it
    0: (0, [1, 0, 0, 0, 0, 0, 0, 0], 0, [0, 0]),
    1: (1, [0, 1, 1, 0, 0, 0, 0, 0], 1, [0, 0]),
    2: (0, [1, 0, 1, 0, 0, 1, 0, 0], 0, [-1, 1]),
}


@pytest.mark.parametrize("trajectory_max, pack, steps, version", [
    (3, False, [0, 1, 2], 1),  # The whole game fits.
    (2, False, [0, 1], 1),     # Cut after 2 moves: no reward (as a draw), the third move never played.
    (2, True, [2], 3),         # Packed: the 2 steps without an end are dropped; the row holds the rest.
])
def test_games_longer_than_trajectory_max_are_cut(trajectory_max, pack, steps, version):
  game = pyspiel.load_game("kuhn_poker")
  actor = self_play.SelfPlayActor(game, check_then_bet_then_fold, num_games=4, trajectory_max=trajectory_max,
                                  chunk_size=4, seed=0, pack=pack)
  moves = 0
  while not actor.ready:
    moves += 1
    actor.run_step(None, version=moves)  # Move m is played with parameter version m.
  assert moves == 3 if pack or trajectory_max == 3 else moves == 2
  assert len(actor.ready) == 1 and actor.games_finished == 4
  batch = actor.ready[0]
  n, t = len(steps), trajectory_max
  want_valid = np.zeros(t)
  want_valid[:n] = 1
  want_obs, want_player = np.zeros((t, 8)), np.zeros(t)
  want_action, want_rewards = np.zeros((t, 2)), np.zeros((t, 2))
  for j, step in enumerate(steps):
    player, planes, action, rewards = MOVES[step]
    want_player[j], want_obs[j], want_action[j, action], want_rewards[j] = player, planes, 1, rewards
  for i in range(4):
    np.testing.assert_array_equal(batch.valid[i], want_valid)
    np.testing.assert_array_equal(batch.player_id[i], want_player)
    np.testing.assert_array_equal(batch.obs[i][:, PLAYER_AND_HISTORY], want_obs)
    np.testing.assert_array_equal(batch.legal[i], want_valid[:, None] * [1, 1])
    np.testing.assert_array_equal(batch.action_oh[i], want_action)
    np.testing.assert_array_equal(batch.policy[i], want_action)  # The policy is deterministic.
    np.testing.assert_array_equal(batch.rewards[i], want_rewards)
  np.testing.assert_array_equal(batch.version, [version] * 4)  # The version of the row's first move.


def test_check_game_refuses_what_self_play_cannot_play():
  with pytest.raises(ValueError, match="two players"):
    self_play.check_game(pyspiel.load_game("kuhn_poker(players=3)"))


@pytest.mark.parametrize("game, want", [("kuhn_poker", 11 / 12), ("leduc_poker", 4.747222222)])
def test_nashconv_of_the_uniform_policy(game, want):
  evaluator = nashconv.NashConvEvaluator(pyspiel.load_game(game))
  assert evaluator(lambda o, l: uniform(None, o, l)) == pytest.approx(want, abs=1e-6)


def test_nashconv_of_a_kuhn_nash_equilibrium_is_zero():
  # Kuhn's equilibrium family (Kuhn 1950) at alpha = 0; cards 0 = J, 1 = Q, 2 = K.
  game = pyspiel.load_game("kuhn_poker")
  evaluator = nashconv.NashConvEvaluator(game)
  from open_spiel.python import policy as policy_lib
  tab = policy_lib.TabularPolicy(game)
  # Info-state strings: card then history (p=pass, b=bet); action 0 pass, 1 bet. alpha = 0.
  nash = {"0": [1, 0], "1": [1, 0], "2": [1, 0],            # P0 first move: always check (alpha = 0)
          "0pb": [1, 0], "1pb": [2 / 3, 1 / 3], "2pb": [0, 1],  # P0 after check-bet
          "0p": [2 / 3, 1 / 3], "1p": [1, 0], "2p": [0, 1],  # P1 after check
          "0b": [1, 0], "1b": [2 / 3, 1 / 3], "2b": [0, 1]}  # P1 facing a bet
  lookup = {tab.state_lookup[k]: v for k, v in nash.items()}
  table = np.array([lookup[i] for i in range(len(lookup))], np.float64)
  got = evaluator(lambda o, l: table)
  assert got == pytest.approx(0.0, abs=1e-9)


def test_play_vs_random_counts_every_game_and_alternates_seats():
  game = pyspiel.load_game("tic_tac_toe")
  res = vs_random.play_vs_random(game, lambda o, l: uniform(None, o, l), num_games=200, seed=1)
  assert res.wins + res.draws + res.losses == 200
  # Random against random at tic-tac-toe, seats alternating: wins and losses about equal.
  assert abs(res.wins - res.losses) < 40
