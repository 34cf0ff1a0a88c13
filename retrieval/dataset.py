"""Go position datasets: SGF collections turned into sharded, memory-mapped arrays.

  info = write_positions(sgf_paths, "data/gnugo9")        # one row per move played
  data = PositionDataset("data/gnugo9")                    # opens shards with mmap
  for batch in data.batches(256, shuffle=True, seed=0):    # streams, never loads all
    batch["planes"]                                        # uint8 [B, 2, N, N]

A dataset is a folder:

  meta.json          format, board_size, counts, the shards and the source games
  shard-00000/       one .npy per field, `shard_size` rows at most
    planes.npy       uint8 [P, ceil(2*N*N/8)]: np.packbits of the [2, N, N] planes
                     (plane 0 the side to move's stones, plane 1 the opponent's)
    move.npy         int16 [P]: the action played (row * N + col, pass N*N)
    to_play.npy      int8 [P]: 0 Black, 1 White to move
    value.npy        int8 [P]: the final result for the side to move: +1 won, -1 lost,
                     0 draw or unknown
    game.npy         int32 [P]: index into meta.json's `games`
    move_number.npy  int16 [P]: 1 for a game's first move (setup stones not counted)

Files are written to a temporary name and renamed; meta.json comes last, so
a folder with meta.json is complete.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
from typing import Iterable, Iterator

import numpy as np

from core import files
from core.errors import UserError
from games import go
from games import sgf

FORMAT = "stratago-go-positions"
VERSION = 1
FIELDS = {"planes": np.uint8, "move": np.int16, "to_play": np.int8, "value": np.int8,
          "game": np.int32, "move_number": np.int16}


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What `write_positions` wrote."""
  path: pathlib.Path
  board_size: int
  num_positions: int
  num_games: int
  skipped_files: int


def record_positions(record: sgf.GoRecord) -> dict[str, np.ndarray]:
  """One row per move of `record`, all fields but `game` (see the module docstring)."""
  state = _start(record)
  n2 = record.board_size * record.board_size
  winner = record.winner
  num_moves = len(record.moves)
  planes = np.zeros((num_moves, 2 * n2), np.uint8)
  for i, (colour, action) in enumerate(record.moves):
    # OpenSpiel's observation: planes black, white, empty, then White-to-move.
    obs = np.asarray(state.observation_tensor(0), dtype=np.uint8)
    own, opp = (obs[:n2], obs[n2:2 * n2]) if colour == go.BLACK else (obs[n2:2 * n2], obs[:n2])
    planes[i, :n2], planes[i, n2:] = own, opp
    state.apply_action(action)
  colours = np.asarray([c for c, _ in record.moves], dtype=np.int8)
  values = (np.zeros(num_moves, np.int8) if winner is None
            else np.where(colours == winner, 1, -1).astype(np.int8))
  return {
      "planes": np.packbits(planes, axis=1),
      "move": np.asarray([a for _, a in record.moves], dtype=np.int16),
      "to_play": colours,
      "value": values,
      "move_number": np.arange(1, num_moves + 1, dtype=np.int16),
  }


def _start(record: sgf.GoRecord):
  game = go.load_game(record.config)
  return go.initial_state(game, record.setup_black, record.setup_white, record.first_player)


def packed_width(size: int) -> int:
  return (2 * size * size + 7) // 8


def unpack_planes(packed: np.ndarray, size: int) -> np.ndarray:
  """uint8 [..., 2, N, N] from packed rows [..., packed_width(N)]."""
  bits = np.unpackbits(packed, axis=-1, count=2 * size * size)
  return bits.reshape(*packed.shape[:-1], 2, size, size)


def _save_atomic(path: pathlib.Path, array: np.ndarray) -> None:
  with files.atomic_open(path, "wb") as f:
    np.save(f, array)


def write_positions(sgf_paths: Iterable[os.PathLike], out: str | os.PathLike,
                    shard_size: int = 1 << 20, board_size: int | None = None,
                    progress: bool = False, root: str | os.PathLike | None = None) -> DatasetInfo:
  """Writes the positions of every readable record (bad files are skipped and counted).

  Args:
    sgf_paths: SGF files, in the order games are numbered.
    out: the dataset folder; replaced if it holds a dataset already.
    shard_size: most positions per shard.
    board_size: keep records of this size only; default: the first record's size.
    progress: show a tqdm bar over files.
    root: names in meta.json's `games` are relative to this folder when given.

  Returns:
    What was written. UserError if no record could be read.
  """
  if shard_size <= 0:
    raise ValueError(f"shard_size must be positive, got {shard_size}")
  out = pathlib.Path(out)
  if out.exists() and not (out / "meta.json").exists() and any(out.iterdir()):
    raise UserError(f"{out} exists and is not a position dataset; choose another --out")
  paths = [pathlib.Path(p) for p in sgf_paths]
  tmp_dir = out.with_name(out.name + ".partial")
  shutil.rmtree(tmp_dir, ignore_errors=True)
  tmp_dir.mkdir(parents=True)
  report = sgf.LoadReport()
  records = sgf.iter_records(paths, report)
  if progress:
    from tqdm import tqdm
    records = tqdm(records, total=len(paths), unit="game", desc="positions")
  games: list[str] = []
  shards: list[dict] = []
  buffer: dict[str, list[np.ndarray]] = {k: [] for k in FIELDS}
  buffered = 0
  wrong_size = 0

  def flush(limit: int) -> None:
    nonlocal buffered, buffer
    while buffered >= limit and buffered > 0:
      joined = {k: np.concatenate(v) for k, v in buffer.items()}
      take = min(shard_size, buffered)
      name = f"shard-{len(shards):05d}"
      shard_dir = tmp_dir / name
      shard_dir.mkdir()
      for k, v in joined.items():
        _save_atomic(shard_dir / f"{k}.npy", v[:take])
      shards.append({"name": name, "num_positions": int(take)})
      buffer = {k: [v[take:]] for k, v in joined.items()}
      buffered -= take

  for path, record in records:
    if board_size is None:
      board_size = record.board_size
    if record.board_size != board_size:
      wrong_size += 1
      continue
    rows = record_positions(record)
    rows["game"] = np.full(len(rows["move"]), len(games), np.int32)
    games.append(str(path.relative_to(root)) if root is not None else str(path))
    for k, v in rows.items():
      buffer[k].append(v)
    buffered += len(rows["move"])
    flush(shard_size)
  flush(1)
  if not games:
    shutil.rmtree(tmp_dir, ignore_errors=True)
    raise UserError(f"no readable SGF record among {len(paths)} file(s)"
                    + (f" ({report.skipped} skipped as bad)" if report.skipped else ""))
  if wrong_size:
    import logging
    logging.getLogger(__name__).warning(
        "skipped %d record(s) whose board size is not %d", wrong_size, board_size)
  meta = {"format": FORMAT, "version": VERSION, "board_size": board_size,
          "num_positions": sum(s["num_positions"] for s in shards), "num_games": len(games),
          "skipped_files": report.skipped + wrong_size, "shards": shards, "games": games,
          "fields": {k: np.dtype(v).name for k, v in FIELDS.items()}}
  (tmp_dir / "meta.json").write_text(json.dumps(meta, indent=1))
  if out.exists():
    shutil.rmtree(out)
  os.replace(tmp_dir, out)
  return DatasetInfo(path=out, board_size=board_size, num_positions=meta["num_positions"],
                     num_games=len(games), skipped_files=meta["skipped_files"])


class PositionDataset:
  """Reads a dataset folder lazily: each shard's arrays are memory-mapped, never loaded whole."""

  def __init__(self, path: str | os.PathLike):
    self.path = pathlib.Path(path)
    try:
      self.meta = json.loads((self.path / "meta.json").read_text())
    except OSError:
      raise UserError(f"{self.path} is not a position dataset (no meta.json)") from None
    except json.JSONDecodeError as e:
      raise UserError(f"{self.path}/meta.json is not valid JSON: {e}") from None
    if self.meta.get("format") != FORMAT or self.meta.get("version") != VERSION:
      raise UserError(f"{self.path} is not a version-{VERSION} {FORMAT} dataset")
    self.board_size = int(self.meta["board_size"])
    self.games: list[str] = self.meta["games"]
    self._shards = [{k: np.load(self.path / s["name"] / f"{k}.npy", mmap_mode="r") for k in FIELDS}
                    for s in self.meta["shards"]]
    self._offsets = np.cumsum([0] + [s["num_positions"] for s in self.meta["shards"]])

  def __len__(self) -> int:
    return int(self._offsets[-1])

  def _locate(self, index: int) -> tuple[int, int]:
    if not -len(self) <= index < len(self):
      raise IndexError(f"position {index} is out of range for {len(self)} positions")
    index %= len(self)
    shard = int(np.searchsorted(self._offsets, index, side="right") - 1)
    return shard, index - int(self._offsets[shard])

  def __getitem__(self, index: int) -> dict[str, np.ndarray | int]:
    """One position: planes uint8 [2, N, N] and the scalar fields."""
    shard, row = self._locate(index)
    arrays = self._shards[shard]
    item = {k: int(arrays[k][row]) for k in FIELDS if k != "planes"}
    item["planes"] = unpack_planes(np.asarray(arrays["planes"][row]), self.board_size)
    return item

  @property
  def num_shards(self) -> int:
    return len(self._shards)

  def column(self, shard: int, name: str) -> np.ndarray:
    """One field of one shard, memory-mapped (e.g. its `game` column, to split rows by game)."""
    return self._shards[shard][name]

  def take(self, shard: int, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The positions at `rows` (sorted reads are kinder to the page cache) of `shard`, planes unpacked."""
    arrays = self._shards[shard]
    batch = {k: np.asarray(arrays[k][rows]) for k in FIELDS if k != "planes"}
    batch["planes"] = unpack_planes(np.asarray(arrays["planes"][rows]), self.board_size)
    return batch

  def batches(self, batch_size: int, shuffle: bool = False, seed: int = 0,
              drop_last: bool = False) -> Iterator[dict[str, np.ndarray]]:
    """Batches of positions, shard by shard (shards and rows shuffled when asked)."""
    if batch_size <= 0:
      raise ValueError(f"batch_size must be positive, got {batch_size}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(self._shards)) if shuffle else range(len(self._shards))
    for shard in order:
      arrays = self._shards[shard]
      n = len(arrays["move"])
      rows = rng.permutation(n) if shuffle else np.arange(n)
      for start in range(0, n, batch_size):
        idx = rows[start:start + batch_size]
        if drop_last and len(idx) < batch_size:
          break
        yield self.take(shard, np.sort(idx) if shuffle else idx)


def split_by_game(names: list[str], validation_fraction: float, seed: int = 0) -> np.ndarray:
  """bool [len(names)]: True for the games held out for validation, about `validation_fraction` of them.

  Splitting by game, never by position, keeps every position of a game on one
  side: positions of one game are alike, and a network that saw some of them
  would be judged on what it has all but seen. Each game's side is a hash of
  its name (its SGF path) and `seed`, so it stays where it is when games are
  added and the dataset is written again.
  """
  import hashlib
  if not 0 <= validation_fraction < 1:
    raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
  draws = np.array([int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "big") / 2.0**64
                    for name in names])
  return draws < validation_fraction
