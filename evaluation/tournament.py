"""Matches and tournaments: a schedule of games, played in worker processes, kept as an append-only log.

  pairings = schedule(["random", "heuristic", "gnugo:1"], games_per_pair=20)   # round robin
  rows = run("go(board_size=9)", pairings, out_dir="t1", workers=2)          # plays what is not done yet

The output folder holds `tournament.json` (what is played: the game, the
agents, the games per pair, the seed), `results.jsonl` (one JSON object per
finished game, appended and flushed as each ends, so a crash loses at most the
games in flight, and `resume` plays none twice) and `games/` (each game's
record). Game i has seed `seed + i` and the same seeds give the same games
for deterministic agents; the agent in seat 0 is `first` in the log.

A process plays `batch` games together and logs them when the last of them
ends, so a crash loses at most the batches in flight: their games are not in
`results.jsonl` (records of theirs already written are overwritten), and
`resume` plays each of them again, the same game for the same seed.
Stratego games between network policies and random are played in lock step
on the batched JAX rules (`stratego_batch`), the others on OpenSpiel states.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import multiprocessing as mp
import os
import pathlib
import time
from typing import Any, Callable, Sequence

from core import files
from core.errors import UserError

MANIFEST = "tournament.json"
RESULTS = "results.jsonl"
GAMES = "games"


@dataclasses.dataclass(frozen=True)
class Pairing:
  """One scheduled game: `first` plays seat 0 (moves first), `second` seat 1."""
  index: int
  first: str
  second: str
  seed: int


def schedule(agents: Sequence[str], games_per_pair: int, gauntlet: str | None = None, seed: int = 0
             ) -> list[Pairing]:
  """Every pair's games, round by round (each pair's k-th game before any pair's (k+1)-th), seats alternating.

  Round robin over `agents`, or with `gauntlet` that agent against each of `agents`.
  """
  if games_per_pair < 1:
    raise UserError(f"--games must be at least 1, got {games_per_pair}")
  pairs = [(gauntlet, a) for a in agents] if gauntlet else list(itertools.combinations(agents, 2))
  if not pairs:
    raise UserError("a tournament needs at least two agents (or --gauntlet SPEC and one more)")
  out = []
  for k in range(games_per_pair):
    for a, b in pairs:
      first, second = (a, b) if k % 2 == 0 else (b, a)
      out.append(Pairing(index=len(out), first=first, second=second, seed=seed + len(out)))
  return out


def _play(game_str: str, pairings: Sequence[Pairing], records: str | None, lockstep: bool = True
          ) -> list[dict[str, Any]]:
  """Plays scheduled games together in this process (network agents batched across them); returns their rows.

  Stratego games between network policies and uniform random are played in lock step on the batched JAX
  rules (`stratego_batch.play_agents`), the same games as on OpenSpiel states but several times faster;
  every other game (outside engines, built-in bots, plug-ins, search) on OpenSpiel states (`match.play_many`).
  """
  from agents import make_agent
  from evaluation import match, stratego_batch
  from games import openspiel_io
  from games.stratego import record as stratego_record
  game = openspiel_io.load_game(game_str)
  t0 = time.time()
  seatings = []
  try:
    for p in pairings:
      seatings.append([make_agent(p.first, game, seed=2 * p.seed), make_agent(p.second, game, seed=2 * p.seed + 1)])
    seeds = [p.seed for p in pairings]
    lockstep = (lockstep and stratego_batch.supports(game)
                and all(stratego_batch.batchable(a) for s in seatings for a in s))
    played = stratego_batch.play_agents(game, seatings, seeds) if lockstep else match.play_many(game, seatings, seeds)
  finally:
    for agent in (a for seating in seatings for a in seating):
      agent.close()
  seconds = round((time.time() - t0) / max(len(pairings), 1), 3)
  rows = []
  for p, (result, state) in zip(pairings, played):
    record = None
    if records is not None:
      stem = pathlib.Path(records) / GAMES / f"{p.index:05d}"
      if lockstep:  # `state` is the game's record: the lock-step games have no OpenSpiel state
        path = stratego_record.write({**state, "players": [p.first, p.second]}, stem.with_suffix(".json"))
      else:
        path = match.write_record(state, result, (p.first, p.second), stem)
      record = str(path.relative_to(records))
    rows.append({"index": p.index, "first": p.first, "second": p.second, "score": result.score, "seed": p.seed,
                 "moves": result.moves, "end": result.end, "record": record, "seconds": seconds})
  return rows


def _play_star(args):
  return _play(*args)


def _worker_init() -> None:
  import signal
  signal.signal(signal.SIGINT, signal.SIG_IGN)  # The parent stops the pool; Ctrl-C must not kill a game half-logged.


def read_results(out_dir: str | pathlib.Path) -> list[dict[str, Any]]:
  """The finished games logged in `out_dir`, dropping a last line that a crash cut short (and its bytes)."""
  path = pathlib.Path(out_dir) / RESULTS
  if not path.exists():
    return []
  data = path.read_bytes()
  keep = data[:data.rfind(b"\n") + 1]
  if len(keep) != len(data):
    with open(path, "r+b") as f:
      f.truncate(len(keep))
  return [json.loads(line) for line in keep.decode().splitlines() if line.strip()]


def prepare(out_dir: str | pathlib.Path, manifest: dict[str, Any], resume: bool) -> pathlib.Path:
  """Creates the output folder or checks it holds this tournament; one-line UserError otherwise."""
  out = pathlib.Path(out_dir)
  if not out.is_dir():
    files.ensure_writable_dir(out, "--out")  # a file, under a file or unwritable: one line, before any game
  path = out / MANIFEST
  if path.exists():
    held = json.loads(path.read_text())
    if held != manifest:
      diff = ", ".join(f"{k} {held.get(k)!r} (now {manifest.get(k)!r})" for k in manifest if held.get(k) != manifest[k])
      raise UserError(f"{out} holds another tournament: {diff}; use another --out")
    if not resume:
      raise UserError(f"{out} already holds this tournament; pass --resume to finish it, or use another --out")
  elif out.exists() and any(out.iterdir()):
    raise UserError(f"{out} is not empty and holds no tournament; use another --out")
  else:
    (out / GAMES).mkdir(parents=True, exist_ok=True)
    files.write_atomic(path, json.dumps(manifest, indent=1) + "\n")
  (out / GAMES).mkdir(exist_ok=True)
  return out


def run(game_str: str, pairings: Sequence[Pairing], out_dir: str | pathlib.Path | None = None, workers: int = 1,
        progress: bool = True, stop: Callable[[list[dict[str, Any]]], bool] | None = None,
        done: Sequence[dict[str, Any]] = (), batch: int = 1, lockstep: bool = True) -> list[dict[str, Any]]:
  """Plays the pairings not in `done`; returns every row (`done` ones first), in the order games finished.

  Args:
    game_str: the OpenSpiel game.
    pairings: the schedule.
    out_dir: where results.jsonl and games/ go (prepared by `prepare`); None keeps nothing on disk.
    workers: processes playing at once, each `batch` games at a time (1: all in this process).
    progress: a tqdm bar of games, games/s and the leader.
    stop: called with all rows after each batch is logged; True stops the run (an SPRT that decided).
    done: rows already logged (`read_results`), whose games are not played again.
    batch: games each process plays together, so that a network agent answers all of them with one
      call per move; they are logged when all of them have ended (a run stopped before that plays
      the whole batch again on resume).
    lockstep: play Stratego games between network policies and random in lock step on the JAX rules
      (`_play`); False plays them on OpenSpiel states like every other game (the same games, slower).
  """
  from tqdm import tqdm
  rows = list(done)
  played = {row["index"] for row in rows}
  todo = [p for p in pairings if p.index not in played]
  records = None if out_dir is None else str(out_dir)
  log = None if out_dir is None else open(pathlib.Path(out_dir) / RESULTS, "a", encoding="utf-8")
  bar = tqdm(total=len(pairings), initial=len(rows), disable=not progress, unit="game", dynamic_ncols=True)
  t0, pool = time.time(), None
  chunks = [todo[i:i + max(batch, 1)] for i in range(0, len(todo), max(batch, 1))]
  n = 0
  try:
    if workers > 1 and len(chunks) > 1:
      pool = mp.get_context("spawn").Pool(min(workers, len(chunks)), initializer=_worker_init)
      results = pool.imap_unordered(_play_star, [(game_str, chunk, records, lockstep) for chunk in chunks])
    else:
      results = (_play(game_str, chunk, records, lockstep) for chunk in chunks)
    for chunk_rows in results:
      for row in chunk_rows:
        rows.append(row)
        if log is not None:
          log.write(json.dumps(row) + "\n")
      if log is not None:
        log.flush()
        os.fsync(log.fileno())
      n += len(chunk_rows)
      bar.update(len(chunk_rows))
      bar.set_postfix({"games/s": f"{n / max(time.time() - t0, 1e-9):.2f}", "leader": _leader(rows)})
      if stop is not None and stop(rows):
        break
  finally:
    bar.close()
    if pool is not None:
      pool.terminate()
      pool.join()
    if log is not None:
      log.close()
  return rows


def _leader(rows: list[dict[str, Any]]) -> str:
  """The agent with the best score share so far."""
  points: dict[str, list[float]] = {}
  for row in rows:
    for spec, score in ((row["first"], row["score"]), (row["second"], 1.0 - row["score"])):
      points.setdefault(spec, []).append(score)
  best = max(points, key=lambda s: sum(points[s]) / len(points[s]))
  return f"{best} {100 * sum(points[best]) / len(points[best]):.0f}%"
