"""A tournament's tables and report: ratings.csv, crosstable.csv and report.html with matplotlib's pictures.

All of it is computed from the rows of results.jsonl (`tournament.read_results`):

  ratings.csv     agent,elo,ci_low,ci_high,games,score,draws   (Elo by maximum likelihood, 95% intervals)
  crosstable.csv  row agent's score share against each column agent, and games played
  report.html     the ratings with error bars, a head-to-head heat map, results by seat, game lengths
"""

from __future__ import annotations

import base64
import csv
import html
import io
import pathlib
from typing import Any, Sequence

from core import files


def agents_in(rows: Sequence[dict[str, Any]]) -> list[str]:
  """Agents in order of first appearance."""
  seen: dict[str, None] = {}
  for row in rows:
    seen.setdefault(row["first"], None)
    seen.setdefault(row["second"], None)
  return list(seen)


def crosstable(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], tuple[float, int]]:
  """(a, b) -> (a's points against b, games between them), over both seats."""
  table: dict[tuple[str, str], list[float]] = {}
  for row in rows:
    for a, b, s in ((row["first"], row["second"], row["score"]), (row["second"], row["first"], 1 - row["score"])):
      cell = table.setdefault((a, b), [0.0, 0])
      cell[0] += s
      cell[1] += 1
  return {k: (v[0], int(v[1])) for k, v in table.items()}


def fit(rows: Sequence[dict[str, Any]], anchor: tuple[str, float] | None = None):
  """The ratings (`evaluation.ratings.fit`) of the logged games, anchored as asked (default: first agent 0)."""
  from evaluation import ratings
  rows = sorted(rows, key=lambda row: row["index"])  # so the default anchor is game 0's first agent, always
  games = [(row["first"], row["second"], float(row["score"])) for row in rows]
  if anchor is None:
    return ratings.fit(games)
  return ratings.fit(games, anchor=anchor[0], anchor_elo=anchor[1])


def write_tables(out_dir: str | pathlib.Path, rows: Sequence[dict[str, Any]],
                 anchor: tuple[str, float] | None = None) -> list:
  """Writes ratings.csv and crosstable.csv; returns the ratings."""
  out = pathlib.Path(out_dir)
  table = fit(rows, anchor)
  buf = io.StringIO()
  w = csv.writer(buf, lineterminator="\n")
  w.writerow(["agent", "elo", "ci_low", "ci_high", "games", "score", "draws"])
  for r in table:
    w.writerow([r.agent, f"{r.elo:.1f}", f"{r.ci_low:.1f}", f"{r.ci_high:.1f}", r.games, f"{r.score:g}", r.draws])
  files.write_atomic(out / "ratings.csv", buf.getvalue())
  names = [r.agent for r in table]
  cross = crosstable(rows)
  buf = io.StringIO()
  w = csv.writer(buf, lineterminator="\n")
  w.writerow(["agent", *names])
  for a in names:
    cells = []
    for b in names:
      points, games = cross.get((a, b), (0.0, 0))
      cells.append("" if a == b or not games else f"{points:g}/{games}")
    w.writerow([a, *cells])
  files.write_atomic(out / "crosstable.csv", buf.getvalue())
  return table


def _png(fig) -> str:
  buf = io.BytesIO()
  fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
  return base64.b64encode(buf.getvalue()).decode()


def write_report(out_dir: str | pathlib.Path, rows: Sequence[dict[str, Any]], table: Sequence,
                 game: str) -> pathlib.Path:
  """report.html: the ratings table and four pictures, self-contained (images inline)."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  import numpy as np

  names = [r.agent for r in table]
  pictures = []
  fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.2))
  y = np.arange(len(names))[::-1]
  elo = np.array([r.elo for r in table])
  ax.errorbar(elo, y, xerr=[elo - [r.ci_low for r in table], [r.ci_high for r in table] - elo], fmt="o", capsize=4)
  ax.set_yticks(y, names)
  ax.set_xlabel("Elo (95% interval)")
  ax.grid(axis="x", alpha=0.3)
  pictures.append(("Ratings", _png(fig)))
  plt.close(fig)

  cross = crosstable(rows)
  share = np.full((len(names), len(names)), np.nan)
  for i, a in enumerate(names):
    for j, b in enumerate(names):
      points, games = cross.get((a, b), (0.0, 0))
      if games and a != b:
        share[i, j] = points / games
  fig, ax = plt.subplots(figsize=(1.1 * len(names) + 2.5, 0.9 * len(names) + 1.5))
  im = ax.imshow(share, cmap="RdYlGn", vmin=0, vmax=1)
  ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
  ax.set_yticks(range(len(names)), names)
  for (i, j), v in np.ndenumerate(share):
    if not np.isnan(v):
      ax.text(j, i, f"{100 * v:.0f}%", ha="center", va="center", fontsize=9)
  fig.colorbar(im, ax=ax, label="row agent's score against column agent")
  pictures.append(("Head to head", _png(fig)))
  plt.close(fig)

  fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.2))
  for k, (label, seat) in enumerate((("moving first", "first"), ("moving second", "second"))):
    shares = []
    for a in names:
      scores = [row["score"] if seat == "first" else 1 - row["score"] for row in rows if row[seat] == a]
      shares.append(100 * np.mean(scores) if scores else np.nan)
    ax.barh(y + (0.2 if k == 0 else -0.2), shares, height=0.4, label=label)
  ax.set_yticks(y, names)
  ax.set_xlabel("score share (%)")
  ax.axvline(50, color="grey", lw=0.8)
  ax.legend()
  pictures.append(("Results by seat", _png(fig)))
  plt.close(fig)

  fig, ax = plt.subplots(figsize=(7, 3))
  ax.hist([row["moves"] for row in rows], bins=30)
  ax.set_xlabel("moves per game")
  ax.set_ylabel("games")
  pictures.append(("Game lengths", _png(fig)))
  plt.close(fig)

  ends: dict[str, int] = {}
  for row in rows:
    ends[row["end"]] = ends.get(row["end"], 0) + 1
  cells = "".join(
      f"<tr><td>{html.escape(r.agent)}</td><td>{r.elo:.1f}</td><td>{r.ci_low:.1f} to {r.ci_high:.1f}</td>"
      f"<td>{r.games}</td><td>{r.score:g}</td><td>{r.draws}</td>"
      f"<td>{'' if r.los_next is None else f'{100 * r.los_next:.1f}%'}</td></tr>" for r in table)
  end_rows = "".join(f"<tr><td>{html.escape(e)}</td><td>{n}</td></tr>" for e, n in sorted(ends.items()))
  images = "".join(f"<h2>{t}</h2><img alt='{t}' src='data:image/png;base64,{b}'>" for t, b in pictures)
  page = (f"<!doctype html><meta charset='utf-8'><title>Tournament: {html.escape(game)}</title>"
          "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:left}</style>"
          f"<h1>Tournament: {html.escape(game)}</h1><p>{len(rows)} games.</p>"
          "<table><tr><th>agent</th><th>Elo</th><th>95% interval</th><th>games</th><th>points</th><th>draws</th>"
          "<th>LOS over the next</th></tr>"
          f"{cells}</table>{images}<h2>How games ended</h2><table>{end_rows}</table>")
  return files.write_atomic(pathlib.Path(out_dir) / "report.html", page)
