"""R-NaD's two halves timed alone: actor moves/s and learner updates/s, for a game's training preset.

Measures, on this machine, with the preset `stratago train --game GAME` uses
(`TrainConfig.for_game`; `stratego` is the README's barrage main job):
  * actor moves per second on one XLA thread (as the launcher runs actors),
    each actor kind playing `--seconds` of self-play with freshly initialised
    parameters: the preset's actor (Stratego's batched JAX rules, or a small
    game's enumerated tree where `actors.tabular` is set) and the OpenSpiel
    actor every game has;
  * learner updates per second on a batch the actor recorded, at the preset's
    batch size and trajectory length, with the XLA threads the machine gives
    one process, timed at two points of an entropy-schedule iteration: its
    first step, where the regularisation policy is interpolated between the two
    latest reg networks (four forward passes: online, target, reg, reg_prev),
    and its second half, where that weight is 1 and reg_prev's pass is skipped
    (three).

In training both halves share the machine (and the rate limiter sets how many
actor moves each learner step needs), so `benchmarks/rnad_nashconv.py` and the
training log report lower figures than these. With `--set`, the same for the
preset changed as `stratago train --set` would change it. Positions per second
count the steps that hold a move (`valid`); with `actors.pack_games` a row
holds several games one blank step apart, without it one game and padding.

  .venv/bin/python benchmarks/rnad_speeds.py                      # barrage Stratego (the main job)
  .venv/bin/python benchmarks/rnad_speeds.py --game leduc_poker
  .venv/bin/python benchmarks/rnad_speeds.py --game leduc_poker --set 'learner.network.hidden=[96,96]'
  .venv/bin/python benchmarks/rnad_speeds.py --seconds 30 --games 256
  .venv/bin/python benchmarks/rnad_speeds.py --set actors.pack_games=false --set learner.network.head.policy=flat

On a machine with a GPU the learner runs there; `--jax-actor-device default` also
runs Stratego's JAX actor there instead of on one CPU thread (use it with more
games, e.g. `--games 4096`).
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


def _config(game: str, overrides):
  from actors.config import TrainConfig
  from core import config as config_lib
  return config_lib.build(TrainConfig, None, overrides, base=TrainConfig.for_game(game))


def _setup(game_name: str, overrides):
  import jax
  import numpy as np
  from games import openspiel_io
  from learners.rnad import networks
  cfg = _config(game_name, overrides)
  game = openspiel_io.load_game(cfg.game)
  net = networks.make_network(cfg.learner.network, game)
  example = np.zeros((1, openspiel_io.observation_size(game)), np.float32)
  return cfg, game, net, example, networks.init(net, jax.random.PRNGKey(0), example)


def actor_rate(game_name: str, kind: str, games: int, seconds: float, overrides) -> None:
  """Prints `moves_per_s` for one actor kind (run in a child so its XLA flags apply)."""
  cfg, game, net, _, params = _setup(game_name, overrides)
  from actors import factory
  actor = factory.make_actor(cfg, game, net, games, cfg.actors.chunk_size, kind=kind)
  for _ in range(3):  # compile
    actor.run_step(params, 0)
  start, moves = time.time(), actor.moves
  while time.time() - start < seconds:
    actor.run_step(params, 0)
  print(f"moves_per_s {(actor.moves - moves) / (time.time() - start):.0f} games_finished {actor.games_finished}")


def learner_rates(game_name: str, steps: int, overrides) -> tuple[float, dict[int, float]]:
  """(valid positions per batch, {learner step: updates/s}) of the preset's learner on recorded games.

  Timed at an iteration's first step (alpha 0) and at its middle (alpha 1).
  """
  import jax
  import numpy as np
  from actors import factory
  from learners.rnad import learning
  from learners.rnad.config import entropy_schedule_boundaries
  cfg, game, net, example, params = _setup(game_name, overrides)
  actor = factory.make_actor(cfg, game, net, 64, cfg.learner.batch_size)
  while not actor.ready:
    actor.run_step(params, 0)
  batch = actor.ready[0]
  bounds = entropy_schedule_boundaries(cfg.learner.entropy_schedule)
  rates = {}
  for at in (0, int(bounds[1]) // 2):
    # The launcher's learner, fed the same batch: what it does to a batch before the update is timed too.
    learner = learning.RNaDLearner(cfg.learner, net, example, iter(lambda: batch, None))
    learner.state = learner.state._replace(step=jax.numpy.asarray(at, learner.state.step.dtype))
    jax.block_until_ready(learner.step())  # compile (the step is traced, so once)
    start = time.time()
    for _ in range(steps):
      m = learner.step()
    jax.block_until_ready(m)
    rates[at] = steps / (time.time() - start)
  return float(np.sum(batch.valid)), rates


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--game", default="stratego",
                      help="the game whose training preset is timed (default: stratego, the barrage main job)")
  parser.add_argument("--seconds", type=float, default=20.0, help="seconds of self-play per actor kind")
  parser.add_argument("--games", type=int, default=None, help="games per actor (default: the preset's)")
  parser.add_argument("--learner-steps", type=int, default=20, help="learner updates to time at each point")
  parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                      help="change the preset as `stratago train --set` does")
  parser.add_argument("--jax-actor-device", choices=["cpu", "default"], default="cpu",
                      help="where Stratego's JAX actor runs: one CPU thread (as the launcher runs it) or JAX's "
                           "default device")
  parser.add_argument("--child", choices=["jax", "tabular", "openspiel"], help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  from core.errors import UserError
  try:
    cfg = _config(args.game, args.overrides)
  except (UserError, ValueError) as e:
    parser.error(str(e).splitlines()[0])
  games = args.games or cfg.actors.games_per_actor
  if args.child:
    actor_rate(args.game, args.child, games, args.seconds, args.overrides)
    return
  from actors import factory
  from games import openspiel_io
  try:
    game = openspiel_io.load_game(cfg.game)
  except Exception as e:  # pyspiel raises plain errors for unknown games.
    parser.error(f"cannot load game '{cfg.game}': {str(e).splitlines()[0]}")
  kinds = tuple(dict.fromkeys((factory.actor_kind(cfg, game), "openspiel")))  # the preset's, then OpenSpiel's
  changes = f" with {', '.join(args.overrides)}" if args.overrides else ""
  import jax
  print(f"{cfg.game}, training preset{changes}, {os.cpu_count()} cores, jax {jax.__version__}, "
        f"default device {jax.devices()[0].device_kind}")
  for kind in kinds:
    on_cpu = kind != "jax" or args.jax_actor_device == "cpu"
    # On an accelerator this process already holds JAX's preallocated share of device memory (for the
    # learner below), so the child allocates as it goes.
    env = (dict(os.environ, XLA_FLAGS=ONE_THREAD, JAX_PLATFORMS="cpu") if on_cpu
           else {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", **os.environ})
    sets = [f"--set={o}" for o in args.overrides]
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--game", args.game, "--games", str(games),
                          "--seconds", str(args.seconds), *sets], env=env, capture_output=True, text=True,
                         check=True)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("moves_per_s")][-1]
    where = "1 XLA thread" if on_cpu else "default device"
    print(f"actor {kind:>9} ({games} games, {where}, {args.seconds:.0f} s): {line.split()[1]} moves/s")
  positions, rates = learner_rates(args.game, args.learner_steps, args.overrides)
  where = "all cores" if jax.default_backend() == "cpu" else jax.devices()[0].device_kind
  size = cfg.learner.batch_size * cfg.learner.trajectory_max
  print(f"learner (batch {cfg.learner.batch_size} x {cfg.learner.trajectory_max} steps, "
        f"{positions / size:.0%} of them moves, {where}):")
  for at, rate in rates.items():
    phase = "iteration start, reg_prev interpolated" if at == 0 else "second half of an iteration, alpha 1"
    print(f"  step {at:>6} ({phase}): {rate:.2f} updates/s = {rate * positions:,.0f} positions/s")


if __name__ == "__main__":
  main()
