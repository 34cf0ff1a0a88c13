"""The match runner's games per second against the bare batched evaluator, and how it scales with workers.

Plays `--games` barrage games of a policy against `random` with
`evaluation.tournament.run` (OpenSpiel states, `--batch` games per worker
with one network call per move for all of them, a fresh agent and a record
per game) at each `--workers` count, and the same
number with the batched evaluator training uses
(`evaluation.stratego_vs_random.play_vs_random`: every game in one jitted
batch on the JAX rules). Without `--policy` it exports the main job's network
with fresh weights: speed does not depend on what the weights learned.
Each is warmed up on a few games first; it prints wall time and games/s.

  .venv/bin/python benchmarks/tournament_speed.py --games 100 --workers 1,2
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
  parser.add_argument("--batch", type=int, default=16, help="games each worker plays together (the CLI's default)")
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
    stratego_vs_random.play_vs_random(game, agent.probs, 8, seed=1)  # compile
    start = time.time()
    stratego_vs_random.play_vs_random(game, agent.probs, args.games, seed=0)
    bare = args.games / (time.time() - start)
    print(f"  batched evaluator (one jitted batch):       {bare:7.2f} games/s")
    for workers in (int(w) for w in args.workers.split(",")):
      pairings = tournament.schedule([f"policy:{path}", "random"], (args.games + 1) // 2)
      tournament.run(game_str, pairings[:2 * workers], None, workers=workers, progress=False, batch=2)  # warm-up
      out = pathlib.Path(tmp) / f"w{workers}"
      out.mkdir()
      start = time.time()
      tournament.run(game_str, pairings, str(out), workers=workers, progress=False, batch=args.batch)
      rate = len(pairings) / (time.time() - start)
      print(f"  tournament runner, {workers} worker(s), batch {args.batch}, records kept: {rate:7.2f} games/s "
            f"({100 * rate / bare:.0f}% of the batched evaluator)")


if __name__ == "__main__":
  main()
