"""Supervised training on a Go position dataset: the input pipeline and the loop around the learner.

  cfg = SupervisedTrainConfig(data="data/gnugo9")
  summary = train(cfg, "runs/sl9")          # RUN_DIR as `stratago train` makes it

The dataset's games are split into training and validation games (never
positions). A thread streams training batches ahead of the learner: shard by
shard in a random order, rows shuffled, each position turned by a random one
of the board's 8 symmetries, then made into OpenSpiel's observation tensors
with a legal-move mask (the empty points and pass). The loop writes the same
run folder as R-NaD's: config.yaml, metrics.jsonl and tb/, checkpoints
(latest and previous), policy.npz and summary.json; Ctrl-C saves a checkpoint
and the policy, and `--resume` continues.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import time
from typing import Any, Iterator

import numpy as np

from actors.config import RunConfig
from actors.prefetch import Prefetcher
from core import files, rundir
from core.errors import UserError
from core.metrics import MetricsWriter
from learners.supervised.config import SupervisedConfig
from learners.supervised.inputs import make_batch


@dataclasses.dataclass(frozen=True)
class DataConfig:
  """Which positions train and which validate.

  Attributes:
    path: the position dataset's folder (`stratago data positions`).
    validation_fraction: games held out for validation, by game.
    validation_positions: held-out positions scored at each validation (at most).
    validate_every_steps: learner steps between validations.
    split_seed: seeds the split, so a resumed run keeps its held-out games.
  """
  path: str = ""
  validation_fraction: float = 0.05
  validation_positions: int = 4096
  validate_every_steps: int = 500
  split_seed: int = 0

  def __post_init__(self):
    if not 0 <= self.validation_fraction < 1:
      raise ValueError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")
    if self.validation_positions < 0 or self.validate_every_steps < 1:
      raise ValueError("validation_positions must be >= 0 and validate_every_steps >= 1")


@dataclasses.dataclass(frozen=True)
class SupervisedTrainConfig:
  """A supervised run: `stratago train --algo supervised --data DATASET_DIR`.

  The default fits a 2-core CPU in under an hour (a tiny ResNet, 50 minutes);
  `gpu()` is a larger network and batch for one GPU.
  """
  algo: str = "supervised"
  game: str = ""  # default: go(board_size=N) with N the dataset's
  data: DataConfig = DataConfig()
  learner: SupervisedConfig = SupervisedConfig()
  run: RunConfig = RunConfig(max_learner_steps=1_000_000, max_minutes=50.0, checkpoint_every_steps=1000,
                             log_every_steps=100)

  @classmethod
  def gpu(cls) -> "SupervisedTrainConfig":
    from agents.networks.config import NetworkConfig
    return cls(learner=SupervisedConfig(network=NetworkConfig.from_preset("resnet", "base"), batch_size=1024,
                                        learning_rate=2e-3, warmup_steps=1000, decay_steps=100_000),
               run=RunConfig(max_learner_steps=100_000, max_minutes=0.0, checkpoint_every_steps=2000,
                             log_every_steps=200))


def _rows_of(dataset, games: np.ndarray) -> list[np.ndarray]:
  """Per shard, the rows whose game is marked in `games` (bool [num_games])."""
  return [np.flatnonzero(games[np.asarray(dataset.column(s, "game"))]) for s in range(dataset.num_shards)]


def check_batches(rows: list[np.ndarray], batch_size: int) -> None:
  """UserError unless some shard's training rows fill a batch (batches are drawn within a shard)."""
  most = max((len(r) for r in rows), default=0)
  if most < batch_size:
    raise UserError(f"the training games hold {most} positions in their largest shard, fewer than one batch "
                    f"({batch_size}); use a larger dataset or a smaller learner.batch_size")


class TrainingBatches:
  """Training batches, epoch after epoch without end: shards in a random order, rows shuffled within a shard.

  Iterate it on one thread at a time (the pipeline hands it to a `Prefetcher`);
  `epochs` counts the passes over the training rows completed so far.
  """

  def __init__(self, dataset, rows: list[np.ndarray], batch_size: int, augment: bool,
               seed: int | np.random.SeedSequence):
    from games import go
    check_batches(rows, batch_size)
    self._dataset, self._rows, self._batch_size, self._seed = dataset, rows, batch_size, seed
    self._perms = go.symmetry_permutations(dataset.board_size) if augment else None
    self.epochs = 0

  def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
    rng = np.random.default_rng(self._seed)
    rows, size = self._rows, self._batch_size
    while True:
      for shard in rng.permutation(len(rows)):
        order = rng.permutation(rows[shard])
        for start in range(0, len(order) - size + 1, size):
          yield make_batch(self._dataset.take(shard, np.sort(order[start:start + size])),
                           self._dataset.board_size, self._perms, rng)
      self.epochs += 1


def validation_batch(dataset, rows: list[np.ndarray], limit: int, seed: int) -> dict[str, np.ndarray] | None:
  """Up to `limit` held-out positions, spread over the validation games, as one batch (no symmetries)."""
  total = sum(len(r) for r in rows)
  if total == 0 or limit == 0:
    return None
  rng = np.random.default_rng(seed)
  picked = np.sort(rng.permutation(total)[:limit])
  bounds = np.cumsum([0] + [len(r) for r in rows])
  parts = []
  for s in range(len(rows)):
    local = picked[(picked >= bounds[s]) & (picked < bounds[s + 1])] - bounds[s]
    if len(local):
      parts.append(make_batch(dataset.take(s, rows[s][local]), dataset.board_size, None, None))
  return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _validate(learner, batch, chunk: int = 1024) -> dict[str, float]:
  if batch is None:
    return {}
  parts = [learner.evaluate({k: v[i:i + chunk] for k, v in batch.items()}) for i in range(0, len(batch["move"]), chunk)]
  joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
  return {"val_top1": float(joined["top1"].mean()), "val_top5": float(joined["top5"].mean()),
          "val_cross_entropy": float(joined["cross_entropy"].mean()), "val_value_mse": float(joined["value_se"].mean())}


def game_for(cfg: SupervisedTrainConfig, board_size: int) -> str:
  """The run's game string: the config's, checked against the dataset's board, or go(board_size=N)."""
  import pyspiel
  game = cfg.game or f"go(board_size={board_size},komi=7.5)"
  try:
    loaded = pyspiel.load_game(game) if game.split("(")[0] == "go" else None
  except Exception as e:  # noqa: BLE001  (pyspiel raises plain errors)
    raise UserError(f"game: cannot load '{game}': {str(e).strip().splitlines()[-1]}") from None
  if loaded is None:
    raise UserError(f"game: supervised training reads Go position datasets; '{game}' is not go(...)")
  if loaded.get_parameters()["board_size"] != board_size:
    raise UserError(f"game '{game}' is {loaded.get_parameters()['board_size']}x.., the dataset's board is "
                    f"{board_size}x{board_size}")
  return game


def train(cfg: SupervisedTrainConfig, run_dir: str | pathlib.Path, resume: bool = False,
          progress: bool = True) -> dict[str, Any]:
  """Trains until the step or time budget (or Ctrl-C); returns the summary also written to summary.json."""
  import jax
  import pyspiel
  from tqdm import tqdm
  from learners.supervised import export, learning, networks
  from retrieval import dataset as dataset_lib
  run_dir = pathlib.Path(run_dir)
  if not cfg.data.path:
    raise UserError("give --data DATASET_DIR (a folder `stratago data positions` wrote)")
  data = dataset_lib.PositionDataset(cfg.data.path)
  game_str = game_for(cfg, data.board_size)
  cfg = dataclasses.replace(cfg, game=game_str)
  game = pyspiel.load_game(game_str)
  if resume and not rundir.has_checkpoint(run_dir):
    raise UserError(f"nothing to resume: {run_dir / rundir.CHECKPOINT} does not exist")
  held_out = dataset_lib.split_by_game(data.games, cfg.data.validation_fraction, cfg.data.split_seed)
  train_rows, val_rows = _rows_of(data, ~held_out), _rows_of(data, held_out)
  check_batches(train_rows, cfg.learner.batch_size)  # before anything is written
  if not resume:
    rundir.prepare(run_dir, cfg)
  net = networks.make_network(cfg.learner, game)
  learner = learning.SupervisedLearner(cfg.learner, net, networks.init(net, game, cfg.learner.seed))
  ckpt, previous = run_dir / rundir.CHECKPOINT, run_dir / rundir.PREVIOUS_CHECKPOINT
  if resume:
    learner.restore(ckpt, fallback=previous)
    rundir.resume(run_dir, cfg, learner.steps)  # only now: a rejected resume writes nothing
  start_step = learner.steps
  val_batch = validation_batch(data, val_rows, cfg.data.validation_positions, cfg.data.split_seed)
  # A resumed run draws a new order (seeded by its step), not the rest of the interrupted epoch.
  batches = TrainingBatches(data, train_rows, cfg.learner.batch_size, cfg.learner.augment,
                            np.random.SeedSequence([cfg.learner.seed, start_step]))
  stream = Prefetcher(batches, depth=4, what="reading the dataset", name="supervised-batches")
  writer = MetricsWriter(run_dir)
  meta = {"game": game_str, "algo": "supervised"}
  t0 = time.time()
  deadline = t0 + 60 * cfg.run.max_minutes if cfg.run.max_minutes else None
  bar = tqdm(total=None if deadline else cfg.run.max_learner_steps, initial=start_step, disable=not progress,
             unit="step", dynamic_ncols=True, desc="supervised")
  rate_t, rate_step, latest = time.time(), start_step, {}
  finished = False
  try:
    while learner.steps < cfg.run.max_learner_steps and (deadline is None or time.time() < deadline):
      metrics = learner.update(next(stream))
      step = learner.steps
      if step % cfg.run.log_every_steps == 0 or step % cfg.data.validate_every_steps == 0:
        row = {k: float(v) for k, v in jax.device_get(metrics).items()}
        now = time.time()
        row["positions_per_s"] = (step - rate_step) * cfg.learner.batch_size / max(now - rate_t, 1e-9)
        row["positions_seen"] = step * cfg.learner.batch_size
        row["wall_s"] = now - t0
        rate_t, rate_step = now, step
        if step % cfg.data.validate_every_steps == 0:
          row.update(_validate(learner, val_batch))
          rate_t = time.time()  # the next speed counts training only
        writer.write(step, row)
        latest.update(row)
        bar.set_postfix({k: f"{latest[k]:.3g}" for k in ("loss", "top1", "val_top1", "positions_per_s")
                         if k in latest})
      if step % cfg.run.checkpoint_every_steps == 0:
        learner.save(ckpt, meta, previous=previous)
        rate_t = time.time()
      bar.update(1)
    finished = True
  finally:
    bar.close()
    stream.close(wait_s=5)
    if not finished:  # interrupted or failed: keep what was learned
      learner.save(ckpt, meta, previous=previous)
      export.export(run_dir / rundir.POLICY, learner.params, game=game_str, cfg=cfg.learner, step=learner.steps)
      writer.close()
  final = _validate(learner, val_batch)
  if final:
    writer.write(learner.steps, final)
  writer.close()
  learner.save(ckpt, meta, previous=previous)
  export.export(run_dir / rundir.POLICY, learner.params, game=game_str, cfg=cfg.learner, step=learner.steps)
  summary = {"game": game_str, "algo": "supervised", "start_step": start_step, "learner_steps": learner.steps,
             "positions_seen": learner.steps * cfg.learner.batch_size, "epochs": batches.epochs,
             "train_games": int((~held_out).sum()), "validation_games": int(held_out.sum()),
             "wall_s": time.time() - t0, **final, "policy": str(run_dir / rundir.POLICY),
             "checkpoint": str(ckpt)}
  files.write_atomic(run_dir / rundir.SUMMARY, json.dumps(summary, indent=2) + "\n")
  return summary
