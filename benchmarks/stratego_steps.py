"""Random-play speed of the Stratego rules: steps per second, legal masks included.

Measures (1) the OpenSpiel form, one state: `legal_actions()` then
`apply_action()` with a uniformly random legal action; and (2) the batched JAX
form: `vmap(step)` plus a uniform random legal action drawn from each game's
legal mask, `--scan` steps per jitted call, finished games restarted from a
pool of fresh random deployments. Compile time is excluded; steps of finished games are
not counted. `steps/s` is per wall-clock second; `steps/cpu-s` per CPU second
used by this process (all its threads), which is steadier on a shared machine:
on N free cores, wall-clock speed is at most N times it.

usage: python benchmarks/stratego_steps.py [--variant classic] [--max-batch 65536] [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def _random_legal(key, legal):
  """A random legal action per game (legal: bool[B, A]): argmax of an integer hash of (seed, action).

  Cheaper than a cumulative sum or Gumbel noise over all 1840 actions; close to uniform.
  """
  seed = jax.random.bits(key, (legal.shape[0], 1), jnp.uint32)
  x = (jnp.arange(legal.shape[1], dtype=jnp.uint32)[None] + jnp.uint32(1)) * jnp.uint32(0x9E3779B1) ^ seed
  x = x * jnp.uint32(0x85EBCA6B)
  x = x ^ (x >> 13)
  x = x * jnp.uint32(0xC2B2AE35)
  x = x ^ (x >> 16)
  return jnp.argmax(jnp.where(legal, x, 0), -1)


def make_runner(config, batch: int, scan: int):
  """Jitted `scan` random-play steps of a batch; finished games restart from a pool of fresh deployments."""
  from games.stratego import engine
  init = jax.vmap(lambda k: engine.init_random(config, k))
  step = jax.vmap(lambda s, a: engine.step(config, s, a))

  def one(carry, _):
    state, pool, key = carry
    key, k_act, k_roll = jax.random.split(key, 3)
    live = ~state.terminal
    state = step(state, _random_legal(k_act, state.legal))
    done = state.terminal

    def reset(s):  # a random rotation of the pool, so restarted games get varied setups
      shift = jax.random.randint(k_roll, (), 0, batch)
      fresh = jax.tree.map(lambda x: jnp.roll(x, shift, axis=0), pool)
      return jax.tree.map(lambda f, x: jnp.where(done.reshape((-1,) + (1,) * (x.ndim - 1)), f, x), fresh, s)

    state = jax.lax.cond(jnp.any(done), reset, lambda s: s, state)
    return (state, pool, key), jnp.sum(live)

  @jax.jit
  def run(state, pool, key):
    (state, pool, key), n = jax.lax.scan(one, (state, pool, key), None, length=scan)
    return state, key, jnp.sum(n)

  return init, run


def bench_batched(config, batch: int, seconds: float, scan: int) -> tuple[float, float, float]:
  """Returns (steps per wall second, steps per CPU second of this process, compile seconds)."""
  init, run = make_runner(config, batch, scan)
  key = jax.random.PRNGKey(0)
  pool = jax.jit(init)(jax.random.split(key, batch))
  state = pool
  t0 = time.perf_counter()
  state, key, n = run(state, pool, key)
  jax.block_until_ready(n)
  compile_s = time.perf_counter() - t0
  steps, t0, c0 = 0, time.perf_counter(), time.process_time()
  while time.perf_counter() - t0 < seconds:
    state, key, n = run(state, pool, key)
    steps += int(n)
  return steps / (time.perf_counter() - t0), steps / (time.process_time() - c0), compile_s


def bench_openspiel(variant: str, seconds: float) -> float:
  import pyspiel
  import games  # noqa: F401  (registers stratego)
  game = pyspiel.load_game(f"stratego(variant={variant},deployment=random)")
  rng = np.random.default_rng(0)

  def new_state():
    s = game.new_initial_state()
    while s.is_chance_node():
      actions, probs = zip(*s.chance_outcomes())
      s.apply_action(int(rng.choice(actions, p=probs)))
    return s

  s = new_state()
  for _ in range(5):  # compile
    s.apply_action(int(rng.choice(s.legal_actions())))
  steps, t0 = 0, time.perf_counter()
  while time.perf_counter() - t0 < seconds:
    if s.is_terminal():
      s = new_state()
    s.apply_action(int(rng.choice(s.legal_actions())))
    steps += 1
  return steps / (time.perf_counter() - t0)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--variant", default="classic", choices=["classic", "barrage"])
  parser.add_argument("--max-batch", type=int, default=65536)
  parser.add_argument("--min-batch", type=int, default=1)
  parser.add_argument("--seconds", type=float, default=3.0, help="time measured per batch size")
  parser.add_argument("--scan", type=int, default=32, help="steps per jitted call")
  parser.add_argument("--skip-openspiel", action="store_true")
  args = parser.parse_args()
  from games.stratego import RulesConfig, Variant
  config = RulesConfig(variant=Variant(args.variant))
  print(f"device: {jax.devices()[0].platform} ({jax.devices()[0].device_kind}), "
        f"cpus: {os.cpu_count()}, variant: {args.variant}, jax {jax.__version__}")
  if not args.skip_openspiel:
    print(f"openspiel  one state        {bench_openspiel(args.variant, args.seconds):>12,.0f} steps/s")
  print(f"{'form':<10} {'batch':>6} {'compile_s':>10} {'steps/s':>14} {'steps/cpu-s':>14}")
  batch = args.min_batch
  while batch <= args.max_batch:
    rate, cpu_rate, compile_s = bench_batched(config, batch, args.seconds, args.scan)
    print(f"{'batched':<10} {batch:>6} {compile_s:>10.1f} {rate:>14,.0f} {cpu_rate:>14,.0f}", flush=True)
    batch *= 4
  return 0


if __name__ == "__main__":
  raise SystemExit(main())
