"""Simulations per second of the PUCT search (`agents.search`) on 9x9 Go, against OpenSpiel's MCTSBot.

How it measures: for each network (untrained parameters, tiny and small
presets of the MLP and the ResNet by default) it builds the `PolicyAgent` a
`policy:` spec loads, picks `--positions` positions of random play on 9x9
(20-40 moves in), and times one `--sims`-simulation search from each, after
one untimed search that compiles the network for every batch shape. It
reports the median over positions of simulations / wall seconds, for leaf
batch sizes `--batches`; and, with the same network, OpenSpiel's
`open_spiel.python.algorithms.mcts.MCTSBot` (PUCT child selection, an
evaluator that asks the network once per leaf for prior and value) as the
library alternative, which evaluates one leaf per network call. The last
column is the network alone: positions/s of `PolicyAgent.evaluate` on a
batch of that size (observations already built), the ceiling the tree's
Python work divides.

  python benchmarks/search_speed.py
  python benchmarks/search_speed.py --networks resnet:small --batches 1,8,32,128 --sims 400
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from open_spiel.python.algorithms import mcts  # noqa: E402

from agents.networks import Backbone, NetworkConfig, Preset, count, for_game  # noqa: E402
from agents.policy import PolicyAgent  # noqa: E402
from agents.search import NetworkEvaluator, Search, SearchConfig  # noqa: E402
from games import go, openspiel_io  # noqa: E402


class NetworkMctsEvaluator(mcts.Evaluator):
  """OpenSpiel's evaluator interface over a policy: one network call per leaf (prior and value cached)."""

  def __init__(self, agent: PolicyAgent):
    self.agent = agent
    self._last = (None, None)

  def _eval(self, state):
    key = state.history_str()
    if self._last[0] != key:
      pi, v = self.agent.evaluate(np.asarray([openspiel_io.observe(state)]),
                                  np.asarray([state.legal_actions_mask()]))
      self._last = (key, (pi[0], float(v[0])))
    return self._last[1]

  def evaluate(self, state):
    _, v = self._eval(state)
    player = state.current_player()
    return np.array([v, -v]) if player == 0 else np.array([-v, v])

  def prior(self, state):
    pi, _ = self._eval(state)
    return [(a, float(pi[a])) for a in state.legal_actions()]


def _positions(game, count, seed=0):
  rng = np.random.default_rng(seed)
  out = []
  while len(out) < count:
    state = game.new_initial_state()
    for _ in range(int(rng.integers(20, 41))):
      state.apply_action(int(rng.choice(state.legal_actions())))
      if state.is_terminal():
        break
    if not state.is_terminal():
      out.append(state)
  return out


def _agent(spec: str, game) -> tuple[PolicyAgent, int]:
  backbone, _, preset = spec.partition(":")
  cfg = NetworkConfig.from_preset(Backbone(backbone), Preset(preset or "tiny"))
  net = for_game(cfg, game)
  obs = np.zeros((1, openspiel_io.observation_size(game)), np.float32)
  params = net.init(jax.random.PRNGKey(0), obs, np.ones((1, net.num_actions), bool))
  return PolicyAgent(net, params, str(game)), count(cfg, net.spec).params


def _median_rate(run, positions, sims) -> float:
  run(positions[0])  # compiles
  rates = []
  for state in positions:
    start = time.perf_counter()
    run(state)
    rates.append(sims / (time.perf_counter() - start))
  return statistics.median(rates)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--networks", default="mlp:tiny,mlp:small,resnet:tiny,resnet:small")
  parser.add_argument("--batches", default="1,8,32")
  parser.add_argument("--sims", type=int, default=256)
  parser.add_argument("--positions", type=int, default=3)
  parser.add_argument("--size", type=int, default=9)
  parser.add_argument("--no-openspiel", action="store_true", help="skip OpenSpiel's MCTSBot")
  args = parser.parse_args(argv)
  game = go.load_game(go.GoConfig(board_size=args.size))
  positions = _positions(game, args.positions)
  batches = [int(b) for b in args.batches.split(",")]
  print(f"# {args.size}x{args.size} Go, {args.sims} simulations per search, median of {len(positions)} positions, "
        f"{jax.devices()[0].platform} ({os.cpu_count()} cores visible)")
  print(f"{'network':14} {'params':>9} {'search':22} {'sims/s':>8} {'net calls':>9} {'net pos/s':>10}")
  for spec in args.networks.split(","):
    agent, params = _agent(spec, game)
    evaluator = NetworkEvaluator(agent)
    if not args.no_openspiel:
      bot = mcts.MCTSBot(game, uct_c=1.25, max_simulations=args.sims, evaluator=NetworkMctsEvaluator(agent),
                         solve=False, random_state=np.random.RandomState(0),
                         child_selection_fn=mcts.SearchNode.puct_value)
      rate = _median_rate(bot.step, positions, args.sims)
      print(f"{spec:14} {params:>9,} {'openspiel MCTSBot':22} {rate:>8.0f} {args.sims:>9} {'':>10}")
    for batch in batches:
      search = Search(evaluator, SearchConfig(num_simulations=args.sims, batch_size=batch))
      calls = []

      def run(state, search=search, calls=calls):
        calls.append(search.run(state).network_calls)
      rate = _median_rate(run, positions, args.sims)
      obs = np.asarray([openspiel_io.observe(positions[0])] * batch, np.float32)
      legal = np.asarray([positions[0].legal_actions_mask()] * batch, np.float32)
      net_rate = _median_rate(lambda _: agent.evaluate(obs, legal), [None] * 20, batch)
      print(f"{spec:14} {params:>9,} {f'puct batch {batch}':22} {rate:>8.0f} {int(np.median(calls)):>9} "
            f"{net_rate:>10.0f}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
