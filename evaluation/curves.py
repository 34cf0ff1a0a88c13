"""Training curves of a run folder as a picture: what `stratago plot RUN_DIR` draws.

`curves(rows)` is pure: it picks from RUN_DIR/metrics.jsonl the series a
person looks at (win rate against random, NashConv, the losses, the policy's
entropy, throughput) against learner steps and wall-clock minutes.
`plot_run` draws them with matplotlib, one panel per series, into a PNG,
titled by `title(run_dir)`: the game and the run folder's name, never its path.
"""

from __future__ import annotations

import pathlib
from typing import NamedTuple, Sequence

from core import files
from core.metrics import read

# (metric, panel title), in panel order; a metric a run never logged gets no panel.
SERIES = (
    ("win_rate_vs_random", "win rate against uniform random"),
    ("nashconv", "NashConv"),
    ("loss_v", "value loss"),
    ("loss_nerd", "NeuRD loss"),
    ("policy_entropy", "policy entropy (nats)"),
    ("learner_steps_per_s", "learner steps / s"),
    ("actor_moves_per_s", "actor moves / s"),
    # Supervised runs (`--algo supervised`).
    ("val_top1", "held-out top-1 move accuracy"),
    ("val_top5", "held-out top-5 move accuracy"),
    ("val_cross_entropy", "held-out cross-entropy (nats)"),
    ("policy_loss", "training cross-entropy (nats)"),
    ("val_value_mse", "held-out value MSE"),
    ("positions_per_s", "training positions / s"),
)


class Curve(NamedTuple):
  title: str
  steps: list[int]
  minutes: list[float]  # wall-clock minutes since the run's first metrics row
  values: list[float]


def curves(rows: Sequence[dict]) -> dict[str, Curve]:
  """The series of `SERIES` found in metrics rows (as `core.metrics.read` returns them)."""
  if not rows:
    return {}
  start = min(r["time"] for r in rows)
  out: dict[str, Curve] = {}
  for key, title in SERIES:
    picked = [r for r in rows if key in r]
    if picked:
      out[key] = Curve(title, [int(r["step"]) for r in picked], [(r["time"] - start) / 60 for r in picked],
                       [float(r[key]) for r in picked])
  return out


def title(run_dir: str | pathlib.Path) -> str:
  """The picture's title: `GAME: NAME` from RUN_DIR/config.yaml's game and the folder's own name.

  The folder's full path would carry a machine's temporary or home folders
  into pictures that are shared, so only its last part is shown.
  """
  import yaml
  run_dir = pathlib.Path(run_dir)
  name = run_dir.resolve().name
  try:
    game = (yaml.safe_load((run_dir / "config.yaml").read_text()) or {}).get("game")
  except (OSError, yaml.YAMLError, AttributeError):
    game = None
  return f"{game}: {name}" if game else name


def plot_run(run_dir: str | pathlib.Path, out: str | pathlib.Path | None = None) -> pathlib.Path:
  """Draws RUN_DIR's curves into `out` (default RUN_DIR/curves.png), written atomically; returns the path."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  run_dir = pathlib.Path(run_dir)
  found = curves(read(run_dir / "metrics.jsonl"))
  if not found:
    raise ValueError(f"{run_dir / 'metrics.jsonl'} holds no metrics to plot")
  out = pathlib.Path(out) if out else run_dir / "curves.png"
  cols = 2 if len(found) > 1 else 1
  rows = (len(found) + cols - 1) // cols
  fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3 * rows), squeeze=False)
  for ax, curve in zip(axes.flat, found.values()):
    ax.plot(curve.minutes, curve.values, marker="o" if len(curve.values) < 30 else None, markersize=3)
    ax.set_title(curve.title)
    ax.set_xlabel("wall-clock minutes")
    ax.grid(alpha=0.3)
    top = ax.secondary_xaxis("top", functions=_step_axis(curve))
    top.set_xlabel("learner steps", fontsize=8)
  for ax in list(axes.flat)[len(found):]:
    ax.axis("off")
  fig.suptitle(title(run_dir))
  fig.tight_layout()
  with files.atomic_open(out, "wb") as f:
    fig.savefig(f, format="png", dpi=100)
  plt.close(fig)
  return out


def _step_axis(curve: Curve):
  """Minutes <-> learner steps by linear interpolation over the curve's own points."""
  import numpy as np
  minutes, steps = np.asarray(curve.minutes), np.asarray(curve.steps, float)
  if len(minutes) < 2 or np.any(np.diff(minutes) <= 0) or np.any(np.diff(steps) <= 0):
    return (lambda x: x, lambda x: x)
  return (lambda x: np.interp(x, minutes, steps), lambda x: np.interp(x, steps, minutes))
