"""Times forward and forward+backward of each backbone and preset; prints FLOP/s and MFU from the counter.

How it measures: one batch of random 0/1 observations and random legal masks
(at least one legal action) of the game; `net.apply` (forward) and
`jax.value_and_grad` of a training-like loss (policy cross-entropy on the
masked log-softmax, value squared error, MoE load-balancing) are jitted, run
`--warmup` times (compilation), then `--iters` times with
`block_until_ready`; the median is reported. Achieved FLOP/s is the counter's
FLOPs per position times the batch over that time (model FLOPs: matmuls
only, the backward counted as 2x forward, MoE counting the experts its
dispatch runs: all E on every token for dense, E x capacity slots for
sparse); MFU divides it by the peak (`--peak-tflops`, or a known GPU's dense
bf16 peak). On an accelerator the compute dtype defaults to bfloat16.
`--moe-dispatch dense,sparse` times the MoE backbone both ways (default: the
preset's dispatch). `--set KEY=VALUE` overrides a field of every timed config,
as `stratago model --set` does (e.g. the attention kernel).

  python benchmarks/networks_speed.py                           # CPU: tiny and small presets
  python benchmarks/networks_speed.py --presets base --backbones transformer --batch 512   # GPU
  python benchmarks/networks_speed.py --peak-tflops 989 --json out.json
  python benchmarks/networks_speed.py --backbones moe --presets small --moe-dispatch dense,sparse
  python benchmarks/networks_speed.py --backbones transformer --presets base --batch 512 \
      --set attention.logit_cap=0 --set attention.implementation=cudnn     # GPU: cuDNN's fused attention

Written for the pinned JAX 0.4.34 / Haiku 0.0.16 and for current JAX (0.10+) with the matching Haiku.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from agents.networks import Backbone, DType, MoeDispatch, NetworkConfig, Preset, counting, make_network  # noqa: E402
from agents.networks import masked_log_softmax  # noqa: E402
from agents.networks.model_info import build_config, load_game  # noqa: E402
from core.errors import UserError  # noqa: E402

# Dense bf16 peak FLOP/s by device-kind substring (vendor datasheets, without sparsity).
PEAKS_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12,
              "V100": 125e12, "TPU v5 lite": 197e12, "TPU v5": 459e12, "TPU v4": 275e12}


@dataclasses.dataclass(frozen=True)
class Result:
  backbone: str
  preset: str
  dtype: str
  batch: int
  params: int
  flops_forward_per_position: int
  forward_s: float
  train_s: float
  forward_flops_per_s: float
  train_flops_per_s: float
  forward_mfu: float | None
  train_mfu: float | None
  moe_dispatch: str | None = None


def detect_peak() -> float | None:
  kind = jax.devices()[0].device_kind
  for key, peak in PEAKS_BF16.items():
    if key.lower() in kind.lower():
      return peak
  return None


def _time(fn, args, warmup: int, iters: int) -> float:
  for _ in range(warmup):
    jax.block_until_ready(fn(*args))
  times = []
  for _ in range(iters):
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def measure(config: NetworkConfig, game, batch: int, warmup: int, iters: int, peak: float | None,
            preset: str) -> Result:
  """Times one config; see the module docstring for what is timed."""
  net = make_network(config, game)
  spec = net.spec
  rng = np.random.default_rng(0)
  obs = jnp.asarray(rng.integers(0, 2, (batch, spec.observation_size)), jnp.float32)
  legal_np = rng.random((batch, spec.num_actions)) < 0.5
  legal_np[:, 0] = True
  legal = jnp.asarray(legal_np)
  target = jnp.asarray(legal_np / legal_np.sum(-1, keepdims=True), jnp.float32)
  value_target = jnp.asarray(rng.uniform(-1, 1, batch), jnp.float32)
  params = jax.jit(net.init)(jax.random.PRNGKey(0), obs, legal)

  def loss(p):
    out = net.apply(p, obs, legal)
    policy = -jnp.mean(jnp.sum(target * masked_log_softmax(out.logits, legal), axis=-1))
    return policy + jnp.mean((out.value - value_target) ** 2) + config.moe.load_balance_weight * out.aux_loss

  forward = jax.jit(lambda p: net.apply(p, obs, legal))
  train = jax.jit(jax.value_and_grad(loss))
  count = counting.count(config, spec)
  fwd_s = _time(forward, (params,), warmup, iters)
  train_s = _time(train, (params,), warmup, iters)
  fwd_rate = count.flops_forward * batch / fwd_s
  train_rate = count.flops_forward_backward * batch / train_s
  return Result(backbone=config.backbone.value, preset=preset, dtype=config.dtype.value, batch=batch,
                params=count.params, flops_forward_per_position=count.flops_forward,
                forward_s=fwd_s, train_s=train_s, forward_flops_per_s=fwd_rate, train_flops_per_s=train_rate,
                forward_mfu=fwd_rate / peak if peak else None, train_mfu=train_rate / peak if peak else None,
                moe_dispatch=config.moe.dispatch.value if config.backbone is Backbone.MOE else None)


def _moe_variants(config: NetworkConfig, dispatches: str | None, capacity_factor: float | None):
  """`config`, or for the MoE backbone one config per requested dispatch."""
  if config.backbone is not Backbone.MOE:
    return [config]
  moe = config.moe
  if capacity_factor is not None:
    moe = dataclasses.replace(moe, capacity_factor=capacity_factor)
  names = dispatches.split(",") if dispatches else [moe.dispatch.value]
  return [dataclasses.replace(config, moe=dataclasses.replace(moe, dispatch=MoeDispatch(n.strip()))) for n in names]


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--backbones", default=",".join(b.value for b in Backbone))
  parser.add_argument("--presets", default=None, help="default: tiny,small on CPU, small,base on accelerators")
  parser.add_argument("--game", default="go(board_size=9)")
  parser.add_argument("--batch", type=int, default=None, help="default: 128 on CPU, 512 on accelerators")
  parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
  parser.add_argument("--warmup", type=int, default=2)
  parser.add_argument("--iters", type=int, default=5)
  parser.add_argument("--peak-tflops", type=float, default=None, help="device peak for MFU (default: known GPUs)")
  parser.add_argument("--json", default=None, help="also write the results to this file")
  parser.add_argument("--moe-dispatch", default=None,
                      help="comma-separated MoE dispatches to time, e.g. dense,sparse (default: the preset's)")
  parser.add_argument("--capacity-factor", type=float, default=None, help="sparse MoE capacity factor override")
  parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="override a config field, e.g. --set attention.logit_cap=0 (repeatable)")
  args = parser.parse_args(argv)

  device = jax.devices()[0]
  accel = device.platform != "cpu"
  presets = args.presets or ("small,base" if accel else "tiny,small")
  batch = args.batch or (512 if accel else 128)
  dtype = DType(args.dtype if args.dtype != "auto" else ("bfloat16" if accel else "float32"))
  peak = args.peak_tflops * 1e12 if args.peak_tflops else (detect_peak() if dtype is DType.BFLOAT16 else None)
  try:  # Every config is built before any timing, so a bad name, key or value stops the run at once.
    configs = [(preset.strip(), dataclasses.replace(build_config(backbone.strip(), preset.strip(), args.set),
                                                    dtype=dtype))
               for backbone in args.backbones.split(",") for preset in presets.split(",")]
  except (UserError, ValueError) as e:
    parser.error(str(e))
  game = load_game(args.game)
  print(f"jax {jax.__version__} on {device.platform} ({device.device_kind}), {jax.device_count()} device(s); "
        f"game {args.game}, batch {batch}, dtype {dtype.value}, peak "
        f"{f'{peak / 1e12:.0f} TFLOP/s' if peak else 'unknown (no MFU)'}; median of {args.iters} after "
        f"{args.warmup} warm-up" + (f"; set {' '.join(args.set)}" if args.set else ""), flush=True)
  print(f"{'backbone':<13}{'preset':<7}{'params':>13}{'fwd ms':>9}{'fwd TFLOP/s':>13}{'fwd MFU':>9}"
        f"{'train ms':>10}{'train TFLOP/s':>15}{'train MFU':>11}{'positions/s':>13}", flush=True)
  results = []
  for preset, base in configs:
    for config in _moe_variants(base, args.moe_dispatch, args.capacity_factor):
      r = measure(config, game, batch, args.warmup, args.iters, peak, preset)
      results.append(r)
      mfu = lambda m: f"{100 * m:.1f}%" if m is not None else "-"
      name = r.backbone + (f"/{r.moe_dispatch}" if r.moe_dispatch else "")
      print(f"{name:<13}{r.preset:<7}{r.params:>13,}{1e3 * r.forward_s:>9.2f}"
            f"{r.forward_flops_per_s / 1e12:>13.3f}{mfu(r.forward_mfu):>9}{1e3 * r.train_s:>10.2f}"
            f"{r.train_flops_per_s / 1e12:>15.3f}{mfu(r.train_mfu):>11}{batch / r.train_s:>13,.0f}", flush=True)
  if args.json:
    tmp = args.json + ".tmp"
    with open(tmp, "w") as f:
      json.dump({"device": device.device_kind, "jax": jax.__version__, "game": args.game, "set": args.set,
                 "results": [dataclasses.asdict(r) for r in results]}, f, indent=1)
    os.replace(tmp, args.json)
  return 0


if __name__ == "__main__":
  sys.exit(main())
