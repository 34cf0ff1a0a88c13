"""Every Stratego rule, checked on positions written in the board notation, through the OpenSpiel game."""

import numpy as np
import pytest

import games  # noqa: F401  (registers stratego)
from games.stratego.testing import board
from games.stratego.testing import game
from games.stratego.testing import legal_strings
from games.stratego.testing import moves_from
from games.stratego.testing import play

FLAGS = {"j1": "M", "j10": "Y"}


def rank_row(view: str, rank: int) -> str:
  """The letters of one rank in a player's view (header, viewer line, then ranks 10 down to 1)."""
  return view.splitlines()[2 + 10 - rank].split()[1]


def start(pieces, **params):
  return game(board({**FLAGS, **pieces}), **params).new_initial_state()


def test_scout_lines_stop_at_pieces_lakes_and_edges():
  # Scout a2: own sergeant a6 blocks the file, blue bomb d2 ends the rank (attackable), board edge below.
  s = start({"a2": "D", "a6": "F", "d2": "N"})
  assert moves_from(s, "a2") == {"a2-a1", "a2-a3", "a2-a4", "a2-a5", "a2-b2", "a2-c2", "a2-d2"}
  # Scout b5 beside lake c5: nothing to the right; up the b-file to the blue piece on b9.
  s = start({"b5": "D", "b9": "R"})
  assert moves_from(s, "b5") == {"b5-a5", "b5-b6", "b5-b7", "b5-b8", "b5-b9",
                                 "b5-b4", "b5-b3", "b5-b2", "b5-b1"}
  # Scout e5 between the lakes: along rank 5 only e5-f5, then the g5 lake.
  s = start({"e5": "D", "e8": "F"})
  assert {m for m in moves_from(s, "e5") if m.endswith("5")} == {"e5-f5"}
  assert "e5-e8" not in moves_from(s, "e5") and "e5-e7" in moves_from(s, "e5")


def test_other_pieces_move_one_square_never_onto_own_or_lake():
  s = start({"e4": "L", "e5": "J", "b4": "K", "c4": "F"})
  assert moves_from(s, "e4") == {"e4-d4", "e4-f4", "e4-e3"}
  assert moves_from(s, "c4") == {"c4-d4", "c4-c3"}  # b4 own, c5 lake
  assert moves_from(s, "e5") == {"e5-f5", "e5-e6"}  # d5 lake, e4 own


def test_bombs_and_flag_never_move():
  s = start({"e4": "B", "f4": "L"})
  assert moves_from(s, "e4") == set() and moves_from(s, "j1") == set()
  assert moves_from(s, "f4")


@pytest.mark.parametrize("attacker,defender,stays,why", [
    ("C", "X", "C", "spy attacking the marshal wins"),
    ("L", "O", "L", "marshal attacking the spy wins"),
    ("C", "P", "P", "spy attacking anything else loses"),
    ("E", "N", "E", "miner defuses a bomb"),
    ("F", "N", "N", "any other piece attacking a bomb is removed"),
    ("K", "V", "K", "higher rank wins (general v colonel)"),
    ("G", "U", "U", "lower rank loses (lieutenant v major)"),
    ("H", "T", "A", "equal ranks both leave the board"),
    ("D", "P", "A", "scout v scout, both removed"),
])
def test_attacks(attacker, defender, stays, why):
  s = start({"e4": attacker, "e5": defender, "a9": "R"})
  play(s, "e4-e5")
  full = s.board_string()
  assert full[34] == "A", why
  assert full[44] == stays, why
  assert not s.is_terminal()
  if stays != "A":  # the survivor is revealed to both
    assert rank_row(s.observation_string(0), 5)[4] == stays
    assert rank_row(s.observation_string(1), 5)[4] == stays


def test_marshal_attacking_spy_from_blue_side_and_spy_only_wins_when_attacking():
  s = start({"e4": "C", "e5": "X", "a1": "D"})
  play(s, "a1-a2", "e5-e4")  # Blue marshal attacks the red spy: marshal wins.
  assert s.board_string()[34] == "X" and s.board_string()[44] == "A"


def test_scout_long_attack_and_reveal():
  s = start({"b2": "D", "b7": "S", "a9": "R"})
  play(s, "b2-b7")  # scout attacks a lieutenant 5 squares away and loses
  assert s.board_string()[11] == "A" and s.board_string()[61] == "S"
  s = start({"b2": "D", "a9": "R"})
  play(s, "b2-b6")  # a long move shows it is a scout
  assert rank_row(s.observation_string(1), 6) == "AD__AA__AA"
  s = start({"b2": "D", "a9": "R"})
  play(s, "b2-b3")
  assert rank_row(s.observation_string(1), 3) == "A?AAAAAAAA"


def test_capturing_the_flag_wins():
  s = start({"j9": "D"})
  play(s, "j9-j10")
  assert s.is_terminal() and s.returns() == [1.0, -1.0]


def test_no_legal_move_loses_and_neither_side_moving_draws():
  # Red has only a bomb and its flag: it cannot move on its first turn.
  s = start({"e4": "B", "e7": "X"})
  assert s.is_terminal() and s.returns() == [-1.0, 1.0]
  s = start({"e4": "B", "e7": "N"})
  assert s.is_terminal() and s.returns() == [0.0, 0.0]
  # Red takes Blue's last movable piece: Blue is left without a move and loses.
  s = start({"e4": "L", "e5": "R", "a7": "N"})
  play(s, "e4-e5")
  assert s.is_terminal() and s.returns() == [1.0, -1.0]
  # A piece boxed in by own bombs and lakes has no move either.
  s = start({"a1": "F", "a2": "B", "b1": "B", "e7": "X"})
  assert s.is_terminal() and s.returns() == [-1.0, 1.0]


@pytest.mark.parametrize("rule_on", [True, False])
def test_two_square_rule(rule_on):
  s = start({"e1": "L", "a10": "R"}, two_square_rule=rule_on)
  play(s, "e1-e2", "a10-a9", "e2-e1", "a9-a10", "e1-e2", "a10-a9")
  assert ("e2-e1" in legal_strings(s)) == (not rule_on)  # a 4th move between e1 and e2
  assert "e2-e3" in legal_strings(s) and "e2-d2" in legal_strings(s)
  play(s, "e2-e3")
  assert ("a9-a10" in legal_strings(s)) == (not rule_on)  # Blue is at its 4th move too


def test_two_square_rule_counts_a_scouts_span():
  s = start({"a1": "D", "j9": "R"})
  play(s, "a1-a5", "j9-j8", "a5-a1", "j8-j9", "a1-a3", "j9-j8")
  assert moves_from(s, "a3") == {"a3-b3", "a3-c3", "a3-d3", "a3-e3", "a3-f3", "a3-g3", "a3-h3", "a3-i3",
                                 "a3-j3", "a3-a6", "a3-a7", "a3-a8", "a3-a9", "a3-a10"}


@pytest.mark.parametrize("rule_on", [True, False])
def test_more_squares_rule_stops_an_endless_chase(rule_on):
  s = start({"d9": "L", "b9": "R"}, more_squares_rule=rule_on)
  # The marshal chases the sergeant: b9/b8 back and forth, the marshal following on c9/c8.
  play(s, "d9-c9", "b9-b8", "c9-c8", "b8-b9", "c8-c9", "b9-b8")
  # c9-c8 would bring back the position the marshal's own chasing move c9-c8 made before.
  assert ("c9-c8" in legal_strings(s)) == (not rule_on)
  assert "c9-b9" in legal_strings(s)  # a chasing move to a new position is fine
  assert "c9-d9" in legal_strings(s)  # giving up the chase is fine


def forbidden(s) -> dict[str, str]:
  """The moves a repetition rule forbids the player to act in `s`: move -> which rule."""
  from games.stratego import engine
  names = {engine.FORBIDDEN_TWO_SQUARES: "two-squares", engine.FORBIDDEN_MORE_SQUARES: "more-squares"}
  codes = np.asarray(engine.repetition_forbidden(s.config, s.engine_state)).reshape(-1)
  return {s.action_to_string(engine.NUM_ACTIONS - codes.size + int(i)): names[int(codes[i])]
          for i in np.flatnonzero(codes)}


REPEATS = {  # a position, the moves that lead to a repeat, the move then forbidden, and by which rules
    # Red's marshal shuttles e1-e2 three times: a 4th move between the two squares.
    "shuttle": ({"e1": "L", "a10": "R"}, ["e1-e2", "a10-a9", "e2-e1", "a9-a10", "e1-e2", "a10-a9"], "e2-e1",
                {"two"}),
    # The marshal chases the sergeant from d9: c9-c8 would bring back its own chasing move's position.
    "chase": ({"d9": "L", "b9": "R"}, ["d9-c9", "b9-b8", "c9-c8", "b8-b9", "c8-c9", "b9-b8"], "c9-c8", {"more"}),
    # The chase from c9 with the marshal's own moves a shuttle: both rules forbid c8-c9.
    "both": ({"c9": "L", "b8": "R"}, ["c9-c8", "b8-b9", "c8-c9", "b9-b8", "c9-c8", "b8-b9"], "c8-c9",
             {"two", "more"}),
}


@pytest.mark.parametrize("case", sorted(REPEATS))
@pytest.mark.parametrize("two, more", [(True, True), (True, False), (False, True), (False, False)])
def test_repetition_forbidden_names_the_rule_behind_a_missing_move(case, two, more):
  pieces, moves, move, rules = REPEATS[case]
  s = start(pieces, two_square_rule=two, more_squares_rule=more)
  assert forbidden(s) == {}
  play(s, *moves)
  # The two-squares rule is named where both forbid the move.
  rule = "two-squares" if two and "two" in rules else "more-squares" if more and "more" in rules else None
  assert forbidden(s) == ({move: rule} if rule else {})
  assert (move in legal_strings(s)) == (rule is None)


def test_repetition_forbidden_spans_a_scouts_line_for_the_player_to_act():
  s = start({"a1": "D", "j9": "R"})
  play(s, "a1-a5", "j9-j8", "a5-a1", "j8-j9", "a1-a3")
  assert forbidden(s) == {}  # Blue's sergeant has made only two moves
  play(s, "j9-j8")
  assert forbidden(s) == {f"a3-{sq}": "two-squares" for sq in ("a1", "a2", "a4", "a5")}
  assert set(forbidden(s)).isdisjoint(legal_strings(s))
  play(s, "a3-b3")  # Blue's sergeant has shuttled three times too
  assert forbidden(s) == {"j8-j9": "two-squares"}


def test_a_chase_ends_when_the_chased_piece_stops_fleeing():
  s = start({"d9": "L", "b9": "R", "a2": "S"})
  play(s, "d9-c9", "b9-b8", "c9-c8", "b8-b9", "c8-c9", "a2-a3")  # Blue moves another piece
  play(s, "c9-c8")  # not a chase any more (the sergeant did not move): allowed


def test_draw_after_max_moves():
  s = start({"e4": "L", "e7": "X"}, max_moves=4)
  play(s, "e4-e3", "e7-e8", "e3-e4")
  assert not s.is_terminal()
  play(s, "e8-e7")
  assert s.is_terminal() and s.returns() == [0.0, 0.0]


def test_draw_after_max_moves_since_attack_and_attacks_reset_it():
  s = start({"e4": "L", "e7": "X", "a4": "F", "a5": "R"}, max_moves_since_attack=3)
  play(s, "e4-e3", "e7-e8")
  play(s, "a4-a5")  # attack: the count starts again
  play(s, "e8-e7", "e3-e4")
  assert not s.is_terminal()
  play(s, "e7-e8")
  assert s.is_terminal() and s.returns() == [0.0, 0.0]
