"""Benchmark: actor moves/s and learner updates/s under the Ray launcher, against the actor count and the local launcher.

  .venv/bin/python benchmarks/ray_scaling.py --games leduc_poker stratego --actors 1 2 4 8 --seconds 60

For each game and actor count it trains for `--seconds` of learner time (no
evaluation) with `stratago train --backend ray`'s launcher on a simulated
cluster (`ray.cluster_utils.Cluster`, `--nodes` nodes on loopback, each
declaring enough CPUs for the actors: Ray's CPUs are scheduling tokens, so
on a small machine the actors share its real cores), then with the local
launcher at the same count unless `--no-local`. From the run's metrics rows
after the first third of the run (start-up and compilation left out) it
prints the median actor moves/s, the median learner steps/s, and the Ray
launcher's overhead against the local one at equal count:
1 - ray moves/s / local moves/s. The learner is not starved if its steps/s
hold while the actors scale.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import pathlib
import platform
import statistics
import tempfile

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read at Ray's import: loopback only


def measure(run_dir: pathlib.Path) -> tuple[float, float]:
  """Median actor moves/s and learner steps/s over the metrics rows after the first third of the run."""
  rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
  rows = [r for r in rows if "actor_moves_per_s" in r]
  rows = rows[len(rows) // 3:] or rows
  return (statistics.median(r["actor_moves_per_s"] for r in rows),
          statistics.median(r["learner_steps_per_s"] for r in rows))


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--games", nargs="+", default=["leduc_poker", "stratego"])
  parser.add_argument("--actors", nargs="+", type=int, default=[1, 2, 4, 8])
  parser.add_argument("--seconds", type=float, default=60.0, help="learner time per run")
  parser.add_argument("--nodes", type=int, default=3)
  parser.add_argument("--no-local", action="store_true", help="skip the local launcher's runs")
  args = parser.parse_args()

  import jax
  import ray
  from ray.cluster_utils import Cluster

  from actors import local, ray_launcher
  from actors.config import TrainConfig

  print(f"machine: {platform.node()} {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"jax {jax.__version__}, ray {ray.__version__}; {args.seconds:g} s of learning per run, no evaluation")
  most = max(args.actors)
  cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
  try:
    for _ in range(args.nodes - 1):
      cluster.add_node(num_cpus=-(-most // (args.nodes - 1)) + 1)
    ray.init(address=cluster.address, logging_level=logging.ERROR, log_to_driver=False)
    print(f"cluster: {args.nodes} simulated nodes, {ray.cluster_resources().get('CPU', 0):g} CPUs declared")
    print(f"{'game':14s} {'actors':>6s} {'launcher':>8s} {'moves/s':>10s} {'steps/s':>8s} {'overhead':>8s}")
    for game in args.games:
      for n in args.actors:
        base = TrainConfig.for_game(game)
        cfg = dataclasses.replace(
            base, actors=dataclasses.replace(base.actors, num_actors=n),
            run=dataclasses.replace(base.run, max_minutes=args.seconds / 60, max_learner_steps=10**9,
                                    log_every_steps=10, checkpoint_every_steps=10**9))
        results = {}
        with tempfile.TemporaryDirectory(prefix="ray-scaling-") as tmp:
          ray_launcher.train(cfg, pathlib.Path(tmp) / "ray", progress=False)
          results["ray"] = measure(pathlib.Path(tmp) / "ray")
          if not args.no_local:
            local.train(cfg, pathlib.Path(tmp) / "local", progress=False)
            results["local"] = measure(pathlib.Path(tmp) / "local")
        for launcher, (moves, steps) in results.items():
          overhead = ""
          if launcher == "ray" and "local" in results:
            overhead = f"{1 - moves / results['local'][0]:+.1%}"
          print(f"{game:14s} {n:6d} {launcher:>8s} {moves:10,.0f} {steps:8.1f} {overhead:>8s}", flush=True)
  finally:
    ray.shutdown()
    cluster.shutdown()


if __name__ == "__main__":
  main()
