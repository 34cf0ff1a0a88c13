"""The GTP engine: a table of bad inputs, each with its answer, and a session of good ones."""

import io

import numpy as np
import pytest

from agents import make_agent
from agents.gtp.engine import GtpEngine, clean_line
from games import go


def new_engine(size=9):
  return GtpEngine(lambda n: make_agent("random:0", go.load_game(go.GoConfig(board_size=n))),
                   name="stratago-test", version="9.9", board_size=size, komi=7.5)


# (commands sent first, the bad input, the exact answer)
BAD_INPUTS = [
    ([], "", None),
    ([], "   \t ", None),
    ([], "# only a comment", None),
    ([], "\x01\x02\x7f", None),
    ([], "foo", "? unknown command\n\n"),
    ([], "42 foo", "?42 unknown command\n\n"),
    ([], "42", "?42 missing command\n\n"),
    ([], "42foo", "? unknown command\n\n"),
    ([], "boardsize", "? syntax error\n\n"),
    ([], "boardsize nine", "? syntax error\n\n"),
    ([], "boardsize -9", "? syntax error\n\n"),
    ([], "boardsize 25", "? unacceptable size\n\n"),
    ([], "boardsize 1", "? unacceptable size\n\n"),
    ([], "7 boardsize 0", "?7 unacceptable size\n\n"),
    ([], "boardsize " + "9" * 100_000, "? unacceptable size\n\n"),   # once "internal error" (int() refuses it)
    ([], "boardsize \u00b2", "? syntax error\n\n"),                  # a digit to isdigit(), not to int()
    ([], "loadsgf x.sgf " + "9" * 5000, "? syntax error\n\n"),
    ([], "komi", "? syntax error\n\n"),
    ([], "komi seven", "? syntax error\n\n"),
    ([], "komi nan", "? syntax error\n\n"),
    ([], "komi 1e9", "? syntax error\n\n"),
    ([], "play", "? syntax error\n\n"),
    ([], "play b", "? syntax error\n\n"),
    ([], "play b d4 d5", "? syntax error\n\n"),
    ([], "play x d4", "? invalid color\n\n"),
    ([], "play b z9", "? invalid coordinate\n\n"),
    ([], "play b d10", "? invalid coordinate\n\n"),
    ([], "play b i5", "? invalid coordinate\n\n"),
    ([], "play b d0", "? invalid coordinate\n\n"),
    (["play b d4"], "play w d4", "? illegal move\n\n"),
    (["play b b1", "play w j9", "play b a2"], "play w a1", "? illegal move\n\n"),  # Suicide.
    (["play b pass"], "play b d4", "? illegal move (out of turn right after a pass: "
                                   "OpenSpiel would end the game)\n\n"),
    (["play b pass", "play w pass"], "play b d4", "? illegal move (the game is over)\n\n"),
    ([], "genmove", "? syntax error\n\n"),
    ([], "genmove purple", "? invalid color\n\n"),
    ([], "undo", "? cannot undo\n\n"),
    (["play b d4", "undo"], "undo", "? cannot undo\n\n"),
    ([], "known_command", "? syntax error\n\n"),
    ([], "time_settings 1 2", "? syntax error\n\n"),
    ([], "time_settings a b c", "? syntax error\n\n"),
    ([], "time_left b x 0", "? syntax error\n\n"),
    ([], "time_left z 10 0", "? invalid color\n\n"),
    ([], "final_status_list", "? syntax error\n\n"),
    ([], "fixed_handicap", "? syntax error\n\n"),
    ([], "fixed_handicap x", "? syntax error\n\n"),
    ([], "fixed_handicap 1", "? invalid number of stones\n\n"),
    ([], "fixed_handicap 10", "? invalid number of stones\n\n"),
    (["play b e5"], "fixed_handicap 2", "? board not empty\n\n"),
    ([], "set_free_handicap a1", "? bad vertex list\n\n"),
    ([], "set_free_handicap a1 a1", "? bad vertex list\n\n"),
    ([], "set_free_handicap a1 pass", "? bad vertex list\n\n"),
    ([], "set_free_handicap a1 z9", "? invalid coordinate\n\n"),
    ([], "final_status_list bogus", "? syntax error\n\n"),
]


@pytest.mark.parametrize("before,line,answer", BAD_INPUTS)
def test_bad_input_gets_an_error_answer_and_the_engine_keeps_going(before, line, answer):
  engine = new_engine()
  for command in before:
    assert engine.handle(command).startswith("="), command
  assert engine.handle(line) == answer
  assert engine.handle("name") == "= stratago-test\n\n"
  assert engine.handle("clear_board") == "=\n\n"
  assert engine.handle("play b e5") == "=\n\n"


def test_ko_recapture_is_refused_over_gtp():
  engine = new_engine(5)
  for command in ["play b b1", "play w c1", "play b a2", "play w b2", "play b b3", "play w c3",
                  "play b e5", "play w d2", "play b c2"]:  # Black C2 takes White B2.
    assert engine.handle(command) == "=\n\n", command
  assert engine.handle("play w b2") == "? illegal move\n\n"
  assert engine.handle("play w e4") == "=\n\n"
  assert engine.handle("play b a5") == "=\n\n"
  assert engine.handle("play w b2") == "=\n\n"


def test_a_session_of_good_commands():
  engine = new_engine()
  assert engine.handle("1 protocol_version") == "=1 2\n\n"
  assert engine.handle("version") == "= 9.9\n\n"
  assert engine.handle("known_command genmove") == "= true\n\n"
  assert engine.handle("known_command fly") == "= false\n\n"
  commands = engine.handle("list_commands")[2:].split()
  for required in ["protocol_version", "name", "version", "known_command", "list_commands", "quit",
                   "boardsize", "clear_board", "komi", "play", "genmove", "undo", "showboard",
                   "final_score", "time_settings", "time_left"]:
    assert required in commands
  assert engine.handle("boardsize 5") == "=\n\n"
  assert engine.handle("komi 0.5") == "=\n\n"
  assert engine.handle("time_settings 300 30 5") == "=\n\n"
  assert engine.handle("time_left w 280 0") == "=\n\n"
  assert engine.handle("PLAY B C3\t# tab and comment") == "=\n\n"
  # Two White moves in a row: a Black pass goes in between.
  assert engine.handle("play w a1") == "=\n\n"
  assert engine.handle("play w a2") == "=\n\n"
  # The 22 empty points form one region touching both colours: area 1 - 2 - komi 0.5.
  assert engine.handle("final_score") == "= W+1.5\n\n"
  assert engine.handle("undo") == "=\n\n"  # Takes back W a2 and the pass before it.
  assert go.board_of(engine.state).sum() == 0  # C3 (+1) and A1 (-1).
  assert engine.state.current_player() == go.BLACK
  vertex = engine.handle("genmove b")[2:].strip()
  assert go.gtp_to_action(vertex, 5) in range(25)
  board = engine.handle("showboard")
  assert board.startswith("=\n") and "A B C D E" in board
  assert engine.handle("final_status_list dead") == "=\n\n"
  assert engine.handle("clear_board") == "=\n\n"
  assert go.board_of(engine.state).sum() == 0 and engine.state.history() == []
  assert engine.handle("quit") == "=\n\n" and engine.quit_requested


def test_serve_reads_until_quit():
  engine = new_engine()
  out = io.StringIO()
  engine.serve(io.StringIO("name\n\n# hi\nbogus\nquit\nname\n"), out)
  assert out.getvalue() == "= stratago-test\n\n? unknown command\n\n=\n\n"


def test_clean_line_follows_the_spec():
  assert clean_line("  play\tb d4 # move\r\n") == "play b d4"
  assert clean_line("na\x00me") == "name"


def test_handicap_stones_leave_white_to_move_and_count_in_the_score():
  engine = new_engine()
  assert engine.handle("fixed_handicap 4") == "= C3 G7 C7 G3\n\n"
  assert engine.state.current_player() == go.WHITE
  assert engine.handle("undo") == "? cannot undo\n\n"
  # Black's 4 stones own all 81 points; White gets komi 7.5 and 4 handicap points.
  assert engine.handle("final_score") == "= B+69.5\n\n"
  assert engine.handle("genmove w")[:2] == "= "
  assert engine.handle("undo") == "=\n\n"
  assert engine.handle("clear_board") == "=\n\n"
  assert engine.handle("set_free_handicap a1 j9 e5") == "=\n\n"
  assert sorted(np.flatnonzero(go.board_of(engine.state))) == [0, 40, 80]
  assert engine.handle("final_score") == "= B+70.5\n\n"


def test_loadsgf_sets_size_komi_and_the_position_before_a_move(tmp_path):
  from games import sgf
  record = sgf.GoRecord(board_size=7, komi=0.5, moves=((0, 24), (1, 25), (0, 17), (1, 49)))
  path = sgf.write_sgf(record, tmp_path / "g.sgf")
  (tmp_path / "bad.sgf").write_bytes(b"garbage")
  engine = new_engine()
  assert engine.handle(f"loadsgf {path} 3") == "= black\n\n"  # Before move 3: two moves played.
  assert engine.state.history() == [24, 25]
  assert engine.handle(f"loadsgf {path}") == "= black\n\n"
  assert engine.state.history() == [24, 25, 17, 49]
  # B D4, W E4, B D3, W pass: one region touching both colours, area 2 - 1 - komi 0.5.
  assert engine.handle("final_score") == "= B+0.5\n\n"
  assert engine.handle(f"loadsgf {tmp_path / 'bad.sgf'}") == "? cannot load file\n\n"
  assert engine.handle(f"loadsgf {tmp_path / 'none.sgf'}") == "? cannot load file\n\n"
  assert engine.handle(f"loadsgf {path} 0") == "? syntax error\n\n"
  assert engine.handle("loadsgf") == "? syntax error\n\n"
  assert engine.state.history() == [24, 25, 17, 49]  # Failures leave the board alone.


def test_random_command_soup_never_breaks_the_engine():
  rng = np.random.default_rng(0)
  words = ["play", "genmove", "undo", "boardsize", "komi", "clear_board", "final_score", "b", "w",
           "white", "pass", "a1", "e5", "j9", "t19", "z0", "5", "9", "19", "0", "-3", "7.5", "x",
           "fixed_handicap", "set_free_handicap", "showboard", "time_left", "loadsgf", "#", "\t"]
  answered = 0
  engine = new_engine()
  for _ in range(1500):
    line = " ".join(rng.choice(words, size=rng.integers(0, 4)))
    answer = engine.handle(line)
    assert answer is None or (answer[0] in "=?" and answer.endswith("\n\n")), (line, answer)
    assert answer is None or "internal error" not in answer, (line, answer)
    answered += answer is not None
  assert answered > 1000
  assert engine.handle("name") == "= stratago-test\n\n"
