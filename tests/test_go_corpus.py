"""End to end: `stratago data gnugo` then `stratago data positions`; positions replay to the moves."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from games import go, sgf
from go_testing import gnugo_or_skip
from retrieval import dataset

pytestmark = pytest.mark.gnugo


def stratago(*args: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                        timeout=300)


def test_gnugo_corpus_to_dataset_end_to_end(tmp_path: pathlib.Path):
  gnugo_or_skip()
  games, data = tmp_path / "games", tmp_path / "data"
  run = stratago("data", "gnugo", "--games", "20", "--size", "9", "--level", "0", "--workers", "2",
                 "--out", str(games))
  assert run.returncode == 0, run.stderr
  assert "gnugo: 20 game(s) played" in run.stdout and "0 failed" in run.stdout
  assert "100%" in run.stderr  # The tqdm bar.
  files = sorted(games.glob("*.sgf"))
  assert [f.name for f in files] == [f"game-{i:06d}.sgf" for i in range(20)]
  records = [sgf.read_sgf(f) for f in files]
  assert len({r.moves for r in records}) == 20  # Seeds make every game different.
  for record in records:
    assert record.board_size == 9 and record.komi == 7.5 and record.rules == "Chinese"
    assert record.moves[-2:] == ((record.moves[-2][0], 81), (record.moves[-1][0], 81))
    assert record.winner in (go.BLACK, go.WHITE)

  again = stratago("data", "gnugo", "--games", "20", "--size", "9", "--out", str(games))
  assert again.returncode == 0 and "0 game(s) played" in again.stdout and "20 already there" in again.stdout

  run = stratago("data", "positions", str(games), "--out", str(data), "--shard-size", "300")
  assert run.returncode == 0, run.stderr
  total = sum(len(r.moves) for r in records)
  assert f"positions: {total} positions from 20 game(s) (9x9)" in run.stdout

  ds = dataset.PositionDataset(data)
  assert len(ds) == total and ds.board_size == 9
  assert len(ds.meta["shards"]) == -(-total // 300)
  # Every position replays: its planes are the OpenSpiel board before the recorded move,
  # and the move it stores is that record's move, legal there.
  index = 0
  for g, name in enumerate(ds.games):
    record = sgf.read_sgf(games / name)
    state = go.load_game(record.config).new_initial_state()
    for number, (colour, action) in enumerate(record.moves, start=1):
      item = ds[index]
      assert (item["game"], item["move_number"], item["move"], item["to_play"]) == (g, number, action, colour)
      assert np.array_equal(item["planes"], go.side_to_move_planes(go.board_of(state), colour))
      assert item["value"] == (1 if record.winner == colour else -1)
      assert action in state.legal_actions()
      state.apply_action(action)
      index += 1
  assert index == len(ds)


def test_data_commands_report_user_errors_in_one_line(tmp_path):
  run = stratago("data", "positions", str(tmp_path / "none"), "--out", str(tmp_path / "d"))
  assert run.returncode == 2
  assert run.stderr.strip().splitlines() == [f"stratago data: error: {tmp_path / 'none'} is not a folder"]
  run = stratago("data", "gnugo", "--games", "1", "--out", str(tmp_path / "g"), "--gnugo", "/no/gnugo")
  assert run.returncode == 2
  assert "GNU Go not found: '/no/gnugo' is not an executable program" in run.stderr
  run = stratago("data", "gnugo", "--games", "0", "--out", str(tmp_path / "g"))
  assert run.returncode == 2 and "games must be at least 1" in run.stderr


def test_a_gnugo_that_dies_fails_every_game_with_its_stderr(tmp_path):
  fake = tmp_path / "gnugo"
  fake.write_text("#!/bin/sh\necho 'segmentation fault (pretend)' >&2\nexit 139\n")
  fake.chmod(0o755)
  run = stratago("data", "gnugo", "--games", "2", "--workers", "1", "--no-progress",
                 "--gnugo", str(fake), "--out", str(tmp_path / "g"))
  assert run.returncode == 2
  assert run.stderr.strip().splitlines()[-1] == (
      "stratago data: error: every GNU Go game failed; the first: game 0: GTP engine gnugo exited "
      "with code 139 while answering 'version'; its stderr ends: segmentation fault (pretend)")
  assert not list((tmp_path / "g").glob("*.sgf"))
