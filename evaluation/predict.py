"""How well a network predicts expert moves and outcomes on a Go position dataset: `stratago predict`.

  figures = predict("policy:runs/sl9/policy.npz", "data/heldout9")
  figures["top1"], figures["cross_entropy"], figures["value_mse"]

Every position of the dataset is scored, in its own orientation: top-1 and
top-5 move accuracy, the policy's cross-entropy of the move played (nats), the
value's mean squared error against the game's outcome for the side to move
(the value clipped to [-1, 1]), and the counts of positions and games. The
policy is the network's own, without a policy file's post-processing; a
probability below 1e-12 counts as 1e-12 in the cross-entropy. Legal moves
are the empty points and pass (the dataset does not record ko or suicide).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import UserError


def predict(agent_spec: str, data_dir: str, batch_size: int = 512, max_positions: int = 0,
            progress: bool = False) -> dict[str, Any]:
  """The figures above for the network agent `agent_spec` (`policy:` or `run:`) over `data_dir`."""
  import pyspiel
  from agents import specs
  from agents.policy import PolicyAgent
  from learners.supervised.inputs import make_batch
  from retrieval import dataset as dataset_lib
  data = dataset_lib.PositionDataset(data_dir)
  size = data.board_size
  trained = specs.trained_game(agent_spec)
  if trained is None:
    raise UserError(f"predict scores a network's policy and value: give policy:PATH or run:RUN_DIR, not "
                    f"'{agent_spec}'")
  if not trained.startswith("go(") or pyspiel.load_game(trained).get_parameters()["board_size"] != size:
    raise UserError(f"'{agent_spec}' plays {trained}; the dataset is Go on {size}x{size}")
  agent = specs.make_agent(agent_spec, pyspiel.load_game(trained))
  if not isinstance(agent, PolicyAgent):
    raise UserError(f"predict scores the network alone; drop the search options of '{agent_spec}'")

  total = len(data) if not max_positions else min(max_positions, len(data))
  sums = {"top1": 0.0, "top5": 0.0, "cross_entropy": 0.0, "value_se": 0.0}
  games: set[int] = set()
  seen = 0
  bar = None
  if progress:
    from tqdm import tqdm
    bar = tqdm(total=total, unit="pos", desc="predict")
  for rows in data.batches(batch_size):
    rows = {k: v[:total - seen] for k, v in rows.items()}
    batch = make_batch(rows, size, None, None)
    probs, value = agent.evaluate(batch["obs"], batch["legal"].astype(np.float32))  # the raw policy
    move = batch["move"]
    p_move = probs[np.arange(len(move)), move]
    top5 = np.argsort(-probs, axis=1, kind="stable")[:, :5]  # ties: the lower action first, as argmax
    sums["top1"] += float(np.sum(top5[:, 0] == move))
    sums["top5"] += float(np.sum(np.any(top5 == move[:, None], axis=1)))
    sums["cross_entropy"] += float(np.sum(-np.log(np.maximum(p_move, 1e-12))))
    sums["value_se"] += float(np.sum((value - batch["value"]) ** 2))
    games.update(np.unique(rows["game"]).tolist())
    seen += len(move)
    if bar is not None:
      bar.update(len(move))
    if seen >= total:
      break
  if bar is not None:
    bar.close()
  if seen == 0:
    raise UserError(f"{data_dir} holds no positions")
  return {"agent": agent_spec, "data": str(data_dir), "positions": seen, "games": len(games),
          "top1": sums["top1"] / seen, "top5": sums["top5"] / seen,
          "cross_entropy": sums["cross_entropy"] / seen, "value_mse": sums["value_se"] / seen}
