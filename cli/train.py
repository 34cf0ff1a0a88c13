"""`stratago train`: train an agent by self-play (R-NaD) on this machine or a Ray cluster, or from expert games."""

from __future__ import annotations

import argparse
import pathlib

from cli import _common
from core.errors import UserError

HELP = "train an agent by self-play with R-NaD (Reverb replay, learner and actor processes)"
DESCRIPTION = """\
Starts a Reverb server on loopback, the R-NaD learner and several self-play
actor processes on this machine, and trains until the step or time budget
(run.max_learner_steps, run.max_minutes), showing a progress bar. RUN_DIR gets
the resolved config.yaml, metrics.jsonl and TensorBoard events (tb/), atomic
checkpoints (checkpoints/latest.npz), the exported policy (policy.npz) and
summary.json. Ctrl-C saves a checkpoint and stops every process; --resume
continues from the last checkpoint. Each game has a preset (kuhn_poker,
leduc_poker, stratego); --config and --set change any value of it.
--backend ray runs the same server, learner and actors as Ray actors on a
cluster (or a private Ray instance here), restarting those that die; its
resources and restart budgets are the config's ray section.

examples:
  stratago train --game kuhn_poker --out runs/kuhn
  stratago train --game leduc_poker --out runs/leduc --set run.max_minutes=10
  stratago train --game stratego --out runs/barrage     # the main job: barrage, pieces placed by the agent
  stratago train --game 'stratego(variant=barrage,deployment=random)' --out runs/barrage-dealt
  stratago train --game kuhn_poker --out runs/kuhn2 --set learner.eta=0.1 --set actors.num_actors=3
  stratago train --resume runs/kuhn --set run.max_learner_steps=30000   # 10,000 more than the preset's
  stratago train --game 'go(board_size=9)' --out runs/go9 --network resnet:small --set run.max_minutes=5
  stratago train --algo supervised --data data/gnugo9 --out runs/sl9   # Go from expert games, 50 min on a CPU
  stratago train --game stratego --out runs/barrage --backend ray --ray-address 10.0.0.1:6379   # on a cluster
"""

ALGOS = ("rnad", "supervised")


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--game", default=None,
                      help="OpenSpiel game string, e.g. kuhn_poker, leduc_poker, "
                           "'stratego(variant=barrage,deployment=random)' (default: the preset's, kuhn_poker)")
  parser.add_argument("--algo", default="rnad", choices=ALGOS, help="training algorithm")
  parser.add_argument("--data", metavar="DATASET_DIR", default=None,
                      help="--algo supervised: a Go position dataset (`stratago data positions`)")
  parser.add_argument("--preset", choices=("cpu", "gpu"), default=None,
                      help="--algo supervised: cpu (a tiny ResNet, 50 minutes on 2 cores; the default) or gpu "
                           "(a base ResNet, batch 1,024, 100,000 steps)")
  parser.add_argument("--out", metavar="RUN_DIR", default=None, help="output folder of the run")
  parser.add_argument("--resume", metavar="RUN_DIR", default=None,
                      help="continue the run in RUN_DIR from its last checkpoint, with its config.yaml")
  parser.add_argument("--network", metavar="BACKBONE[:PRESET]", default=None,
                      help="the policy network: mlp, transformer, moe, griffin or resnet, with a preset "
                           "tiny, small, base or large (default small), e.g. transformer:small "
                           "(default: the game preset's MLP); --set learner.network.KEY changes it further")
  parser.add_argument("--backend", choices=("local", "ray"), default="local",
                      help="local: processes on this machine (the default); ray: Ray actors on a cluster, "
                           "restarted when they die (see docs/cluster.md)")
  parser.add_argument("--ray-address", metavar="ADDR", default=None,
                      help="--backend ray: a running cluster's address, e.g. 10.0.0.1:6379 "
                           "(default: a private Ray instance on this machine)")
  parser.add_argument("--no-progress", action="store_true", help="no progress bar")
  _common.add_config_options(parser)


def network_config(spec: str):
  """`BACKBONE[:PRESET]` as a network config; UserError naming the choices for anything else."""
  from agents.networks.config import Backbone, NetworkConfig, Preset
  backbone, _, preset = spec.partition(":")
  backbones, presets = [b.value for b in Backbone], [p.value for p in Preset]
  if backbone not in backbones or (preset or "small") not in presets:
    raise UserError(f"--network '{spec}': expected BACKBONE[:PRESET] with BACKBONE one of {', '.join(backbones)} "
                    f"and PRESET one of {', '.join(presets)}")
  return NetworkConfig.from_preset(backbone, preset or "small")


def build_train_config(game: str | None, config_file: str | None, overrides: list[str],
                       network: str | None = None):
  """The game's preset, its network replaced by --network, then a YAML file, then --set overrides."""
  import dataclasses
  from actors.config import TrainConfig
  from core import config as config_lib
  base = TrainConfig.for_game(game) if game else TrainConfig.kuhn_poker()
  if network:
    base = dataclasses.replace(base, learner=dataclasses.replace(base.learner, network=network_config(network)))
  return config_lib.build(TrainConfig, config_file, overrides, base=base)


def run(args: argparse.Namespace) -> int:
  if args.algo == "supervised" or (args.resume and _resumed_algo(args.resume) == "supervised"):
    return _run_supervised(args)
  if args.data or args.preset:
    raise UserError("--data and --preset are for --algo supervised")
  if args.ray_address and args.backend != "ray":
    raise UserError("--ray-address is for --backend ray")
  from core import config as config_lib
  if args.resume:
    if args.config or args.game or args.network or (args.out and args.out != args.resume):
      raise UserError("--resume takes the run's own config.yaml; use --set to change a value")
    run_dir = pathlib.Path(args.resume)
    if not (run_dir / "config.yaml").exists():
      raise UserError(f"nothing to resume: {run_dir / 'config.yaml'} does not exist")
    from actors.config import TrainConfig
    cfg = config_lib.build(TrainConfig, run_dir / "config.yaml", args.overrides)
  else:
    if not args.out:
      raise UserError("give --out RUN_DIR (or --resume RUN_DIR)")
    run_dir = pathlib.Path(args.out)  # local.train refuses it unless it is missing or empty
    cfg = build_train_config(args.game, args.config, args.overrides, args.network)
  from evaluation import training as eval_training
  options = dict(resume=bool(args.resume), progress=not args.no_progress,
                 evaluator=eval_training.evaluator_for(cfg.eval))
  if args.backend == "ray":
    from actors import ray_launcher
    summary = ray_launcher.train(cfg, run_dir, address=args.ray_address, **options)
  else:
    from actors import local
    summary = local.train(cfg, run_dir, **options)
  parts = [f"{summary['learner_steps']} learner steps in {summary['wall_s']:.0f} s"]
  if "nashconv" in summary:
    parts.append(f"NashConv {summary['nashconv']:.4f}")
  if "win_rate_vs_random" in summary:
    parts.append(f"win rate vs random {summary['win_rate_vs_random']:.3f}")
  if cfg.learner.finetune.at_eval:
    parts.append(f"policy post-processed ({cfg.learner.finetune.describe()})")
  print(f"train: {', '.join(parts)}; policy {summary['policy']}", flush=True)
  return 0


def _resumed_algo(run_dir: str) -> str:
  """The algorithm of the run in RUN_DIR (its config.yaml's `algo`, R-NaD's runs having none)."""
  path = pathlib.Path(run_dir) / "config.yaml"
  try:
    text = path.read_text()
  except (OSError, UnicodeDecodeError):
    return "rnad"  # the R-NaD path says what is wrong with the folder
  return "supervised" if any(line.strip() == "algo: supervised" for line in text.splitlines()) else "rnad"


def _run_supervised(args: argparse.Namespace) -> int:
  """`--algo supervised`: a policy and value from a Go position dataset (see `actors.supervised_loop`)."""
  import dataclasses
  from actors import supervised_loop
  from core import config as config_lib
  cls = supervised_loop.SupervisedTrainConfig
  if args.backend != "local" or args.ray_address:
    raise UserError("--backend ray is for self-play training (--algo rnad)")
  if args.resume:
    if args.config or args.game or args.network or args.data or args.preset or (args.out and args.out != args.resume):
      raise UserError("--resume takes the run's own config.yaml; use --set to change a value")
    run_dir = pathlib.Path(args.resume)
    cfg = config_lib.build(cls, run_dir / "config.yaml", args.overrides)
  else:
    if not args.out:
      raise UserError("give --out RUN_DIR (or --resume RUN_DIR)")
    run_dir = pathlib.Path(args.out)
    flags = {"data.path": args.data, "game": args.game}
    base = cls.gpu() if args.preset == "gpu" else cls()
    if args.network:
      base = dataclasses.replace(base, learner=dataclasses.replace(base.learner, network=network_config(args.network)))
    cfg = config_lib.build(cls, args.config, [*(f"{k}={v}" for k, v in flags.items() if v), *args.overrides],
                           base=base)
  summary = supervised_loop.train(cfg, run_dir, resume=bool(args.resume), progress=not args.no_progress)
  parts = [f"{summary['learner_steps']} learner steps ({summary['positions_seen']:,} positions) "
           f"in {summary['wall_s']:.0f} s"]
  if "val_top1" in summary:
    parts.append(f"held-out top-1 {summary['val_top1']:.3f}, top-5 {summary['val_top5']:.3f}")
  print(f"train: {', '.join(parts)}; policy {summary['policy']}", flush=True)
  return 0
