"""SGF: platform records round-trip; malformed files get errors naming file and fault."""

import logging
import pathlib

import pytest

from agents.go_baselines import HeuristicGoAgent, RandomGoAgent
from games import go, sgf

RECORD = sgf.GoRecord(
    board_size=9, komi=6.5, handicap=2, setup_black=(20, 60), first_player=go.WHITE,
    moves=((1, 40), (0, 41), (1, 81), (0, 30), (1, 81), (0, 81)),
    result="B+12.5", black_name="stratago-heuristic", white_name="gnugo", rules="Chinese",
    date="2026-11-26")


def test_round_trip_keeps_setup_moves_passes_and_result(tmp_path: pathlib.Path):
  path = sgf.write_sgf(RECORD, tmp_path / "a" / "game.sgf")
  assert sgf.read_sgf(path) == RECORD
  text = path.read_text()
  assert "AB[cg][gc]" in text  # C3 and G7.
  assert "HA[2]" in text and "KM[6.5]" in text and "RE[B+12.5]" in text
  assert not list(tmp_path.rglob("*.tmp"))
  _, state = sgf.replay(RECORD)
  assert state.is_terminal()
  assert sgf.count_actions(RECORD) == len(state.history()) == 3 + 6


def test_a_played_game_round_trips_with_its_result(tmp_path: pathlib.Path):
  game = go.load_game(go.GoConfig(board_size=7, komi=4.5, max_game_length=300))
  state = game.new_initial_state()
  agents = [HeuristicGoAgent(0), RandomGoAgent(1)]
  while not state.is_terminal():
    state.apply_action(agents[state.current_player()].step(state))
  moves = tuple((i % 2, a) for i, a in enumerate(state.history()))
  result = go.score_string(go.area_score(go.board_of(state), 4.5))
  record = sgf.GoRecord(board_size=7, komi=4.5, moves=moves, result=result)
  loaded = sgf.read_sgf(sgf.write_sgf(record, tmp_path / "played.sgf"))
  assert loaded.moves == moves and loaded.result == result
  assert loaded.winner == (go.BLACK if state.returns()[0] > 0 else go.WHITE)
  _, replayed = sgf.replay(loaded)
  assert (go.board_of(replayed) == go.board_of(state)).all()


@pytest.mark.parametrize("data,fault", [
    (b"garbage", "not a readable SGF file"),
    (b"(;GM[2]SZ[9])", r"not a Go record \(GM\[2\]\)"),
    (b"(;SZ[25])", "board size 25 is not supported"),
    (b"(;SZ[9]AE[aa])", r"empty setup points \(AE\)"),
    (b"(;SZ[9];B[aa];B[bb])", "move 2: B moves out of turn"),
    (b"(;SZ[9];B[aa];W[aa])", "move 2: W A9 is illegal under OpenSpiel's rules"),
    (b"(;SZ[9];B[aa];AB[cc])", "node 2: setup stones after the root"),
    (b"(;SZ[9]KM[lots])", "bad property value"),
    (b"(;SZ[9];B[zz])", "bad property value"),
    (b"(;SZ[9];B[];W[];B[cc])", "move 3: the game already ended"),
])
def test_malformed_or_unsupported_files_name_file_and_fault(tmp_path, data, fault):
  path = tmp_path / "bad.sgf"
  path.write_bytes(data)
  with pytest.raises(sgf.SgfError, match=f"^{path}: .*{fault}"):
    sgf.read_sgf(path)


def test_missing_file_is_named():
  with pytest.raises(sgf.SgfError, match="^/no/such.sgf: cannot read"):
    sgf.read_sgf("/no/such.sgf")


def test_batch_skips_bad_files_with_a_warning_and_counts_them(tmp_path, caplog):
  sgf.write_sgf(RECORD, tmp_path / "1.sgf")
  (tmp_path / "2.sgf").write_bytes(b"garbage")
  (tmp_path / "sub").mkdir()
  sgf.write_sgf(RECORD, tmp_path / "sub" / "3.SGF")
  (tmp_path / "4.sgf").write_bytes(b"(;SZ[9];B[aa];B[bb])")
  (tmp_path / "notes.txt").write_text("not a record")
  paths = sgf.sgf_files(tmp_path)
  assert [p.name for p in paths] == ["1.sgf", "2.sgf", "4.sgf", "3.SGF"]
  report = sgf.LoadReport()
  with caplog.at_level(logging.WARNING):
    loaded = list(sgf.iter_records(paths, report))
  assert [p.name for p, _ in loaded] == ["1.sgf", "3.SGF"]
  assert (report.loaded, report.skipped) == (2, 2)
  assert sum("skipping" in r.message for r in caplog.records) == 2
