"""`stratago predict`: a network's move prediction and value error on a Go position dataset."""

from __future__ import annotations

import argparse

HELP = "score a Go policy on a position dataset: top-1/top-5 move accuracy, cross-entropy, value error"
DESCRIPTION = """\
Runs the network of a policy file or training run over every position of a
dataset (`stratago data positions`), and prints top-1 and top-5 accuracy of
the move played, the policy's cross-entropy of it (nats), the value's mean
squared error against the game's outcome, and how many positions and games
were scored. Compare two networks on held-out games with it; --json prints
the same figures as one JSON object for scripts.

examples:
  stratago predict --agent policy:runs/sl9/policy.npz --data data/heldout9
  stratago predict --agent run:runs/sl9 --data data/heldout9 --json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--agent", required=True, metavar="SPEC", help="a network: policy:PATH or run:RUN_DIR")
  parser.add_argument("--data", required=True, metavar="DATASET_DIR", help="a Go position dataset")
  parser.add_argument("--max-positions", type=int, default=0, help="score only the first N positions (0: all)")
  parser.add_argument("--batch", type=int, default=512, help="positions per network call")
  parser.add_argument("--json", action="store_true", help="print one JSON object")
  parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
  from core.errors import UserError
  if args.max_positions < 0 or args.batch < 1:
    raise UserError("--max-positions must be >= 0 and --batch >= 1")
  from evaluation import predict
  figures = predict.predict(args.agent, args.data, batch_size=args.batch, max_positions=args.max_positions,
                            progress=not args.no_progress and not args.json)
  if args.json:
    import json
    print(json.dumps(figures))
  else:
    print(f"{figures['agent']} on {figures['data']}: {figures['positions']} positions of {figures['games']} games; "
          f"top-1 {figures['top1']:.4f}, top-5 {figures['top5']:.4f}, cross-entropy {figures['cross_entropy']:.4f}, "
          f"value MSE {figures['value_mse']:.4f}")
  return 0
