"""Go through OpenSpiel: coordinates, the rule choices we document, area scoring by hand."""

import numpy as np
import pytest

from games import go
from go_testing import board, state_from_board


@pytest.mark.parametrize("vertex,size,action", [
    ("A1", 9, 0), ("a1", 9, 0), ("J1", 9, 8), ("A2", 9, 9), ("J9", 9, 80), ("H8", 9, 70),
    ("pass", 9, 81), ("PASS", 19, 361), ("T19", 19, 360), ("K10", 19, 9 * 19 + 9),
])
def test_gtp_vertices_map_to_openspiel_actions(vertex, size, action):
  assert go.gtp_to_action(vertex, size) == action
  assert go.action_to_gtp(action, size).lower() == vertex.lower()
  game = go.load_game(go.GoConfig(board_size=size))
  # OpenSpiel names the same point (lower case, 'PASS').
  assert game.new_initial_state().action_to_string(0, action).split()[1].lower() == vertex.lower()


@pytest.mark.parametrize("vertex", ["I5", "Z1", "A0", "A10", "K1", "", "pass1", "11", "AA"])
def test_bad_vertices_are_refused_on_9x9(vertex):
  with pytest.raises(ValueError):
    go.gtp_to_action(vertex, 9)


def test_pass_is_action_n_squared_and_two_passes_end_the_game():
  game = go.load_game(go.GoConfig(board_size=9))
  assert game.num_distinct_actions() == 82
  state = game.new_initial_state()
  assert state.action_to_string(0, 81) == "B PASS"
  state.apply_action(81)
  assert not state.is_terminal()
  state.apply_action(81)
  assert state.is_terminal()
  assert state.returns() == [-1.0, 1.0]  # Empty board: White wins by komi 7.5.


def test_suicide_is_illegal():
  # White to move at A1, whose neighbours are both Black.
  state = state_from_board(board(
      ". . .",
      "X . .",
      ". X ."), to_play=go.WHITE)
  assert 0 not in state.legal_actions()
  assert 2 in state.legal_actions()


def test_simple_ko_is_forbidden_then_legal_after_a_move_elsewhere():
  b = board(
      ". . . . .",
      ". . . . .",
      ". X O . .",
      "X O . O .",
      ". X O . .")
  state = state_from_board(b, to_play=go.BLACK)
  state.apply_action(7)  # Black C2 takes White B2.
  after = go.board_of(state)
  assert after[1, 1] == go.EMPTY_CELL and after[1, 2] == go.BLACK_CELL
  assert 6 not in state.legal_actions()  # White may not retake B2 at once.
  state.apply_action(24)  # White E5 elsewhere.
  state.apply_action(20)  # Black A5.
  assert 6 in state.legal_actions()


def test_a_repeated_position_ends_the_game_as_a_draw():
  # 2x2: B a2, W a1, B b1 (takes a1), W pass, B b2, W a1 (takes all three), B a2 repeats move 2.
  game = go.load_game(go.GoConfig(board_size=2, komi=0.5))
  state = game.new_initial_state()
  for action in [2, 0, 1, 4, 3, 0]:
    state.apply_action(action)
    assert not state.is_terminal()
  state.apply_action(2)
  assert state.is_terminal()
  assert state.returns() == [0.0, 0.0]


def test_area_score_by_hand():
  b = board(
      ". X O . .",
      "X X O . .",
      ". X O . .",
      "X X O O O",
      ". X . O .")
  # Black: 7 stones + A5, A3, A1 = 10. White: 7 stones + the 6 points right of the
  # C column in the top three ranks + E1 = 14. C1 touches both colours: nobody's.
  assert go.area(b) == (10, 14)
  assert go.area_score(b, komi=0.5) == -4.5
  assert go.score_string(go.area_score(b, komi=0.5)) == "W+4.5"
  assert go.area_score(b, komi=0.5, handicap=2) == -6.5  # OpenSpiel's handicap points.
  # Taking White's D1 off joins C1, D1 and E1 into one region touching both colours.
  cleared = go.remove_stones(b, [(0, 3)])
  assert go.area(cleared) == (10, 6 + 6)


@pytest.mark.parametrize("seed", range(6))
def test_area_score_agrees_with_openspiel_returns(seed):
  rng = np.random.default_rng(seed)
  game = go.load_game(go.GoConfig(board_size=5, komi=2.5, max_game_length=40 + 5 * seed))
  state = game.new_initial_state()
  while not state.is_terminal():
    state.apply_action(int(rng.choice(state.legal_actions())))
  history = state.history()
  superko = history[-1] != 25 and len(history) < game.max_game_length()
  score = go.area_score(go.board_of(state), komi=2.5)
  expected = 0.0 if superko else (1.0 if score > 0 else -1.0)
  assert state.returns()[0] == expected


def test_setup_stones_alternate_with_passes_and_leave_the_right_side_to_move():
  assert go.setup_actions(9, [10, 20], []) == [10, 81, 20]  # Handicap: White next.
  assert go.setup_actions(9, [10], [30, 40]) == [10, 30, 81, 40]  # Black next.
  assert go.setup_actions(9, [10], [30], to_play=go.WHITE) == [10, 30, 81]
  assert go.setup_actions(9, [], [], to_play=go.WHITE) == [81]
  game = go.load_game(go.GoConfig(board_size=9))
  state = go.initial_state(game, [10, 20], [])
  assert state.current_player() == go.WHITE
  assert sorted(np.flatnonzero(go.board_of(state) == go.BLACK_CELL)) == [10, 20]
  with pytest.raises(ValueError, match="cannot be placed"):
    go.initial_state(game, [10, 10], [])


def test_side_to_move_planes_and_eyes():
  b = board(
      ". X .",
      "X . X",
      ". X O")
  planes = go.side_to_move_planes(b, go.WHITE)
  assert planes.shape == (2, 3, 3)
  assert planes[0].sum() == 1 and planes[0][0, 2] == 1  # White's C1 stone.
  assert planes[1].sum() == 4
  assert go.is_eye(b, 1, 1, go.BLACK_CELL)  # Centre: one enemy diagonal allowed.
  assert go.is_eye(b, 2, 0, go.BLACK_CELL)  # A3 corner: no enemy diagonal.
  assert not go.is_eye(b, 1, 1, go.WHITE_CELL)


@pytest.mark.parametrize("size,stones,vertices", [
    (9, 2, "C3 G7"), (9, 5, "C3 G7 C7 G3 E5"), (7, 4, "C3 E5 C5 E3"),
    (19, 6, "D4 Q16 D16 Q4 D10 Q10"), (19, 9, "D4 Q16 D16 Q4 D10 Q10 K4 K16 K10"),
    (13, 3, "D4 K10 D10"),
])
def test_fixed_handicap_follows_the_gtp_spec(size, stones, vertices):
  assert [go.action_to_gtp(a, size) for a in go.fixed_handicap(size, stones)] == vertices.split()


@pytest.mark.parametrize("size,stones", [(9, 1), (9, 10), (7, 5), (8, 5), (6, 2)])
def test_fixed_handicap_refuses_what_the_spec_does_not_define(size, stones):
  with pytest.raises(ValueError, match="no fixed handicap"):
    go.fixed_handicap(size, stones)


@pytest.mark.parametrize("cfg", [go.GoConfig(board_size=5, komi=2.5), go.GoConfig(board_size=9),
                                 go.GoConfig(board_size=13, max_game_length=60)])
def test_openspiel_conformance_clone_serialize_and_pickle(cfg):
  import pickle
  import pyspiel
  game = go.load_game(cfg)
  pyspiel.random_sim_test(game, num_sims=2, serialize=True, verbose=False)
  state = go.initial_state(game, [0, 6], [12])
  for copy in (state.clone(), game.deserialize_state(state.serialize()), pickle.loads(pickle.dumps(state))):
    assert copy.history() == state.history()
    assert np.array_equal(go.board_of(copy), go.board_of(state))
  assert str(pickle.loads(pickle.dumps(game))) == cfg.game_string


@pytest.mark.parametrize("kwargs,message", [
    (dict(board_size=1), "board_size"), (dict(board_size=20), "board_size"),
    (dict(handicap=-1), "handicap"), (dict(max_game_length=-5), "max_game_length"),
    (dict(board_size=19, handicap=1), "0 or 2..9"), (dict(board_size=9, handicap=2), "19x19 only"),
])
def test_go_config_validates(kwargs, message):
  with pytest.raises(ValueError, match=message):
    go.GoConfig(**kwargs)


@pytest.mark.parametrize("stones", range(2, 10))
def test_openspiel_handicap_is_the_gtp_fixed_placement_with_white_to_move(stones):
  komi = 361 - stones + 0.5  # Black's 361 points beat komi alone, not komi plus handicap.
  game = go.load_game(go.GoConfig(board_size=19, komi=komi, handicap=stones))
  state = go.initial_state(game)
  assert state.current_player() == go.WHITE and state.history() == []
  board = go.board_of(state)
  assert sorted(np.flatnonzero(board == go.BLACK_CELL)) == sorted(go.fixed_handicap(19, stones))
  state.apply_action(361)
  state.apply_action(361)
  assert go.area_score(go.board_of(state), komi) == stones - 0.5
  assert go.area_score(go.board_of(state), komi, stones) == -0.5
  assert state.returns() == [-1.0, 1.0]  # OpenSpiel gives White the handicap points.
  with pytest.raises(ValueError, match="without OpenSpiel's handicap"):
    go.initial_state(game, [0])
