"""The OpenSpiel game `stratego`: conformance (random_sim_test), parameters, deployment and information hiding."""

import numpy as np
import pyspiel
import pytest

import games  # noqa: F401  (registers stratego)
from games.stratego import pieces as P
from games.stratego.testing import board
from games.stratego.testing import game
from games.stratego.testing import play

CLASSIC_SETUP = "BDGFDFDDDBHFLJGKDIFGEHEMCEHBDDIBJEIBHEBG"
BARRAGE_SETUP = "AAAAALAAKAAAAAAEAACADAAAAAAAABDAAAAAAAAM"


def _setups_file(tmp_path, variant):
  line = CLASSIC_SETUP if variant == "classic" else BARRAGE_SETUP
  path = tmp_path / f"{variant}.txt"
  path.write_text(f"# test setups\n{line}\n{line[::-1]}\n")
  return path


@pytest.mark.parametrize("variant", ["classic", "barrage"])
@pytest.mark.parametrize("deployment", ["play", "random", "file"])
def test_random_sim_test_with_serialization(tmp_path, variant, deployment):
  params = {"variant": variant, "deployment": deployment, "max_moves": 40}
  if deployment == "file":
    params["setups_file"] = str(_setups_file(tmp_path, variant))
  g = pyspiel.load_game("stratego", params)
  pyspiel.random_sim_test(g, num_sims=2, serialize=True, verbose=False)


def test_random_sim_test_from_an_initial_board():
  g = game(board({"e4": "L", "b2": "D", "a1": "M", "e7": "X", "g9": "P", "j10": "Y"}), max_moves=60)
  pyspiel.random_sim_test(g, num_sims=2, serialize=True, verbose=False)


def test_game_sizes():
  g = pyspiel.load_game("stratego(variant=barrage,deployment=random)")
  assert g.num_distinct_actions() == 40 + 100 * 18
  assert g.max_chance_outcomes() == 40
  assert g.max_game_length() == 2000 + 16
  assert g.observation_tensor_shape() == [58 + 6 * 8, 10, 10]
  assert g.information_state_tensor_shape() == g.observation_tensor_shape()
  assert (g.min_utility(), g.max_utility(), g.utility_sum()) == (-1.0, 1.0, 0.0)


@pytest.mark.parametrize("params,error", [
    ({"variant": "tiny"}, "variant must be classic or barrage"),
    ({"deployment": "shuffle"}, "deployment must be one of play, random, file"),
    ({"deployment": "file"}, "deployment=file needs setups_file"),
    ({"initial_board": "AAA"}, "initial_board: a board has 100 letters, got 3"),
    ({"max_moves": 0}, "max_moves must be in 1..1000000"),
    ({"max_moves": 5_000_000}, "max_moves must be in 1..1000000"),
    ({"max_moves_since_attack": 2**30}, "max_moves_since_attack must be in 1..1000000"),
    # Boards no game starts from: once accepted.
    ({"initial_board": board({"a1": "M", "b1": "M", "e4": "L", "j10": "Y", "e7": "X"})},
     "initial_board: Red has 2 flags; a side has exactly one"),
    ({"initial_board": board({"e4": "L", "j10": "Y", "e7": "X"})}, "initial_board: Red has 0 flags"),
    ({"initial_board": board({})}, "initial_board: Red has 0 flags"),
    ({"initial_board": board({"a1": "M", "e4": "L", "j10": "Y", "j9": "N"})}, "initial_board: Blue has no piece that moves"),
])
def test_bad_parameters_are_named(params, error):
  with pytest.raises(Exception, match=error):
    pyspiel.load_game("stratego", params)


def test_an_integer_parameter_too_large_for_openspiel_is_named():
  # OpenSpiel's parser once failed with "CHECK_TRUE(success)" and no word of which parameter.
  from games import openspiel_io
  with pytest.raises(ValueError, match=r"game parameter max_moves=1000000000000 is too large"):
    openspiel_io.load_game("stratego(variant=barrage,max_moves=1000000000000)")


def test_play_deployment_places_pieces_in_order_then_red_moves():
  g = pyspiel.load_game("stratego(variant=barrage)")
  s = g.new_initial_state()
  assert s.current_player() == 0 and len(s.legal_actions()) == 40
  assert "Red deploys: flag" in str(s)
  for i in range(8):  # Red fills its front row a4..h4 in placement order
    s.apply_action(s.string_to_action(f"place {'abcdefgh'[i]}4"))
  assert s.current_player() == 1 and "Blue deploys: flag" in str(s)
  assert s.legal_actions()[0] == 0 and s.action_to_string(0) == "place j7"
  for i in range(8):
    s.apply_action(i)
  assert s.current_player() == 0
  # Placement order: flag, bomb, marshal, general, miner, scout, scout, spy.
  assert s.board_string()[30:40] == "MBLKEDDCAA"
  assert s.board_string()[60:70][::-1] == "YNXWQPPOAA"


def test_random_deployment_is_a_chance_node_per_piece():
  g = pyspiel.load_game("stratego(variant=barrage,deployment=random)")
  s = g.new_initial_state()
  assert s.is_chance_node()
  outcomes = s.chance_outcomes()
  assert len(outcomes) == 40 and abs(sum(p for _, p in outcomes) - 1) < 1e-9
  s.apply_action(5)
  assert len(s.chance_outcomes()) == 39
  rng = np.random.default_rng(0)
  while s.is_chance_node():
    s.apply_action(int(rng.choice([a for a, _ in s.chance_outcomes()])))
  text = s.board_string()
  assert len(s.history()) == 16 and s.current_player() == 0
  for letter, n in zip("BCDEKLM", (1, 1, 2, 1, 1, 1, 1)):
    assert text.count(letter) == n and text.count(chr(ord(letter) + 12)) == n


def test_file_deployment_draws_a_line_per_side(tmp_path):
  g = pyspiel.load_game("stratego", {"variant": "barrage", "deployment": "file",
                                     "setups_file": str(_setups_file(tmp_path, "barrage"))})
  s = g.new_initial_state()
  assert s.chance_outcomes() == [(0, 0.5), (1, 0.5)]
  assert s.action_to_string(1) == "setup 1"
  s.apply_action(0)
  s.apply_action(1)
  text = s.board_string()
  assert text[30:40] == BARRAGE_SETUP[:10]  # Red's front row a4..j4
  assert text[60:70][::-1] == "".join(chr(ord(c) + 12) if c != "A" else "A" for c in BARRAGE_SETUP[::-1][:10])


def _info(state, player):
  return state.information_state_string(player), np.asarray(state.information_state_tensor(player))


def test_hidden_pieces_do_not_change_the_other_players_information_state():
  # Same public history; Blue's marshal and flag swap places between the two games.
  base = {"e2": "L", "a1": "M", "b2": "D", "a9": "R", "e7": "S"}
  s1 = game(board({**base, "c8": "X", "h9": "Y"})).new_initial_state()
  s2 = game(board({**base, "c8": "Y", "h9": "X"})).new_initial_state()
  for s in (s1, s2):
    play(s, "e2-e3", "a9-a8", "b2-b6", "e7-e6")
  red1, red2 = _info(s1, 0), _info(s2, 0)
  assert red1[0] == red2[0] and np.array_equal(red1[1], red2[1])
  assert s1.observation_string(0) == s2.observation_string(0)
  assert np.array_equal(s1.observation_tensor(0), s2.observation_tensor(0))
  assert _info(s1, 1)[0] != _info(s2, 1)[0]  # Blue knows its own pieces
  assert "?" in red1[0] and "X" not in red1[0].splitlines()[-11:][0]


def test_deployment_is_hidden_from_the_opponent():
  g = pyspiel.load_game("stratego(variant=barrage)")
  a, b = g.new_initial_state(), g.new_initial_state()
  for i in range(8):  # different Red setups
    a.apply_action(i)
    b.apply_action(39 - i)
  assert a.current_player() == 1
  assert _info(a, 1)[0] == _info(b, 1)[0] and np.array_equal(_info(a, 1)[1], _info(b, 1)[1])
  assert _info(a, 0)[0] != _info(b, 0)[0]
  c, d = a.clone(), b.clone()
  for s in (c, d):  # and Blue's placements stay hidden from Red while Blue deploys
    s.apply_action(3)
  assert _info(a, 0)[0].replace("\nactions", "") != _info(c, 0)[0]  # one more (hidden) action token
  assert "?" in _info(c, 0)[0].splitlines()[1] and "place" not in _info(c, 0)[0].splitlines()[1].split("?")[-1]


def test_random_deployments_differing_only_in_blue_pieces_look_the_same_to_red():
  g = pyspiel.load_game("stratego(deployment=random)")
  rng = np.random.default_rng(1)
  red = [int(x) for x in rng.permutation(40)]
  blue = [int(x) for x in rng.permutation(40)]
  blue_swapped = [blue[-1]] + blue[1:-1] + [blue[0]]  # the flag and the spy trade squares
  s1, s2 = g.new_initial_state(), g.new_initial_state()
  for s, b in ((s1, blue), (s2, blue_swapped)):
    for a in red + b:
      s.apply_action(a)
  assert s1.board_string() != s2.board_string()
  assert _info(s1, 0)[0] == _info(s2, 0)[0] and np.array_equal(_info(s1, 0)[1], _info(s2, 0)[1])
  assert _info(s1, 1)[0] != _info(s2, 1)[0]


def test_clone_and_pickle_round_trip():
  import pickle
  g = pyspiel.load_game("stratego(variant=barrage,deployment=random,max_moves=50)")
  s = g.new_initial_state()
  rng = np.random.default_rng(2)
  for _ in range(30):
    s.apply_action(int(rng.choice(s.legal_actions())))
  c = s.clone()
  s.apply_action(s.legal_actions()[0])
  assert c.history() != s.history() and len(c.history()) == 30
  again = pickle.loads(pickle.dumps(c))
  assert str(again) == str(c) and again.legal_actions() == c.legal_actions()
  restored = pyspiel.deserialize_game_and_state(pyspiel.serialize_game_and_state(g, c))[1]
  assert str(restored) == str(c)
