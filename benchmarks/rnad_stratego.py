"""Barrage Stratego under R-NaD: actor moves/s (JAX rules vs OpenSpiel) and learner steps/s.

Measures, on this machine, with the main job's preset (`TrainConfig.stratego_barrage`):
  * actor moves per second on one XLA thread (as the launcher runs actors), for
    the batched JAX actor and for the OpenSpiel actor, each playing
    `--seconds` of self-play with freshly initialised parameters;
  * learner updates per second on trajectories the JAX actor recorded, at the
    preset's batch size and trajectory length, with the XLA threads the
    machine gives one process.

With `--set`, the same for the preset changed as `stratago train --set` would
change it (e.g. `--set learner.network.from_to_dim=0` for the plain MLP).
Positions per second count the steps that hold a move (`valid`); with
`actors.pack_games` a row holds several games, without it one game and padding.

  .venv/bin/python benchmarks/rnad_stratego.py
  .venv/bin/python benchmarks/rnad_stratego.py --seconds 30 --games 256
  .venv/bin/python benchmarks/rnad_stratego.py --set actors.pack_games=false --set learner.network.from_to_dim=0

On a machine with a GPU the learner runs there; `--jax-actor-device default` also
runs the JAX actor there instead of on one CPU thread (use it with more games,
e.g. `--games 4096`).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _config(overrides):
  from actors.config import TrainConfig
  from core import config as config_lib
  return config_lib.build(TrainConfig, None, overrides, base=TrainConfig.stratego_barrage())


def actor_rate(kind: str, games: int, seconds: float, overrides) -> None:
  """Prints `moves_per_s` for one actor kind (run in a child so its XLA flags apply)."""
  import jax
  import numpy as np
  from actors import self_play, stratego_self_play
  from games import openspiel_io
  from learners.rnad import learning, networks
  cfg = _config(overrides)
  game = openspiel_io.load_game(cfg.game)
  net = networks.for_game(cfg.learner.network, game)
  params = net.init(jax.random.PRNGKey(0), np.zeros((1, openspiel_io.observation_size(game)), np.float32))
  if kind == "jax":
    actor = stratego_self_play.StrategoSelfPlayActor(game, net, games, cfg.learner.trajectory_max,
                                                     cfg.actors.chunk_size, pack=cfg.actors.pack_games)
  else:
    actor = self_play.SelfPlayActor(game, learning.make_policy_fn(net), games, cfg.learner.trajectory_max,
                                    cfg.actors.chunk_size, pack=cfg.actors.pack_games)
  for _ in range(3):  # compile
    actor.run_step(params, 0)
  start, moves = time.time(), actor.moves
  while time.time() - start < seconds:
    actor.run_step(params, 0)
  print(f"moves_per_s {(actor.moves - moves) / (time.time() - start):.0f} games_finished {actor.games_finished}")


def learner_rate(steps: int, overrides) -> tuple[float, float]:
  """(updates/s, positions/s) of the preset's learner on recorded barrage games."""
  import jax
  import numpy as np
  from actors import stratego_self_play
  from games import openspiel_io
  from learners.rnad import learning, networks
  cfg = _config(overrides)
  game = openspiel_io.load_game(cfg.game)
  net = networks.for_game(cfg.learner.network, game)
  params = net.init(jax.random.PRNGKey(0), np.zeros((1, openspiel_io.observation_size(game)), np.float32))
  actor = stratego_self_play.StrategoSelfPlayActor(game, net, 64, cfg.learner.trajectory_max, cfg.learner.batch_size,
                                                   pack=cfg.actors.pack_games)
  while not actor.ready:
    actor.run_step(params, 0)
  batch = actor.ready[0]
  state = learning.init_state(cfg.learner, net, np.zeros((1, openspiel_io.observation_size(game)), np.float32),
                              jax.random.PRNGKey(0))
  update = learning.make_update(cfg.learner, net)
  state, m = update(state, batch)
  jax.block_until_ready(m)
  start = time.time()
  for _ in range(steps):
    state, m = update(state, batch)
  jax.block_until_ready(m)
  rate = steps / (time.time() - start)
  return rate, rate * float(np.sum(batch.valid))


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--seconds", type=float, default=20.0, help="seconds of self-play per actor kind")
  parser.add_argument("--games", type=int, default=128, help="games per actor (the preset's is 128)")
  parser.add_argument("--learner-steps", type=int, default=20, help="learner updates to time")
  parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                      help="change the preset as `stratago train --set` does")
  parser.add_argument("--jax-actor-device", choices=["cpu", "default"], default="cpu",
                      help="where the JAX actor runs: one CPU thread (as the launcher runs it) or JAX's default device")
  parser.add_argument("--child", choices=["jax", "openspiel"], help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  if args.child:
    actor_rate(args.child, args.games, args.seconds, args.overrides)
    return
  changes = f" with {', '.join(args.overrides)}" if args.overrides else ""
  import jax
  print(f"barrage Stratego, main-job preset{changes}, {os.cpu_count()} cores, jax {jax.__version__}, "
        f"default device {jax.devices()[0].device_kind}")
  for kind in ("jax", "openspiel"):
    on_cpu = kind == "openspiel" or args.jax_actor_device == "cpu"
    # On an accelerator this process already holds JAX's preallocated share of device memory (for the
    # learner below), so the child allocates as it goes.
    env = (dict(os.environ, XLA_FLAGS=ONE_THREAD, JAX_PLATFORMS="cpu") if on_cpu
           else {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", **os.environ})
    sets = [f"--set={o}" for o in args.overrides]
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--games", str(args.games),
                          "--seconds", str(args.seconds), *sets], env=env, capture_output=True, text=True,
                         check=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("moves_per_s")][-1]
    where = "1 XLA thread" if on_cpu else "default device"
    print(f"actor {kind:>9} ({args.games} games, {where}, {args.seconds:.0f} s): {line.split()[1]} moves/s")
  cfg = _config(args.overrides)
  steps, positions = learner_rate(args.learner_steps, args.overrides)
  where = "all cores" if jax.default_backend() == "cpu" else jax.devices()[0].device_kind
  print(f"learner (batch {cfg.learner.batch_size} x {cfg.learner.trajectory_max} steps, {where}): "
        f"{steps:.2f} updates/s = {positions:,.0f} positions/s")


if __name__ == "__main__":
  main()
