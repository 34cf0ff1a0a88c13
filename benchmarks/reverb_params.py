"""What an actor's parameter pull costs: `ReverbParameterSource.latest()` with and without a new publish.

Measures, on this machine, for each game's training preset network
(`TrainConfig.for_game`; `stratego` is the barrage main job's):
  * `latest()` when nothing was published since the last call: the actor
    asks the server for the params table's insert count and keeps what it has;
  * `latest()` right after a publish: that check plus the fetch of every
    parameter through gRPC (the publish itself is not timed).
The Reverb server runs in a separate process, as in training (a server in the
same process would let the client skip gRPC). Each figure is the mean of
`--calls` calls after 20 untimed ones.

  .venv/bin/python benchmarks/reverb_params.py
  .venv/bin/python benchmarks/reverb_params.py --games leduc_poker --calls 1000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def _serve(game: str, port: int, stop) -> None:
  from actors import reverb_replay
  from actors.config import TrainConfig
  server = reverb_replay.make_server(TrainConfig.for_game(game).replay, port)
  stop.wait()
  server.stop()


def _wait_for(address: str, seconds: float = 120.0) -> None:
  import reverb
  client, deadline = reverb.Client(address), time.time() + seconds
  while True:
    try:
      client.server_info(timeout=1)
      return
    except Exception:  # noqa: BLE001  (not up yet)
      if time.time() > deadline:
        raise
      time.sleep(0.2)


def _measure(game: str, calls: int) -> tuple[int, float, float]:
  """(number of parameters, ms per unchanged `latest()`, ms per `latest()` after a publish)."""
  import jax
  import numpy as np
  import portpicker

  from actors import reverb_replay, self_play
  from actors.config import TrainConfig
  from actors.actor_loop import make_network

  cfg = TrainConfig.for_game(game)
  spiel_game = self_play.load_game(cfg.game)
  net = make_network(cfg, spiel_game)
  params = net.init(jax.random.PRNGKey(0), np.zeros((1, self_play.observation_size(spiel_game)), np.float32),
                    np.ones((1, spiel_game.num_distinct_actions()), bool))
  port = portpicker.pick_unused_port()
  ctx = mp.get_context("spawn")
  stop = ctx.Event()
  server = ctx.Process(target=_serve, args=(game, port, stop), daemon=True)
  server.start()
  try:
    _wait_for(f"localhost:{port}")
    source = reverb_replay.ReverbParameterSource(f"localhost:{port}", params)
    source.publish(params, 0)
    for _ in range(20):
      source.latest()
    start = time.perf_counter()
    for _ in range(calls):
      source.latest()
    unchanged = (time.perf_counter() - start) / calls
    changed = 0.0
    for version in range(1, calls + 1):
      source.publish(params, version)
      start = time.perf_counter()
      _, got = source.latest()
      changed += time.perf_counter() - start
      assert got == version, (got, version)
  finally:
    stop.set()
    server.join(timeout=10)
  return sum(x.size for x in jax.tree.leaves(params)), 1e3 * unchanged, 1e3 * changed / calls


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog="\n".join(__doc__.splitlines()[1:]))
  parser.add_argument("--games", nargs="+", default=["leduc_poker", "stratego"], help="games whose preset to use")
  parser.add_argument("--calls", type=int, default=300, help="timed calls of each kind")
  args = parser.parse_args(argv)
  if args.calls < 1:
    parser.error("--calls must be at least 1")
  print(f"ReverbParameterSource.latest(), server in another process on loopback, mean of {args.calls} calls")
  for game in args.games:
    size, unchanged, changed = _measure(game, args.calls)
    print(f"{game}: {size:,} parameters; nothing new {unchanged:.3f} ms, after a publish {changed:.3f} ms")


if __name__ == "__main__":
  main()
