"""Barrage matches against random: games per second on the batched JAX rules and through OpenSpiel.

Plays `--games` games of an exported policy (or, without `--policy`, the
uniform policy) against the uniformly random player with
`evaluation.stratego_vs_random.play_vs_random` and with
`evaluation.vs_random.play_vs_random`, and prints each one's wall time,
games per second and result. The first call of each includes JAX compilation,
so each is run once on 8 games before it is timed. An exported policy plays
post-processed (threshold, discretisation) when its config's
`finetune.at_eval` says so, as in training's evaluation; `--raw` plays the
network's own probabilities.

  .venv/bin/python benchmarks/stratego_vs_random.py
  .venv/bin/python benchmarks/stratego_vs_random.py --policy runs/barrage/policy.npz --games 1000
  .venv/bin/python benchmarks/stratego_vs_random.py --policy runs/barrage/policy.npz --games 1000 --raw
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

GAME = "stratego(variant=barrage,deployment=play,history=0)"  # the main job's game


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--policy", help="an exported policy.npz (default: the uniform policy)")
  parser.add_argument("--games", type=int, default=200, help="games per match")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--skip-openspiel", action="store_true", help="time only the JAX match")
  parser.add_argument("--raw", action="store_true", help="play the policy without its post-processing")
  args = parser.parse_args(argv)
  from evaluation import stratego_vs_random, vs_random
  from games import openspiel_io
  if args.policy:
    from learners.rnad import export
    policy = export.load(args.policy, post_process=False if args.raw else None)
    game, probs = openspiel_io.load_game(policy.game), policy.probs
    how = policy.post_process.describe() if policy.post_process else "no post-processing"
    name = f"{args.policy} (step {policy.step_count}, {how})"
  else:
    game, name = openspiel_io.load_game(GAME), "the uniform policy"
    probs = lambda obs, legal: legal / legal.sum(axis=-1, keepdims=True)  # noqa: E731
  print(f"{name} against random, {args.games} games of {game}, {os.cpu_count()} cores")
  matches = [("JAX rules", stratego_vs_random.play_vs_random)]
  if not args.skip_openspiel:
    matches.append(("OpenSpiel", vs_random.play_vs_random))
  for label, play in matches:
    play(game, probs, 8, seed=args.seed + 1)  # compile
    start = time.time()
    res = play(game, probs, args.games, seed=args.seed)
    wall = time.time() - start
    print(f"{label:>9}: {wall:6.1f} s, {args.games / wall:6.2f} games/s; won {res.wins}, drawn {res.draws}, "
          f"lost {res.losses} (win rate {res.win_rate:.3f})")
    if res.ends:
      print(" " * 11 + "; ".join(f"{how} {n}" for how, n in res.ends.items()))


if __name__ == "__main__":
  main()
