"""A match between two agent specs on a Stratego game: results per side, score, games/s and how games ended.

Plays `--games` games through OpenSpiel states, each agent made once with
`agents.make_agent` and reset before every game; the first agent plays Red in
even-numbered games and Blue in odd ones. Chance (the deal) is drawn from
`--seed`; agent A is seeded `--seed`, agent B `--seed + 1`, so a run repeats
itself exactly.

  .venv/bin/python benchmarks/stratego_bots.py --agents heuristic:tracker random --games 200
  .venv/bin/python benchmarks/stratego_bots.py --game "stratego(variant=classic,deployment=random)" \\
      --agents heuristic:tracker heuristic:scout --games 100
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

GAME = "stratego(variant=barrage,deployment=random)"


def elo(score: float, games: int, wins: int, draws: int, losses: int) -> str:
  """`Elo difference: X +/- Y` as cutechess-cli prints it; Y is a 95% interval by the delta method."""
  if games == 0 or score in (0.0, 1.0):
    return "Elo difference: n/a (score 0 or 1)"
  var = (wins * (1 - score) ** 2 + draws * (0.5 - score) ** 2 + losses * score ** 2) / games
  margin = 1.96 * math.sqrt(var / games) * 400.0 / (math.log(10) * score * (1 - score))
  return f"Elo difference: {-400.0 * math.log10(1.0 / score - 1.0):.1f} +/- {margin:.1f}"


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--game", default=GAME)
  parser.add_argument("--agents", nargs=2, default=["heuristic:tracker", "random"], metavar=("A", "B"))
  parser.add_argument("--games", type=int, default=200)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args(argv)
  import numpy as np

  from agents import make_agent
  from games import openspiel_io
  from games.stratego import engine
  game = openspiel_io.load_game(args.game)
  names = args.agents
  agents = [make_agent(names[0], game, seed=args.seed), make_agent(names[1], game, seed=args.seed + 1)]
  rng = np.random.default_rng(args.seed)
  by_seat = np.zeros((2, 3), np.int64)  # [A's seat, (A wins, A losses, draws)]
  ends = collections.Counter()
  moves = []
  start = time.time()
  for i in range(args.games):
    seat = i % 2  # A's player id
    for agent in agents:
      agent.reset()
    state = openspiel_io.play_chance(game.new_initial_state(), rng)
    n = 0
    while not state.is_terminal():
      player = state.current_player()
      state.apply_action(agents[0 if player == seat else 1].step(state))
      n += 1
      openspiel_io.play_chance(state, rng)
    ret = state.returns()[seat]
    outcome = 0 if ret > 0 else (1 if ret < 0 else 2)
    by_seat[seat, outcome] += 1
    how = engine.END_NAMES[int(engine.end_reason(game.config, state.engine_state))]
    winner = "" if outcome == 2 else (f"{names[0]} won" if outcome == 0 else f"{names[1]} won")
    ends[f"{winner + ': ' if winner else 'draw: '}{how}"] += 1
    moves.append(n)
  wall = time.time() - start
  for agent in agents:
    agent.close()
  w, l, d = by_seat.sum(0)
  score = (w + 0.5 * d) / max(args.games, 1)
  print(f"{args.games} games of {args.game}, seed {args.seed}")
  print(f"Score of {names[0]} vs {names[1]}: {w} - {l} - {d} [{score:.3f}] {args.games}")
  for seat, colour in enumerate(("Red", "Blue")):
    sw, sl, sd = by_seat[seat]
    print(f"  {names[0]} as {colour}: {sw} - {sl} - {sd}")
  print(elo(score, args.games, w, d, l) + f", DrawRatio: {100 * d / max(args.games, 1):.1f} %")
  print(f"{wall:.1f} s, {args.games / wall:.2f} games/s, {sum(moves) / wall:.0f} moves/s, "
        f"mean {np.mean(moves):.0f} moves a game")
  print("ends: " + "; ".join(f"{how} {k}" for how, k in sorted(ends.items(), key=lambda x: -x[1])))


if __name__ == "__main__":
  main()
