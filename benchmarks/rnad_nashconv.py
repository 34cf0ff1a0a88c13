"""NashConv of R-NaD against learner steps and wall time on Kuhn and Leduc poker, and throughput.

Trains each game with the embedded launcher (Reverb server, learner, actor
processes on this machine) for a fixed wall-clock budget, evaluating NashConv
exactly every few learner steps, then prints NashConv against learner steps
and seconds, the learner's steps per second and the actors' moves per second.
The budget in CPU minutes is the wall budget times the cores the run may use.

  .venv/bin/python benchmarks/rnad_nashconv.py                  # both games, default budgets
  .venv/bin/python benchmarks/rnad_nashconv.py --games kuhn_poker --minutes 3
  .venv/bin/python benchmarks/rnad_nashconv.py --games leduc_poker --set learner.adam.learning_rate=5e-4

`--set key=value` changes each game's preset as `stratago train --set` does,
to benchmark a variant (after the benchmark's own run and eval settings, so
`--set eval.every_steps=500` wins over them).

Optionally, `--reference FILE` times OpenSpiel's former single-process
`rnad.py` (deleted upstream in 2025; not shipped here) on Kuhn poker with its
default config for the same wall-clock budget, for comparison.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from actors import local  # noqa: E402
from actors.config import EvalConfig, RunConfig, TrainConfig  # noqa: E402
from core import config as config_lib  # noqa: E402
from core.metrics import read  # noqa: E402
from evaluation.training import evaluator_for  # noqa: E402

TARGETS = {"kuhn_poker": 0.05, "leduc_poker": 0.3}
DEFAULT_MINUTES = {"kuhn_poker": 3.0, "leduc_poker": 15.0}
EVAL_EVERY = {"kuhn_poker": 100, "leduc_poker": 250}


def run_game(game: str, minutes: float, out: pathlib.Path, overrides=()) -> dict:
  base = dataclasses.replace(
      TrainConfig.for_game(game),
      run=RunConfig(max_learner_steps=10_000_000, max_minutes=minutes, checkpoint_every_steps=100_000,
                    log_every_steps=EVAL_EVERY[game]),
      eval=EvalConfig(every_steps=EVAL_EVERY[game], nashconv=True))
  cfg = config_lib.build(TrainConfig, None, overrides, base=base)
  t0 = time.time()
  summary = local.train(cfg, out, progress=False, evaluator=evaluator_for(cfg.eval))
  wall = time.time() - t0
  rows = read(out / "metrics.jsonl")
  start = rows[0]["time"] if rows else t0
  print(f"\n== {game}: budget {minutes:.1f} wall minutes on {os.cpu_count()} cores "
        f"({minutes * os.cpu_count():.0f} CPU minutes), {cfg.actors.num_actors} actor processes, "
        f"batch {cfg.learner.batch_size}")
  print(f"{'step':>8} {'wall_s':>8} {'nashconv':>9} {'learner/s':>10} {'moves/s':>9}")
  for r in rows:
    if "nashconv" in r and "loss" in r or r["step"] == 0:
      print(f"{r['step']:>8} {r['time'] - start + (rows[0].get('wall_s', 0) or 0):>8.1f} {r['nashconv']:>9.4f} "
            f"{r.get('learner_steps_per_s', float('nan')):>10.1f} {r.get('actor_moves_per_s', float('nan')):>9.0f}")
  timed = [r for r in rows if "learner_steps_per_s" in r]
  mean = lambda k: sum(r[k] for r in timed) / max(len(timed), 1)  # noqa: E731
  hit = next((r for r in rows if r.get("nashconv", 9) < TARGETS[game] and r["step"] > 0), None)
  lowest = min((r for r in rows if "nashconv" in r and r["step"] > 0), key=lambda r: r["nashconv"], default=None)
  result = {"game": game, "final_nashconv": summary.get("nashconv"), "learner_steps": summary["learner_steps"],
            "wall_s": wall, "mean_learner_steps_per_s": mean("learner_steps_per_s"),
            "mean_actor_moves_per_s": mean("actor_moves_per_s"), "target": TARGETS[game],
            "first_below_target_step": hit and hit["step"],
            "first_below_target_wall_s": hit and hit["time"] - start,
            "lowest_nashconv": lowest and lowest["nashconv"], "lowest_step": lowest and lowest["step"],
            "lowest_wall_s": lowest and lowest["time"] - start}
  print(json.dumps(result))
  return result


def run_reference(path: str, minutes: float) -> dict:
  """Times the former OpenSpiel `rnad.py` (single process) on Kuhn with its defaults."""
  spec = importlib.util.spec_from_file_location("rnad_reference", path)
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  import pyspiel
  from evaluation.nashconv import NashConvEvaluator
  solver = mod.RNaDSolver(mod.RNaDConfig(game_name="kuhn_poker"))
  evaluator = NashConvEvaluator(pyspiel.load_game("kuhn_poker"))
  import numpy as np

  def probs(obs, legal):  # The reference's own evaluation policy (target network, post-processed).
    env = mod.EnvStep(obs=obs.astype(np.float64), legal=legal.astype(np.float64),
                      player_id=np.zeros(len(obs)), valid=np.ones(len(obs)), rewards=np.zeros((len(obs), 2)))
    return np.asarray(solver._network_jit_apply_and_post_process(solver.params_target, env))

  t0 = time.time()
  rows = []
  while time.time() - t0 < 60 * minutes:
    solver.step()
    if solver.learner_steps % 100 == 0:
      rows.append((solver.learner_steps, time.time() - t0, evaluator(probs)))
  wall = time.time() - t0
  print(f"\n== reference rnad.py on kuhn_poker, {minutes:.1f} wall minutes, batch 256")
  for step, t, nc in rows:
    print(f"{step:>8} {t:>8.1f} {nc:>9.4f}")
  result = {"game": "kuhn_poker (reference)", "learner_steps": solver.learner_steps, "wall_s": wall,
            "mean_learner_steps_per_s": solver.learner_steps / wall,
            "mean_actor_moves_per_s": solver.actor_steps / wall,
            "final_nashconv": rows[-1][2] if rows else None}
  print(json.dumps(result))
  return result


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--games", default="kuhn_poker,leduc_poker")
  parser.add_argument("--minutes", type=float, default=None, help="wall minutes per game (default: 3 Kuhn, 15 Leduc)")
  parser.add_argument("--reference", default=None, help="path to OpenSpiel's former rnad.py, to time it too")
  parser.add_argument("--out", default=None, help="keep the runs here (default: a temporary folder)")
  parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                      help="change the preset, e.g. learner.adam.learning_rate=5e-4 (repeatable)")
  args = parser.parse_args()
  out = pathlib.Path(args.out or tempfile.mkdtemp(prefix="rnad-bench-"))
  results = []
  for game in filter(None, args.games.split(",")):
    try:
      results.append(run_game(game, args.minutes or DEFAULT_MINUTES[game], out / game, args.overrides))
    except config_lib.ConfigError as e:
      sys.exit(f"rnad_nashconv: {e}")
  if args.reference:
    results.append(run_reference(args.reference, args.minutes or DEFAULT_MINUTES["kuhn_poker"]))
  print("\n== summary")
  for r in results:
    target = (f" (target < {r['target']}, first reached at step {r['first_below_target_step']}; lowest "
              f"{r['lowest_nashconv']} at step {r['lowest_step']})" if "target" in r else "")
    print(f"{r['game']}: NashConv {r['final_nashconv']}{target} after {r['learner_steps']} learner steps in "
          f"{r['wall_s']:.0f} s; {r['mean_learner_steps_per_s']:.1f} learner steps/s, "
          f"{r['mean_actor_moves_per_s']:.0f} actor moves/s")


if __name__ == "__main__":
  main()
