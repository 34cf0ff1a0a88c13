"""What `stratago match` and `stratago tournament` do, callable from Python: check, play, rate, report.

  lines = match("go(board_size=9)", "heuristic", "gnugo:1", games=20, sprt="0,50")
  table = tournament("kuhn_poker", ["random", "policy:a.npz"], games=100, out="t/kuhn")
"""

from __future__ import annotations

import math
import pathlib
from typing import Sequence

from core.errors import UserError
from evaluation import report, tournament as runner


def parse_anchor(text: str | None) -> tuple[str, float] | None:
  """`SPEC=ELO` -> (spec, elo); None stays None."""
  if text is None:
    return None
  spec, _, elo = text.rpartition("=")
  try:
    value = float(elo)
  except ValueError:
    value = None
  if not spec or value is None or not math.isfinite(value):
    raise UserError(f"--anchor '{text}': expected SPEC=ELO, e.g. random=0")
  return spec, value


def check_agents(game_str: str, specs: Sequence[str]):
  """Loads the game and makes each agent once, so bad input is one line before any game; returns the game."""
  from agents import make_agent, parse_spec
  from games import openspiel_io
  for spec in specs:
    parse_spec(spec)
  try:
    game = openspiel_io.load_game(game_str)
  except Exception as e:  # pyspiel raises plain errors for unknown games and bad parameters.
    raise UserError(f"cannot load game '{game_str}': {str(e).strip().splitlines()[-1]}") from None
  if game.num_players() != 2:
    raise UserError(f"{game_str} has {game.num_players()} players; matches are between two")
  for spec in dict.fromkeys(specs):
    with make_agent(spec, game) as agent:
      agent.check()
  return game


def _manifest(game_str, agents, games, gauntlet, seed, kind) -> dict:
  return {"kind": kind, "game": game_str, "agents": list(agents), "gauntlet": gauntlet, "games": games, "seed": seed}


def tournament(game_str: str, agents: Sequence[str], games: int, out: str | pathlib.Path,
               gauntlet: str | None = None, workers: int = 1, anchor: tuple[str, float] | None = None,
               seed: int = 0, resume: bool = False, progress: bool = True, batch: int = 16) -> list:
  """Plays (or finishes) a tournament into `out`, then writes its tables and report; returns the ratings."""
  if workers < 1 or batch < 1:
    raise UserError(f"--workers and --batch must be at least 1, got {workers} and {batch}")
  if len(set(agents)) != len(agents) or gauntlet in agents:
    raise UserError("each agent may appear once (give two copies different seeds, e.g. random:1 random:2)")
  pairings = runner.schedule(agents, games, gauntlet, seed)
  everyone = ([gauntlet] if gauntlet else []) + list(agents)
  if anchor is not None and anchor[0] not in everyone:
    raise UserError(f"--anchor names '{anchor[0]}', which is not one of the agents")
  check_agents(game_str, everyone)  # before --out is written: bad input leaves no folder behind
  out = runner.prepare(out, _manifest(game_str, agents, games, gauntlet, seed, "tournament"), resume)
  rows = runner.run(game_str, pairings, out, workers, progress, done=runner.read_results(out), batch=batch)
  table = report.write_tables(out, rows, anchor)
  report.write_report(out, rows, table, game_str)
  return table


def match(game_str: str, a: str, b: str, games: int, sprt: str | None = None, workers: int = 1, seed: int = 0,
          out: str | pathlib.Path | None = None, resume: bool = False, progress: bool = True,
          batch: int = 16) -> list[str]:
  """Plays A against B (seats alternating) and returns the lines to print, cutechess-style."""
  from evaluation import ratings
  if workers < 1 or batch < 1:
    raise UserError(f"--workers and --batch must be at least 1, got {workers} and {batch}")
  if a == b:
    raise UserError("the two agents are the same spec; give them different seeds, e.g. random:1 random:2")
  test = ratings.parse_sprt(sprt) if sprt else None
  pairings = runner.schedule([a, b], games, None, seed)
  check_agents(game_str, [a, b])  # before --out is written: bad input leaves no folder behind
  done = []
  if out is not None:
    out = runner.prepare(out, _manifest(game_str, [a, b], games, None, seed, "match"), resume)
    done = runner.read_results(out)

  def counts(rows):
    """B's wins, losses and draws (cutechess reports the second engine's Elo gain over the first)."""
    w = sum(1 for r in rows if (r["first"] == b and r["score"] == 1) or (r["second"] == b and r["score"] == 0))
    d = sum(1 for r in rows if r["score"] == 0.5)
    return w, len(rows) - w - d, d

  stop = None if test is None else (lambda rows: test.decide(*counts(rows)) is not None)
  rows = runner.run(game_str, pairings, out, workers, progress, stop=stop, done=done, batch=batch)
  return summary_lines(rows, a, b, test)


def summary_lines(rows, a: str, b: str, test=None) -> list[str]:
  """`Score of A vs B: W - L - D [score] N`, per-seat lines, the Elo line and the SPRT's."""
  from evaluation import ratings

  def wld(rows, who):
    w = sum(1 for r in rows if (r["first"] == who and r["score"] == 1) or (r["second"] == who and r["score"] == 0))
    d = sum(1 for r in rows if r["score"] == 0.5)
    return w, len(rows) - w - d, d

  def line(label, rows, who):
    w, l, d = wld(rows, who)
    n = w + l + d
    share = (w + 0.5 * d) / n if n else float("nan")
    return f"{label}: {w} - {l} - {d}  [{share:.3f}] {n}"

  lines = [line(f"Score of {a} vs {b}", rows, a),
           line(f"...      {a} moving first", [r for r in rows if r["first"] == a], a),
           line(f"...      {a} moving second", [r for r in rows if r["second"] == a], a),
           str(ratings.match_summary(*wld(rows, a)))]
  if test is not None:
    lines.append(test.describe(*wld(rows, b)))
  ends: dict[str, int] = {}
  for r in rows:
    ends[r["end"]] = ends.get(r["end"], 0) + 1
  lines.append("Ends: " + ", ".join(f"{e} {n}" for e, n in sorted(ends.items(), key=lambda x: -x[1])))
  return lines
