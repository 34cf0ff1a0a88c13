"""Built-in Go agents: random fills no eye, heuristic takes captures and beats random."""

import numpy as np
import pytest

from agents import make_agent
from agents.go_baselines import HeuristicGoAgent, RandomGoAgent
from games import go
from go_testing import board, state_from_board


def test_random_never_fills_its_own_eye_and_passes_when_only_eyes_are_left():
  # Black to move; the only empty points are Black's eyes at A1 and C3.
  state = state_from_board(board(
      "X X .",
      "X X X",
      ". X X"), to_play=go.BLACK)
  assert RandomGoAgent(0).step(state) == 9
  assert HeuristicGoAgent(0).step(state) == 9


def test_random_is_uniform_over_sensible_moves():
  game = go.load_game(go.GoConfig(board_size=3))
  agent = RandomGoAgent(0)
  counts = np.bincount([agent.step(game.new_initial_state()) for _ in range(900)],
                       minlength=10)
  assert counts[9] == 0  # Never passes with moves left.
  assert counts[:9].min() > 60 and counts[:9].max() < 140  # ~100 each.


def test_heuristic_takes_the_biggest_capture():
  # White's C3-D3 pair has one liberty left, E3: Black takes two stones there.
  state = state_from_board(board(
      ". . . . .",
      ". . X X .",
      ". X O O .",
      ". . X X .",
      "O . . . X"), to_play=go.BLACK)
  assert HeuristicGoAgent(0).step(state) == go.gtp_to_action("E3", 5)


def test_heuristic_escapes_atari():
  # Black's C3 stone is in atari (its last liberty is D3); extending there saves it.
  state = state_from_board(board(
      ". . . . .",
      ". . O . .",
      ". O X . .",
      ". . O . .",
      ". . . . ."), to_play=go.BLACK)
  assert HeuristicGoAgent(0).step(state) == go.gtp_to_action("D3", 5)


def test_heuristic_beats_random_on_9x9():
  game = go.load_game(go.GoConfig(board_size=9, komi=7.5, max_game_length=400))
  wins = 0
  for i in range(20):
    heuristic_colour = i % 2
    agents = {heuristic_colour: HeuristicGoAgent(i), 1 - heuristic_colour: RandomGoAgent(1000 + i)}
    state = game.new_initial_state()
    while not state.is_terminal():
      state.apply_action(agents[state.current_player()].step(state))
    wins += state.returns()[heuristic_colour] > 0
  assert wins >= 16  # 19 of 20 with these seeds.


@pytest.mark.parametrize("spec,kind", [("random", RandomGoAgent), ("random:3", RandomGoAgent),
                                       ("heuristic", HeuristicGoAgent), ("Heuristic:1", HeuristicGoAgent)])
def test_specs_name_gos_built_in_agents(spec, kind):
  assert isinstance(make_agent(spec, go.load_game(go.GoConfig(board_size=9))), kind)


def test_py_spec_calls_the_factory_with_the_game_and_seed():
  game = go.load_game(go.GoConfig(board_size=7))
  agent = make_agent("py:go_testing:first_legal", game, seed=3)
  assert (agent.plugin.size, agent.plugin.seed) == (7, 3)
  assert agent.step(game.new_initial_state()) == 0
