"""Stratego notation, setup files and action strings: exact squares, letters and error messages."""

import numpy as np
import pytest

from core.errors import UserError
from games.stratego import _tables as T
from games.stratego import notation
from games.stratego import pieces as P
from games.stratego import setups
from games.stratego.openspiel_game import action_to_string
from games.stratego.openspiel_game import string_to_action

CLASSIC_SETUP = "BDGFDFDDDBHFLJGKDIFGEHEMCEHBDDIBJEIBHEBG"
BARRAGE_SETUP = "AAAAALAAKAAAAAAEAACADAAAAAAAABDAAAAAAAAM"


@pytest.mark.parametrize("name,index", [("a1", 0), ("j1", 9), ("a2", 10), ("e4", 34), ("c5", 42), ("j10", 99)])
def test_square_names(name, index):
  assert notation.parse_square(name) == index
  assert notation.square_name(index) == name


@pytest.mark.parametrize("bad", ["k1", "a0", "a11", "e", "44", ""])
def test_bad_squares_are_rejected(bad):
  with pytest.raises(ValueError):
    notation.parse_square(bad)


def test_setup_squares_front_row_first():
  # Red: letter 0 on a4, 9 on j4, 10 on a3, 39 on j1.
  assert [notation.setup_square(i) for i in (0, 9, 10, 39)] == [30, 39, 20, 9]
  red = setups.parse_setup(CLASSIC_SETUP, P.Variant.CLASSIC)
  board = notation.board_from_setups(red, red)
  text = notation.format_board(board)
  assert text[30:40] == CLASSIC_SETUP[:10]  # a4..j4
  assert text[0:10] == CLASSIC_SETUP[30:40]  # a1..j1
  # Blue sees the board turned: its letter 0 stands on j7, letter 39 on a10; colours shift by 12 letters.
  assert text[69] == chr(ord(CLASSIC_SETUP[0]) + 12)
  assert text[90] == chr(ord(CLASSIC_SETUP[39]) + 12)
  assert text[42:44] == "__" and text[56:58] == "__"


def test_parse_board_round_trip_and_errors():
  text = notation.format_board(notation.board_from_setups(
      setups.parse_setup(CLASSIC_SETUP, P.Variant.CLASSIC), setups.parse_setup(CLASSIC_SETUP, P.Variant.CLASSIC)))
  assert notation.format_board(notation.parse_board(text)) == text
  assert notation.parse_board(text.replace("A", "a"))[45] == P.EMPTY
  with pytest.raises(ValueError, match="100 letters, got 99"):
    notation.parse_board(text[:99])
  with pytest.raises(ValueError, match="bad letter 'Z' at a1"):
    notation.parse_board("Z" + text[1:])
  with pytest.raises(ValueError, match="c5 .* must be a lake"):
    notation.parse_board(text[:42] + "A" + text[43:])
  with pytest.raises(ValueError, match="a5 .* must be not a lake"):
    notation.parse_board(text[:40] + "_" + text[41:])


@pytest.mark.parametrize("variant,text,error", [
    (P.Variant.CLASSIC, CLASSIC_SETUP[:39], "40 letters, got 39"),
    (P.Variant.CLASSIC, "N" + CLASSIC_SETUP[1:], "bad letter 'N' at position 1"),
    (P.Variant.CLASSIC, "L" + CLASSIC_SETUP[1:], "needs 6 bomb"),
    (P.Variant.BARRAGE, CLASSIC_SETUP, "needs 1 bomb"),
    (P.Variant.BARRAGE, "D" + BARRAGE_SETUP[1:], "needs 2 scout"),
])
def test_bad_setups(variant, text, error):
  with pytest.raises(ValueError, match=error):
    setups.parse_setup(text, variant)


def test_load_setups_reads_good_lines_and_names_bad_line(tmp_path):
  good = tmp_path / "good.txt"
  good.write_text(f"# two setups\n{BARRAGE_SETUP}\n\n{BARRAGE_SETUP[::-1]}\n")
  got = setups.load_setups(good, P.Variant.BARRAGE)
  assert got.shape == (2, 40)
  assert got[0, 5] == P.MARSHAL and got[0, 39] == P.FLAG and got[1, 0] == P.FLAG
  bad = tmp_path / "bad.txt"
  bad.write_text(f"{BARRAGE_SETUP}\n# fine\n{BARRAGE_SETUP[:-1]}X\n")
  with pytest.raises(setups.SetupFileError, match=r"bad.txt:3: bad letter 'X' at position 40"):
    setups.load_setups(bad, P.Variant.BARRAGE)
  assert issubclass(setups.SetupFileError, UserError)
  with pytest.raises(setups.SetupFileError, match="cannot read"):
    setups.load_setups(tmp_path / "missing.txt", P.Variant.BARRAGE)
  empty = tmp_path / "empty.txt"
  empty.write_text("# nothing\n")
  with pytest.raises(setups.SetupFileError, match="no barrage setups"):
    setups.load_setups(empty, P.Variant.BARRAGE)


def test_load_setups_can_skip_bad_lines(tmp_path, caplog):
  path = tmp_path / "mixed.txt"
  path.write_text(f"{BARRAGE_SETUP}\n]\n{BARRAGE_SETUP[::-1]}\n")
  got = setups.load_setups(path, P.Variant.BARRAGE, skip_bad_lines=True)
  assert got.shape == (2, 40) and got[1, 0] == P.FLAG
  assert f"skipping {path}:2: a setup has 40 letters, got 1" in caplog.text
  assert "skipped 1 bad line(s), kept 2 setup(s)" in caplog.text
  only_bad = tmp_path / "bad.txt"
  only_bad.write_text("]\n")
  with pytest.raises(setups.SetupFileError, match="no barrage setups"):
    setups.load_setups(only_bad, P.Variant.BARRAGE, skip_bad_lines=True)


def test_game_from_file_skips_a_stray_line(tmp_path):
  import pyspiel
  path = tmp_path / "setups.txt"
  path.write_text(f"{BARRAGE_SETUP}\n]\n")
  game = pyspiel.load_game("stratego", {"variant": "barrage", "deployment": "file",
                                        "setups_file": str(path)})
  state = game.new_initial_state()
  assert state.is_chance_node()
  assert [p for _, p in state.chance_outcomes()] == [1.0]


def test_line_targets_are_a_bijection_onto_row_and_column():
  for s in range(100):
    targets = [T.line_target(s, j) for j in range(18)]
    same_line = {t for t in range(100) if t != s and (t // 10 == s // 10 or t % 10 == s % 10)}
    assert set(targets) == same_line
    assert [T.line_index(s, t) for t in targets] == list(range(18))
  assert T.line_index(0, 11) == -1


@pytest.mark.parametrize("side,text,action", [
    (0, "e4-e5", 40 + 34 * 18 + 9 + 3),   # up one: rank index 4 comes after own 3 -> j = 9 + 4 - 1
    (0, "b2-b7", 40 + 11 * 18 + 9 + 5),   # a scout's long move
    (0, "a1-j1", 40 + 0 * 18 + 8),
    (1, "e7-e6", 40 + (99 - 64) * 18 + 9 + 3),  # Blue's e7-e6 is its own "f4-f5"
    (0, "place a4", 0),
    (1, "place j7", 0),
    (1, "place a10", 39),
])
def test_action_strings(side, text, action):
  assert string_to_action(side, text) == action
  assert action_to_string(side, action) == text
