"""An expert game corpus: GNU Go plays itself through GTP, in parallel, one SGF per game.

  cfg = GnuGoCorpusConfig(games=1000, size=9, level=1, workers=4)
  report = generate_gnugo_games(cfg, "corpus/gnugo9")

Each game runs one GNU Go process (Chinese rules, positional superko, seeded
with `seed * 1_000_003 + index + 1`, so a corpus is reproducible and its games
differ) that plays both colours through this project's GTP client and
referee; every move is checked against OpenSpiel's rules, and GNU Go's
`final_score` becomes the record's result. Files that already exist are kept,
so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import logging
import multiprocessing
import os
import pathlib

from agents.gtp import client as gtp_client
from agents.gtp import gnugo
from agents.gtp import referee
from core.errors import UserError
from games import go
from games import sgf

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class GnuGoCorpusConfig:
  """What `stratago data gnugo` plays.

  Attributes:
    games: number of games (files game-000000.sgf ...).
    size: board size.
    level: GNU Go level 0..10 (1 is fast; 10 is GNU Go's default strength).
    komi: komi.
    workers: parallel processes, each running one GNU Go at a time.
    seed: corpus seed; game i uses GNU Go seed `seed * 1_000_003 + i + 1`.
    max_moves: moves before a game is stopped and scored; 0 means 8 * N * N.
    timeout_s: seconds GNU Go may take per answer.
    gnugo: path of the GNU Go program; empty finds it on PATH or in /usr/games.
  """
  games: int = 100
  size: int = 9
  level: int = 1
  komi: float = 7.5
  workers: int = 2
  seed: int = 0
  max_moves: int = 0
  timeout_s: float = 60.0
  gnugo: str = ""

  def __post_init__(self):
    if self.games < 1:
      raise ValueError(f"games must be at least 1, got {self.games}")
    go.GoConfig(board_size=self.size, komi=self.komi)
    if not 0 <= self.level <= 10:
      raise ValueError(f"level must be in 0..10, got {self.level}")
    if self.workers < 1:
      raise ValueError(f"workers must be at least 1, got {self.workers}")
    if self.max_moves < 0:
      raise ValueError(f"max_moves must be >= 0, got {self.max_moves}")
    if self.timeout_s <= 0:
      raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")


@dataclasses.dataclass(frozen=True)
class CorpusReport:
  """What a corpus run did."""
  out: pathlib.Path
  played: int
  existing: int
  failed: int
  moves: int
  seconds: float
  errors: tuple[str, ...] = ()


def game_path(out: pathlib.Path, index: int) -> pathlib.Path:
  return out / f"game-{index:06d}.sgf"


def play_gnugo_game(cfg: GnuGoCorpusConfig, program: str, index: int) -> sgf.GoRecord:
  """One GNU Go self-play game as a record (GtpError if GNU Go fails)."""
  command = gnugo.gnugo_command(program, level=cfg.level, seed=cfg.seed * 1_000_003 + index + 1)
  match = referee.MatchConfig(board_size=cfg.size, komi=cfg.komi, max_moves=cfg.max_moves,
                              timeout_s=cfg.timeout_s)
  with gtp_client.GtpClient(command, timeout_s=cfg.timeout_s, name="gnugo") as engine:
    version = engine.send("version")
    outcome = referee.play_game(engine, engine, match, scorer=engine)
  player = f"GNU Go {version} level {cfg.level}"
  return sgf.GoRecord(board_size=cfg.size, komi=cfg.komi, moves=outcome.moves,
                      result=outcome.result, black_name=player, white_name=player,
                      rules="Chinese", date=datetime.date.today().isoformat())


def _worker(cfg: GnuGoCorpusConfig, program: str, out: str, index: int) -> tuple[int, int, str]:
  """Plays and writes game `index`; returns (index, moves, error or '')."""
  try:
    record = play_gnugo_game(cfg, program, index)
  except gtp_client.GtpError as e:
    return index, 0, str(e)
  sgf.write_sgf(record, game_path(pathlib.Path(out), index))
  return index, len(record.moves), ""


def generate_gnugo_games(cfg: GnuGoCorpusConfig, out: str | os.PathLike,
                         progress: bool = True) -> CorpusReport:
  """Plays `cfg.games` GNU Go games into `out` (skipping files already there)."""
  import time
  from tqdm import tqdm
  program = gnugo.require_gnugo(cfg.gnugo or None)
  out = pathlib.Path(out)
  out.mkdir(parents=True, exist_ok=True)
  todo = [i for i in range(cfg.games) if not game_path(out, i).exists()]
  existing = cfg.games - len(todo)
  start = time.monotonic()
  moves, errors = 0, []
  bar = tqdm(total=len(todo), unit="game", desc="gnugo", disable=not progress)
  if cfg.workers == 1 or len(todo) <= 1:
    results = (_worker(cfg, program, str(out), i) for i in todo)
    pool = None
  else:
    # Spawned workers: a fork of a process that has threads (GTP pumps, tqdm) is unsafe.
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=min(cfg.workers, len(todo)), mp_context=multiprocessing.get_context("spawn"))
    futures = [pool.submit(_worker, cfg, program, str(out), i) for i in todo]
    results = (f.result() for f in concurrent.futures.as_completed(futures))
  try:
    for index, n, error in results:
      if error:
        log.warning("game %d failed: %s", index, error)
        errors.append(f"game {index}: {error}")
      moves += n
      bar.update(1)
  finally:
    bar.close()
    if pool is not None:
      pool.shutdown(cancel_futures=True)
  played = len(todo) - len(errors)
  if todo and not played:
    raise UserError(f"every GNU Go game failed; the first: {errors[0]}")
  return CorpusReport(out=out, played=played, existing=existing, failed=len(errors), moves=moves,
                      seconds=time.monotonic() - start, errors=tuple(errors))
