"""Checkpoints: damaged files are one-line errors, the last two are kept, a damaged latest falls back."""

import logging
import zipfile

import numpy as np
import pytest

from core import checkpoint

TREE = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3, np.float32)}


def damage(path, how):
  """Damages the .npz at `path` as `how` (one of DAMAGE) says."""
  data = path.read_bytes()
  if how == "empty":
    path.write_bytes(b"")
  elif how == "truncated":
    path.write_bytes(data[:len(data) // 2])
  elif how == "random bytes":
    path.write_bytes(np.random.default_rng(0).bytes(len(data)))
  elif how == "bad crc":  # One byte of an array's stored data flipped: only the CRC check sees it.
    with zipfile.ZipFile(path) as z:
      info = z.getinfo("leaf_00000.npy")
    at = info.header_offset + 30 + len(info.filename) + info.file_size - 1
    path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])
  elif how == "pickle":  # What `np.save` of an object array writes: refused, never unpickled.
    np.save(path.open("wb"), np.array([object()], dtype=object), allow_pickle=True)


DAMAGE = ["empty", "truncated", "random bytes", "bad crc", "pickle"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_checkpoint_is_one_line(tmp_path, how):
  path = checkpoint.save(tmp_path / "c.npz", TREE, {"step": 3})
  damage(path, how)
  with pytest.raises(checkpoint.DamagedCheckpointError) as e:
    checkpoint.load(path, TREE)
    checkpoint.read_meta(path)
  message = str(e.value)
  assert str(path) in message and "\n" not in message
  assert "pickled data" not in message     # Random bytes once read as "pickled data".


def test_save_keeps_the_previous_checkpoint(tmp_path):
  latest, previous = tmp_path / "latest.npz", tmp_path / "previous.npz"
  checkpoint.save(latest, TREE, {"step": 1}, previous=previous)
  assert not previous.exists()
  checkpoint.save(latest, TREE, {"step": 2}, previous=previous)
  checkpoint.save(latest, TREE, {"step": 3}, previous=previous)
  assert checkpoint.read_meta(latest)["step"] == 3 and checkpoint.read_meta(previous)["step"] == 2
  assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.npz", "previous.npz"]


@pytest.mark.parametrize("how", DAMAGE + ["missing"])
def test_a_damaged_latest_falls_back_to_the_previous(tmp_path, caplog, how):
  latest, previous = tmp_path / "latest.npz", tmp_path / "previous.npz"
  checkpoint.save(latest, TREE, {"step": 1}, previous=previous)
  checkpoint.save(latest, {k: v + 1 for k, v in TREE.items()}, {"step": 2}, previous=previous)
  if how == "missing":
    latest.unlink()
  else:
    damage(latest, how)
  with caplog.at_level(logging.WARNING):
    tree, meta = checkpoint.load(latest, TREE, fallback=previous)
  assert meta["step"] == 1
  np.testing.assert_array_equal(tree["w"], TREE["w"])
  assert "using the previous checkpoint" in caplog.text


def test_when_both_are_damaged_the_error_is_the_latests(tmp_path):
  latest, previous = tmp_path / "latest.npz", tmp_path / "previous.npz"
  checkpoint.save(latest, TREE, previous=previous)
  checkpoint.save(latest, TREE, previous=previous)
  damage(latest, "truncated")
  damage(previous, "empty")
  with pytest.raises(checkpoint.DamagedCheckpointError, match=r"latest.npz is damaged or truncated"):
    checkpoint.load(latest, TREE, fallback=previous)


def test_a_checkpoint_that_does_not_fit_does_not_fall_back(tmp_path):
  latest, previous = tmp_path / "latest.npz", tmp_path / "previous.npz"
  checkpoint.save(latest, TREE, previous=previous)
  checkpoint.save(latest, TREE, previous=previous)
  with pytest.raises(checkpoint.CheckpointError, match="latest.npz: .* has shape"):
    checkpoint.load(latest, {"w": np.zeros((3, 3)), "b": np.zeros(3)}, fallback=previous)
