"""The match runner's games per second against the bare batched evaluator, and how it scales with workers.

Plays `--games` barrage games of a policy against `random` with
`evaluation.tournament.run` (the runner `stratago tournament` and `match`
call: `--batch` games per worker, a fresh agent and a record per game kept
on disk) at each `--workers` and `--batch`, and the same number with the
batched evaluator training uses
(`evaluation.stratego_vs_random.play_vs_random`: every game in one jitted
batch on the JAX rules). Policy-against-random games take the runner's lock-step
path (`evaluation.stratego_batch.play_agents`, the JAX rules); `--openspiel`
also times them on OpenSpiel states, the path every other agent takes
(`tournament.run(..., lockstep=False)`). Without `--policy` it exports the main job's network
with fresh weights: speed does not depend on what the weights learned.

Each is warmed up first in this process (both batch shapes a run uses); with
more than one worker the runner starts fresh processes, so their compilation
is part of what it measures. It prints wall time and games/s.

  .venv/bin/python benchmarks/tournament_speed.py --games 100 --workers 1,2 --batch 16,100
  .venv/bin/python benchmarks/tournament_speed.py --policy runs/barrage/policy.npz --games 200
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def _fresh_policy(folder: str) -> str:
  """The main job's network, freshly initialised, exported as a policy file."""
  import jax
  import numpy as np
  from actors.config import TrainConfig
  from games import openspiel_io
  from learners.rnad import export, networks
  cfg = TrainConfig.for_game("stratego")
  game = openspiel_io.load_game(cfg.game)
  net = networks.make_network(cfg.learner.network, game)
  params = networks.init(net, jax.random.PRNGKey(0), np.zeros((1, openspiel_io.observation_size(game))))
  return str(export.export(pathlib.Path(folder) / "policy.npz", params, game=cfg.game, cfg=cfg.learner, step=0))


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--policy", help="an exported barrage policy.npz (default: the main job's network, untrained)")
  parser.add_argument("--games", type=int, default=100, help="games per measurement")
  parser.add_argument("--workers", default="1,2", help="comma-separated worker counts to time")
  parser.add_argument("--batch", default="16", help="comma-separated games per worker to time (the CLI's default: 16)")
  parser.add_argument("--openspiel", action="store_true", help="also time the games on OpenSpiel states")
  args = parser.parse_args(argv)
  from agents import policy as policy_lib
  from evaluation import stratego_vs_random, tournament
  from games import openspiel_io
  with tempfile.TemporaryDirectory() as tmp:
    path = args.policy or _fresh_policy(tmp)
    agent = policy_lib.load_policy(path)
    game_str = agent.game
    game = openspiel_io.load_game(game_str)
    print(f"policy:{'(fresh main-job network)' if not args.policy else path} against random, {args.games} games "
          f"of {game_str}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before")
    stratego_vs_random.play_vs_random(game, agent.probs, args.games, seed=1)  # compile
    start = time.time()
    stratego_vs_random.play_vs_random(game, agent.probs, args.games, seed=0)
    bare = args.games / (time.time() - start)
    print(f"  batched evaluator (one jitted batch):       {bare:7.2f} games/s")
    pairings = tournament.schedule([f"policy:{path}", "random"], args.games)
    for name, lockstep in [("lock step", True)] + [("OpenSpiel", False)] * args.openspiel:
      for batch in (int(b) for b in args.batch.split(",")):
        for warm in {batch, len(pairings) % batch} - {0}:  # this process's compilations
          tournament.run(game_str, pairings[:warm], None, progress=False, batch=warm, lockstep=lockstep)
        for workers in (int(w) for w in args.workers.split(",")):
          out = pathlib.Path(tmp) / f"{name.replace(' ', '')}-w{workers}-b{batch}"
          out.mkdir()
          start = time.time()
          tournament.run(game_str, pairings, str(out), workers=workers, progress=False, batch=batch, lockstep=lockstep)
          rate = len(pairings) / (time.time() - start)
          print(f"  tournament runner, {name}, {workers} worker(s), batch {batch}, records kept: {rate:7.2f} games/s "
                f"({100 * rate / bare:.0f}% of the batched evaluator)")


if __name__ == "__main__":
  main()
