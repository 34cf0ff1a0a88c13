"""SGF game records for Go, read and written with sgfmill, replayed into OpenSpiel states.

  record = read_sgf("game.sgf")           # SgfError naming the file if it is bad
  game, state = replay(record)            # the final OpenSpiel state
  write_sgf(record, "copy.sgf")

Only the main line is read. Supported: SZ 2..19, KM, HA, setup stones (AB,
AW) and PL in the root node, moves B/W (empty or `tt` is a pass), RE, PB, PW,
RU, DT. Unsupported, with an error that says so: empty setup points (AE),
setup stones after the root, the same colour moving twice in a row, a move
that is illegal under OpenSpiel's rules.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pathlib
from typing import Iterator

import pyspiel
from sgfmill import sgf

from core import files
from core.errors import UserError
from games import go

log = logging.getLogger(__name__)


class SgfError(UserError):
  """A malformed or unsupported SGF file; the message names the file."""


@dataclasses.dataclass(frozen=True)
class GoRecord:
  """One Go game record.

  Attributes:
    board_size: N.
    komi: komi.
    moves: (colour, action) per move in order; colour 0 Black, 1 White; pass is N*N.
    setup_black: actions of Black's setup (handicap) stones.
    setup_white: actions of White's setup stones.
    first_player: who moves first after the setup (SGF PL, else the first move's colour);
      WHITE for a handicap game.
    handicap: the HA property (0 when absent).
    result: SGF RE value such as 'B+3.5', 'W+R', '0' or '' when unknown.
    black_name, white_name, rules, date: PB, PW, RU and DT ('' when absent).
  """
  board_size: int
  komi: float = 7.5
  moves: tuple[tuple[int, int], ...] = ()
  setup_black: tuple[int, ...] = ()
  setup_white: tuple[int, ...] = ()
  first_player: int = go.BLACK
  handicap: int = 0
  result: str = ""
  black_name: str = ""
  white_name: str = ""
  rules: str = ""
  date: str = ""

  @property
  def winner(self) -> int | None:
    """go.BLACK, go.WHITE, or None for a draw, void or unknown result."""
    head = self.result[:2].upper()
    return {"B+": go.BLACK, "W+": go.WHITE}.get(head)

  @property
  def config(self) -> go.GoConfig:
    """The game to replay into: setup stones are placed by `replay`, so no OpenSpiel handicap."""
    return go.GoConfig(board_size=self.board_size, komi=self.komi,
                       max_game_length=count_actions(self) + 1)


def setup_actions(record: GoRecord) -> list[int]:
  """The OpenSpiel actions that place the record's setup stones (see `go.setup_actions`)."""
  return go.setup_actions(record.board_size, record.setup_black, record.setup_white,
                          record.first_player)


def count_actions(record: GoRecord) -> int:
  """OpenSpiel actions a replay of `record` uses (setup stones, their passes and moves)."""
  return len(setup_actions(record)) + len(record.moves)


def _colour(letter: str) -> int:
  return go.BLACK if letter == "b" else go.WHITE


def parse_sgf(data: bytes, name: str = "<sgf>") -> GoRecord:
  """The record in SGF bytes; SgfError names `name` and what is wrong."""
  try:
    game = sgf.Sgf_game.from_bytes(data)
  except ValueError as e:
    raise SgfError(f"{name}: not a readable SGF file: {e or 'bad syntax'}") from None
  root = game.get_root()
  try:
    if root.has_property("GM") and root.get("GM") != 1:
      raise SgfError(f"{name}: not a Go record (GM[{root.get('GM')}])")
    size = game.get_size()
    if not go.MIN_SIZE <= size <= go.MAX_SIZE:
      raise SgfError(f"{name}: board size {size} is not supported (2..19)")
    komi = float(game.get_komi())
    handicap = int(game.get_handicap() or 0)
    black, white, empty = root.get_setup_stones()
    if empty:
      raise SgfError(f"{name}: empty setup points (AE) are not supported")
    setup_b = tuple(sorted(go.point_to_action(p, size) for p in black))
    setup_w = tuple(sorted(go.point_to_action(p, size) for p in white))
    first = None
    if root.has_property("PL"):
      first = _colour(root.get("PL"))
    moves: list[tuple[int, int]] = []
    for i, node in enumerate(game.get_main_sequence()[1:], start=1):
      if node.has_setup_stones():
        raise SgfError(f"{name}: node {i}: setup stones after the root are not supported")
      letter, point = node.get_move()
      if letter is None:
        continue
      colour = _colour(letter)
      if first is None:
        first = colour
      expected = (1 - moves[-1][0]) if moves else first
      if colour != expected:
        raise SgfError(f"{name}: move {len(moves) + 1}: {letter.upper()} moves out of turn")
      moves.append((colour, go.point_to_action(point, size)))
    props = {key: _text(root, key) for key in ("RE", "PB", "PW", "RU", "DT")}
  except SgfError:
    raise
  except (ValueError, KeyError) as e:
    raise SgfError(f"{name}: bad property value: {e}") from None
  if first is None:
    first = go.WHITE if setup_b and not setup_w else go.BLACK
  record = GoRecord(board_size=size, komi=komi, moves=tuple(moves), setup_black=setup_b,
                    setup_white=setup_w, first_player=first, handicap=handicap, result=props["RE"], black_name=props["PB"],
                    white_name=props["PW"], rules=props["RU"], date=props["DT"])
  try:
    replay(record)
  except ValueError as e:
    raise SgfError(f"{name}: {e}") from None
  return record


def _text(node: sgf.Tree_node, key: str) -> str:
  return str(node.get(key)).strip() if node.has_property(key) else ""


def read_sgf(path: str | os.PathLike) -> GoRecord:
  """The record in an SGF file; SgfError names the file and what is wrong."""
  path = pathlib.Path(path)
  try:
    data = path.read_bytes()
  except OSError as e:
    raise SgfError(f"{path}: cannot read: {e.strerror}") from None
  return parse_sgf(data, str(path))


def replay(record: GoRecord) -> tuple[pyspiel.Game, pyspiel.State]:
  """The OpenSpiel game and the state after every move; ValueError for an illegal move."""
  game = go.load_game(record.config)
  state = go.initial_state(game, record.setup_black, record.setup_white, record.first_player)
  for i, (colour, action) in enumerate(record.moves, start=1):
    if state.is_terminal():
      raise ValueError(f"move {i}: the game already ended (two passes or a repeated position)")
    if state.current_player() != colour or action not in state.legal_actions():
      vertex = go.action_to_gtp(action, record.board_size)
      raise ValueError(f"move {i}: {'BW'[colour]} {vertex} is illegal under OpenSpiel's rules")
    state.apply_action(action)
  return game, state


def to_sgf_bytes(record: GoRecord) -> bytes:
  """SGF (FF[4], UTF-8) for `record`."""
  game = sgf.Sgf_game(size=record.board_size)
  root = game.get_root()
  root.set("KM", record.komi)
  if record.handicap:
    root.set("HA", record.handicap)
  if record.setup_black or record.setup_white:
    root.set_setup_stones([go.action_to_point(a, record.board_size) for a in record.setup_black],
                          [go.action_to_point(a, record.board_size) for a in record.setup_white])
  default_first = go.WHITE if record.setup_black and not record.setup_white else go.BLACK
  if record.first_player != default_first:
    root.set("PL", "bw"[record.first_player])
  for key, value in (("RE", record.result), ("PB", record.black_name), ("PW", record.white_name),
                     ("RU", record.rules), ("DT", record.date)):
    if value:
      root.set(key, value)
  for colour, action in record.moves:
    game.extend_main_sequence().set_move("bw"[colour], go.action_to_point(action, record.board_size))
  return game.serialise()


def write_sgf(record: GoRecord, path: str | os.PathLike) -> pathlib.Path:
  """Writes `record` as SGF atomically and returns the path."""
  return files.write_atomic(path, to_sgf_bytes(record))


@dataclasses.dataclass
class LoadReport:
  """Counts from a batch load: files read and files skipped with their reasons."""
  loaded: int = 0
  skipped: int = 0
  errors: list[str] = dataclasses.field(default_factory=list)


def sgf_files(directory: str | os.PathLike) -> list[pathlib.Path]:
  """The .sgf files under `directory` (recursively), sorted; UserError if it is not a folder."""
  directory = pathlib.Path(directory)
  if not directory.is_dir():
    raise UserError(f"{directory} is not a folder")
  return sorted(p for p in directory.rglob("*") if p.suffix.lower() == ".sgf" and p.is_file())


def iter_records(paths: list[pathlib.Path], report: LoadReport | None = None
                 ) -> Iterator[tuple[pathlib.Path, GoRecord]]:
  """Yields (path, record) for each readable file; a bad one is skipped with a warning and counted."""
  report = report if report is not None else LoadReport()
  for path in paths:
    try:
      record = read_sgf(path)
    except SgfError as e:
      log.warning("skipping %s", e)
      report.skipped += 1
      report.errors.append(str(e))
      continue
    report.loaded += 1
    yield path, record
