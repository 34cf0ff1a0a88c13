"""The enumerated game tree against OpenSpiel node by node, and the tabular actor against the OpenSpiel actor."""

import numpy as np
import pyspiel
import pytest

from actors import factory, self_play, tabular_self_play
from actors.config import ActorConfig, TrainConfig
from games import game_tree, openspiel_io

SMALL_GAMES = ["kuhn_poker", "leduc_poker"]


def test_history_counts_of_kuhn_and_leduc():
  # Kuhn: 1 + 3 chance nodes (the two cards); per deal (6) 4 decision nodes (player 0's first move, player 1's
  # after a pass or a bet, player 0's after pass-bet) and 5 ends (pp, pbp, pbb, bp, bb): 4 + 24 + 30.
  # Leduc's 9,457 is a plain walk of OpenSpiel's game.
  kuhn = game_tree.build(pyspiel.load_game("kuhn_poker"))
  assert kuhn.num_nodes == 58
  assert np.sum(kuhn.player >= 0) == 24 and len(kuhn.chance) == 4 and np.sum(kuhn.terminal) == 30
  assert game_tree.build(pyspiel.load_game("leduc_poker")).num_nodes == 9457


def test_too_large_a_game_is_refused_in_one_line():
  with pytest.raises(ValueError, match="more than 100 histories"):
    game_tree.build(pyspiel.load_game("leduc_poker"), max_nodes=100)


@pytest.mark.parametrize("name", SMALL_GAMES)
def test_every_node_holds_what_openspiel_says_of_its_history(name):
  game = pyspiel.load_game(name)
  tree = game_tree.build(game)
  states = {0: game.new_initial_state()}  # node -> state, walked alongside the tree
  for node in range(tree.num_nodes):
    state = states.pop(node)
    np.testing.assert_array_equal(tree.rewards[node], state.rewards())
    if state.is_terminal():
      assert tree.player[node] == game_tree.TERMINAL and not tree.legal[node].any()
    elif state.is_chance_node():
      cdf, kids = tree.chance[node]
      outcomes = state.chance_outcomes()
      np.testing.assert_allclose(np.diff([0.0] + cdf), [p for _, p in outcomes], rtol=0, atol=1e-15)
      for (action, _), kid in zip(outcomes, kids):
        states[kid] = state.child(action)
    else:
      assert tree.player[node] == state.current_player()
      np.testing.assert_array_equal(tree.obs[node], np.asarray(openspiel_io.observe(state), np.float32))
      np.testing.assert_array_equal(tree.legal[node], state.legal_actions_mask())
      assert set(np.flatnonzero(tree.child[node] >= 0)) == set(state.legal_actions())
      for action in state.legal_actions():
        states[int(tree.child[node, action])] = state.child(action)
  assert not states  # every child was a node of its own


def test_play_chance_takes_the_outcomes_and_draws_of_openspiel_io():
  game = pyspiel.load_game("leduc_poker")
  tree = game_tree.build(game)
  deals = {}
  for seed in range(400):
    state = openspiel_io.play_chance(game.new_initial_state(), np.random.default_rng(seed))
    rng = np.random.default_rng(seed)
    node = game_tree.play_chance(tree, 0, rng)
    deals[node] = tuple(state.history())
    np.testing.assert_array_equal(tree.obs[node], openspiel_io.observe(state))
    assert rng.random() == np.random.default_rng(seed).random(3)[2]  # two draws taken, as two cards dealt
  assert len(set(deals.values())) == len(deals) == 30  # 6 x 5 ordered deals, each its own node


def policy(params, obs, legal):
  """A policy that depends on the observation, so that differing observations would show."""
  logits = np.sin(obs @ np.arange(1, obs.shape[1] + 1, dtype=np.float32))[:, None] * np.arange(legal.shape[1])
  probs = np.exp(logits) * legal
  return probs / probs.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("name", SMALL_GAMES)
@pytest.mark.parametrize("pack,explore", [(False, 0.0), (True, 0.1)])
def test_the_tabular_actor_writes_the_openspiel_actors_trajectories_to_the_bit(name, pack, explore):
  game = pyspiel.load_game(name)
  kw = dict(num_games=16, trajectory_max=6, chunk_size=4, seed=11, pack=pack, explore=explore)
  actors = [self_play.SelfPlayActor(game, policy, **kw), tabular_self_play.TabularSelfPlayActor(game, policy, **kw)]
  for step in range(60):
    for actor in actors:
      actor.run_step(None, version=step)
  ours, theirs = actors[1].ready, actors[0].ready
  assert len(ours) == len(theirs) >= 10
  for a, b in zip(ours, theirs):
    for field in a._fields:
      np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
  assert actors[1].games_finished == actors[0].games_finished and actors[1].moves == actors[0].moves


def test_the_factory_picks_the_tree_where_the_config_asks_for_it():
  kuhn = pyspiel.load_game("kuhn_poker")
  assert factory.actor_kind(TrainConfig.for_game("kuhn_poker"), kuhn) == "tabular"
  assert factory.actor_kind(TrainConfig.for_game("leduc_poker"), pyspiel.load_game("leduc_poker")) == "tabular"
  plain = TrainConfig(game="kuhn_poker", actors=ActorConfig(tabular=False))
  assert factory.actor_kind(plain, kuhn) == "openspiel"
  assert factory.actor_kind(TrainConfig.for_game("stratego"), openspiel_io.load_game(
      TrainConfig.for_game("stratego").game)) == "jax"
