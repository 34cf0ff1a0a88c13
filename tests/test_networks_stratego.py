"""Stratego's action -> (from, to) table indexes the squares a network reads, and FROM_TO heads use it."""

import dataclasses

import jax
import numpy as np
import pyspiel
import pytest

import games  # noqa: F401  (registers stratego)
from agents.networks import (Backbone, GameSpec, HeadConfig, NetworkConfig, PolicyHead, count, make_network,
                            spec_from_game)
from agents.networks.encoders import grid_positions
from games import stratego
from games.stratego.testing import board, game, play

import networks_fakes as fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)

TABLE = stratego.action_from_to()
OWN, HIDDEN_STILL = 0, 26  # observation.py's planes: own pieces by type, unrevealed unmoved enemies
MARSHAL, SERGEANT, SCOUT = 10, 4, 2  # type - 1


def _token_plane(state, player, plane):
  """plane `plane` of `player`'s observation as the 100 board tokens the encoder reads (row-major)."""
  planes = np.asarray(state.observation_tensor(player)).reshape(-1, 10, 10)
  rows_cols = grid_positions(10, 10)  # token i's (row, column) in the encoder
  return planes[plane][rows_cols[:, 0], rows_cols[:, 1]]


def test_table_shape_and_deployment_rows():
  assert TABLE.shape == (1840, 2) and TABLE.dtype == np.int32
  np.testing.assert_array_equal(TABLE[:40], -1)  # deployment: not a move between squares
  assert TABLE[40:].min() == 0 and TABLE[40:].max() == 99


def test_every_move_joins_two_distinct_squares_of_one_line_once():
  src, dst = TABLE[40:, 0], TABLE[40:, 1]
  assert np.all(src != dst)
  assert np.all((src // 10 == dst // 10) | (src % 10 == dst % 10))
  # 100 squares x 18 others on their row and column: each ordered pair exactly once.
  assert len({(int(f), int(t)) for f, t in zip(src, dst)}) == 1800
  np.testing.assert_array_equal(np.bincount(src, minlength=100), np.full(100, 18))


@pytest.mark.parametrize("move,side,src,dst", [
    ("a1-a2", 0, 0, 10), ("e4-e5", 0, 34, 44), ("b2-b9", 0, 11, 81), ("j10-a10", 0, 99, 90),
    # Blue's actions are in its own frame (the board turned): e5 (44) -> e4 (34) is 55 -> 65 there.
    ("e5-e4", 1, 99 - 44, 99 - 34), ("a10-a9", 1, 9, 19),
])
def test_move_in_notation_maps_to_its_squares_in_the_actors_frame(move, side, src, dst):
  action = stratego.string_to_action(side, move)
  assert tuple(TABLE[action]) == (src, dst)


def test_table_squares_are_where_the_actor_sees_its_piece_and_the_target():
  """Red's marshal e4 attacks e5, then Blue's sergeant e6 attacks the marshal on e5; each from its own view."""
  s = game(board({"e4": "L", "a1": "M", "e5": "R", "e6": "R", "j10": "Y"}), max_moves=100).new_initial_state()
  red_move = s.string_to_action("e4-e5")
  assert red_move in s.legal_actions()
  src, dst = TABLE[red_move]
  own_marshal, hidden = _token_plane(s, 0, OWN + MARSHAL), _token_plane(s, 0, HIDDEN_STILL)
  assert own_marshal[src] == 1 and own_marshal.sum() == 1
  assert hidden[dst] == 1 and hidden[src] == 0

  play(s, "e4-e5")  # the marshal takes the first sergeant; Blue to move
  blue_move = s.string_to_action("e6-e5")
  assert blue_move in s.legal_actions() and s.current_player() == 1
  src, dst = TABLE[blue_move]
  assert (src, dst) == (99 - 54, 99 - 44)  # e6 (54), e5 (44) turned into Blue's frame
  own_sergeant = _token_plane(s, 1, OWN + SERGEANT)
  assert own_sergeant[src] == 1 and own_sergeant.sum() == 1
  # The red marshal is revealed now: Blue sees it at the target as a known enemy marshal (plane 14 + type).
  assert _token_plane(s, 1, 14 + MARSHAL)[dst] == 1


def test_spec_from_the_game_carries_the_table_and_auto_picks_from_to():
  g = pyspiel.load_game("stratego(variant=barrage)")
  spec = spec_from_game(g)
  np.testing.assert_array_equal(np.asarray(spec.action_from_to), TABLE)
  c = count(fakes.tiny(Backbone.TRANSFORMER), g)
  assert {l.name: l for l in c.layers}["policy"].description.startswith("from_to")
  griffin = count(fakes.tiny(Backbone.GRIFFIN), g)  # causal: AUTO reads the pool instead
  assert {l.name: l for l in griffin.layers}["policy"].description.startswith("flat")


@pytest.mark.parametrize("rows", [((0, 9), (-1, -1)), ((0, -1), (1, 2)), ((-1, 0), (1, 2))])
def test_a_table_off_the_board_or_half_a_move_is_refused(rows):
  with pytest.raises(ValueError, match="action_from_to"):
    GameSpec("bad", (2, 3, 3), 2, action_from_to=rows)


@pytest.fixture(scope="module")
def barrage_positions():
  g = pyspiel.load_game("stratego(variant=barrage,deployment=random,history=2)")
  obs, legal = fakes.trajectory(g, steps=2, batch=2, seed=3)
  return g, obs.reshape(4, -1), legal.reshape(4, -1)


@pytest.mark.parametrize("backbone", list(Backbone))
def test_from_to_network_on_barrage_has_finite_logits_exactly_on_legal_actions(backbone, barrage_positions):
  g, obs, legal = barrage_positions
  assert legal[:, :40].sum() == 0 and legal.sum() > 4  # play has begun: only moves are legal
  cfg = dataclasses.replace(fakes.tiny(backbone), head=HeadConfig(policy=PolicyHead.FROM_TO, from_to_dim=8))
  net = make_network(cfg, g)
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs, legal)
  query = params["from_to/query_context" if backbone is Backbone.MLP else "policy/from_query"]
  assert query["w"].shape == (cfg.hidden[-1] if backbone is Backbone.MLP else cfg.width, 8)
  out = jax.jit(net.apply)(params, obs, legal)
  np.testing.assert_array_equal(np.isfinite(out.logits), legal)
  assert count(cfg, g).params == sum(x.size for x in jax.tree.leaves(params))


def test_rnad_lm_backbone_on_stratego_uses_the_from_to_head(barrage_positions):
  from learners.rnad import networks as rnad_networks
  g, obs, legal = barrage_positions
  net = rnad_networks.make_network(NetworkConfig.from_preset("resnet", "tiny"), g)
  params = rnad_networks.init(net, jax.random.PRNGKey(0), obs)
  assert "policy/from_query" in params
  logits, value = rnad_networks.policy_value(net, params, obs)
  assert logits.shape == (4, 1840) and value.shape == (4, 1)
  assert np.all(np.isfinite(np.asarray(logits)))
