"""How low NashConv can go under NeuRD's logit threshold beta: an equilibrium with its logits floored.

NeuRD stops pushing a logit down once it is more than beta below the mean of
the legal actions' logits (`learners.rnad.losses.apply_force_with_threshold`).
At an equilibrium the only force left is on the actions outside its support,
which are pushed down, so a policy trained with that beta ends with those
actions at beta below the mean instead of at probability zero. This script
solves the game with OpenSpiel's CFR+ (`--iterations`), then for each beta
raises each information state's centred log-probabilities to at least -beta
(re-centring until it holds), and prints the NashConv of that floored
equilibrium: an estimate of the lowest a policy trained with that beta
reaches. An estimate: CFR+ settles on one equilibrium of a family (Kuhn's
has a free parameter), and a policy within the floor may shift the
probabilities of the actions it does play.

  .venv/bin/python benchmarks/neurd_beta_floor.py                         # Leduc, betas 1-8
  .venv/bin/python benchmarks/neurd_beta_floor.py --game kuhn_poker --iterations 1000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyspiel
import tqdm
from open_spiel.python import policy as policy_lib
from open_spiel.python.algorithms import cfr, exploitability


def floored(policy: np.ndarray, legal: np.ndarray, beta: float, rounds: int = 200) -> np.ndarray:
  """[N, A] probabilities whose log-probabilities, centred over legal actions, are all >= -beta."""
  def centre(x):
    return x - np.sum(x * legal, -1, keepdims=True) / np.sum(legal, -1, keepdims=True)

  centred = centre(np.log(np.maximum(policy, 1e-30)) * (legal > 0))
  for _ in range(rounds):  # each round shrinks how far below -beta any logit is, by (n - 1) / n at worst
    centred = centre(np.maximum(centred, -beta) * (legal > 0))
  weights = np.where(legal > 0, np.exp(centred - np.max(centred, -1, keepdims=True)), 0.0)
  return weights / np.sum(weights, -1, keepdims=True)


def nashconv_floors(game, iterations: int, betas, progress: bool = False) -> tuple[float, dict[float, float]]:
  """NashConv of CFR+'s average policy after `iterations`, and of it floored at each beta."""
  solver = cfr.CFRPlusSolver(game)
  for _ in tqdm.trange(iterations, desc="CFR+", unit="it", disable=not progress):
    solver.evaluate_and_update_policy()
  solved = policy_lib.tabular_policy_from_callable(game, solver.average_policy())
  floors = {}
  for beta in betas:
    out = solved.__copy__()
    out.action_probability_array = floored(solved.action_probability_array, solved.legal_actions_mask, beta)
    floors[beta] = float(exploitability.nash_conv(game, out))
  return float(exploitability.nash_conv(game, solved)), floors


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--game", default="leduc_poker", help="an OpenSpiel two-player zero-sum game")
  parser.add_argument("--iterations", type=int, default=300, help="CFR+ iterations (default 300)")
  parser.add_argument("--betas", default="1,2,3,4,6,8", help="comma-separated thresholds")
  args = parser.parse_args(argv)
  try:
    game = pyspiel.load_game(args.game)
    betas = [float(b) for b in args.betas.split(",")]
  except (pyspiel.SpielError, ValueError) as e:
    parser.error(str(e))
  start = time.time()
  solved, floors = nashconv_floors(game, args.iterations, betas, progress=True)
  print(f"{args.game}: CFR+ {args.iterations} iterations and the floors in {time.time() - start:.0f} s, "
        f"NashConv {solved:.4f}")
  print(f"{'beta':>6} {'NashConv of the floored equilibrium':>37}")
  for beta, value in floors.items():
    print(f"{beta:>6g} {value:>37.4f}")


if __name__ == "__main__":
  main()
