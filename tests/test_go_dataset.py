"""Position datasets: rows worked out by hand, shards, memory-mapped reads and batches."""

import json

import numpy as np
import pytest

from core.errors import UserError
from games import go, sgf
from retrieval import dataset

# Handicap 2 on 5x5 (C2, C4), White first; Black wins.
RECORD = sgf.GoRecord(board_size=5, komi=0.5, handicap=2, setup_black=(7, 17), first_player=go.WHITE,
                      moves=((1, 12), (0, 11), (1, 25), (0, 25)), result="B+5.5")


def test_rows_of_a_record_by_hand():
  rows = dataset.record_positions(RECORD)
  assert rows["move"].tolist() == [12, 11, 25, 25]
  assert rows["to_play"].tolist() == [1, 0, 1, 0]
  assert rows["value"].tolist() == [-1, 1, -1, 1]
  assert rows["move_number"].tolist() == [1, 2, 3, 4]
  planes = dataset.unpack_planes(rows["planes"], 5)
  assert planes.shape == (4, 2, 5, 5)
  # Before move 1, White to move: no own stones; the opponent's are C2 and C4.
  assert planes[0, 0].sum() == 0
  assert sorted(np.flatnonzero(planes[0, 1])) == [7, 17]
  # Before move 2, Black to move: own C2, C4; opponent's C3 (action 12).
  assert sorted(np.flatnonzero(planes[1, 0])) == [7, 17]
  assert np.flatnonzero(planes[1, 1]).tolist() == [12]
  assert rows["planes"].shape == (4, dataset.packed_width(5)) == (4, 7)


def test_write_and_read_shards(tmp_path):
  paths = []
  for i in range(5):
    paths.append(sgf.write_sgf(RECORD, tmp_path / "sgf" / f"{i}.sgf"))
  (tmp_path / "sgf" / "bad.sgf").write_bytes(b"garbage")
  paths.append(tmp_path / "sgf" / "bad.sgf")
  info = dataset.write_positions(paths, tmp_path / "data", shard_size=3, root=tmp_path / "sgf")
  assert (info.num_positions, info.num_games, info.skipped_files) == (20, 5, 1)
  meta = json.loads((tmp_path / "data" / "meta.json").read_text())
  assert [s["num_positions"] for s in meta["shards"]] == [3] * 6 + [2]
  assert meta["games"] == ["0.sgf", "1.sgf", "2.sgf", "3.sgf", "4.sgf"]
  data = dataset.PositionDataset(tmp_path / "data")
  assert len(data) == 20
  item = data[5]  # Game 1, move 2.
  assert (item["game"], item["move_number"], item["move"], item["to_play"]) == (1, 2, 11, 0)
  assert data[-1]["move_number"] == 4
  with pytest.raises(IndexError):
    data[20]
  seen = []
  for batch in data.batches(4, shuffle=True, seed=1):
    assert batch["planes"].shape[1:] == (2, 5, 5)
    seen += list(zip(batch["game"].tolist(), batch["move_number"].tolist()))
  assert sorted(seen) == [(g, m) for g in range(5) for m in range(1, 5)]
  # Rewriting replaces the dataset; a folder that is not a dataset is refused.
  dataset.write_positions(paths[:1], tmp_path / "data")
  assert len(dataset.PositionDataset(tmp_path / "data")) == 4
  (tmp_path / "other").mkdir()
  (tmp_path / "other" / "keep.txt").write_text("mine")
  with pytest.raises(UserError, match="is not a position dataset"):
    dataset.write_positions(paths, tmp_path / "other")
  with pytest.raises(UserError, match="no readable SGF record among 1 file"):
    dataset.write_positions(paths[-1:], tmp_path / "empty")
  with pytest.raises(UserError, match="no meta.json"):
    dataset.PositionDataset(tmp_path / "other")
