"""Atomic writes leave the old file or the new one, and no temporary file behind."""

import pytest

from core import files


def test_write_atomic_text_and_bytes(tmp_path):
  path = files.write_atomic(tmp_path / "a" / "b.txt", "one\n")
  assert path.read_text() == "one\n"
  files.write_atomic(path, b"\x00two")
  assert path.read_bytes() == b"\x00two"
  assert sorted(p.name for p in path.parent.iterdir()) == ["b.txt"]


def test_failed_write_keeps_the_old_file(tmp_path):
  path = files.write_atomic(tmp_path / "c.json", "old")
  with pytest.raises(RuntimeError):
    with files.atomic_open(path, "w") as f:
      f.write("half of the new")
      raise RuntimeError("crash mid-write")
  assert path.read_text() == "old"
  assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


def test_read_mode_is_refused(tmp_path):
  with pytest.raises(ValueError, match="has no 'w'"):
    with files.atomic_open(tmp_path / "x", "rb"):
      pass
