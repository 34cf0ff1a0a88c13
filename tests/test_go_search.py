"""The PUCT search: it finds a forced capture with an untrained (uniform) network, plays only legal moves,
batches leaves without changing what a sequential search visits where they must agree, and keeps its time."""

import time

import numpy as np
import pytest

from agents.search import Search, SearchAgent, SearchConfig
from games import go
from go_testing import board, stones
from networks_fakes import RandomEvaluator, UniformEvaluator

# White's three stones B2, C2, C1 have one liberty, D1. With komi 10 and the game cut 3 moves later
# (max_game_length), capturing at D1 is Black's only winning move (checked by minimax below).
ATARI = board("....",
              ".XX.",
              "XOOX",
              ".XO.")
CAPTURE = "D1"


def _atari_state(plies: int, komi: float = 10.0):
  setup = go.setup_actions(4, stones(ATARI, go.BLACK_CELL), stones(ATARI, go.WHITE_CELL), go.BLACK)
  game = go.load_game(go.GoConfig(board_size=4, komi=komi, max_game_length=len(setup) + plies))
  return go.initial_state(game, stones(ATARI, go.BLACK_CELL), stones(ATARI, go.WHITE_CELL), go.BLACK)


def _minimax(state, player):
  if state.is_terminal():
    return state.returns()[player]
  values = []
  for action in state.legal_actions():
    child = state.clone()
    child.apply_action(action)
    values.append(_minimax(child, player))
  return max(values) if state.current_player() == player else min(values)


@pytest.mark.parametrize("plies", [1, 3])
def test_the_fixture_has_one_winning_move_the_capture(plies):
  state = _atari_state(plies)
  winners = []
  for action in state.legal_actions():
    child = state.clone()
    child.apply_action(action)
    if _minimax(child, go.BLACK) > 0:
      winners.append(go.action_to_gtp(action, 4))
  assert winners == [CAPTURE]


@pytest.mark.parametrize("plies,batch_size", [(1, 1), (1, 8), (3, 1), (3, 8), (3, 32)])
def test_search_with_a_uniform_network_finds_the_forced_capture(plies, batch_size):
  state = _atari_state(plies)
  result = Search(UniformEvaluator(), SearchConfig(num_simulations=400, batch_size=batch_size)).run(state)
  assert go.action_to_gtp(result.best_action, 4) == CAPTURE
  best = result.moves[0]
  assert best.visits > 2 * result.moves[1].visits
  assert best.q > 0 > max(m.q for m in result.moves[1:] if m.visits)  # (leaf values 0 dilute the +1 wins)
  assert sum(m.visits for m in result.moves) == result.simulations == 400


@pytest.mark.parametrize("batch_size", [1, 8])
def test_the_agent_plays_the_capture_and_never_mutates_the_state(batch_size):
  state = _atari_state(3)
  before = state.history()
  agent = SearchAgent(UniformEvaluator(), SearchConfig(num_simulations=300, batch_size=batch_size))
  assert go.action_to_gtp(agent.step(state), 4) == CAPTURE
  assert state.history() == before
  probs = agent.action_probabilities(state)
  assert sorted(probs) == state.legal_actions() and sum(probs.values()) == pytest.approx(1.0)


def _random_positions(size: int, count: int, seed: int):
  rng = np.random.default_rng(seed)
  game = go.load_game(go.GoConfig(board_size=size, komi=0.5))
  out = []
  while len(out) < count:
    state = game.new_initial_state()
    for _ in range(int(rng.integers(0, 3 * size * size))):
      if state.is_terminal():
        break
      state.apply_action(int(rng.choice(state.legal_actions())))
    if not state.is_terminal():
      out.append(state)
  return out


@pytest.mark.parametrize("size,batch_size", [(3, 4), (5, 1), (5, 8)])
def test_search_only_plays_legal_moves_and_its_variations_are_legal(size, batch_size):
  search = Search(RandomEvaluator(seed=size), SearchConfig(num_simulations=24, batch_size=batch_size))
  for state in _random_positions(size, 40, seed=size + batch_size):
    result = search.run(state)
    assert result.best_action in state.legal_actions()
    assert sorted(m.action for m in result.moves) == state.legal_actions()
    assert sum(m.visits for m in result.moves) == result.simulations == 24
    for move in result.moves[:3]:
      line = state.clone()
      for action in move.pv:
        assert not line.is_terminal() and action in line.legal_actions(), move
        line.apply_action(action)


@pytest.mark.parametrize("sims", [1, 5, 12, 26])
def test_batched_and_sequential_search_visit_the_same_moves_while_every_root_move_is_new(sims):
  """With uniform priors and value 0 each simulation of a sequential search opens the next untried root move;
  a batch's virtual losses steer its walks the same way, so up to one visit per root move the counts agree."""
  state = go.load_game(go.GoConfig(board_size=5)).new_initial_state()
  assert sims <= len(state.legal_actions()) == 26
  visits = {}
  for batch_size in (1, 4, 32):
    evaluator = UniformEvaluator()
    result = Search(evaluator, SearchConfig(num_simulations=sims, batch_size=batch_size)).run(state)
    visits[batch_size] = {m.action: m.visits for m in result.moves}
    assert evaluator.calls == 1 + -(-sims // batch_size)  # the root, then one call per batch
  assert visits[1] == visits[4] == visits[32]
  assert sorted(visits[1].values(), reverse=True)[:sims] == [1] * sims


def test_a_batch_evaluates_many_leaves_per_network_call():
  evaluator = UniformEvaluator()
  result = Search(evaluator, SearchConfig(num_simulations=256, batch_size=32)).run(_random_positions(9, 1, 0)[0])
  assert result.simulations == 256
  assert evaluator.positions - 1 == 256  # no leaf evaluated twice; terminal leaves need no network
  assert result.network_calls < 256 / 8


@pytest.mark.parametrize("config_time,cap", [(0.3, None), (None, 0.3), (5.0, 0.3)])
def test_search_keeps_to_its_time(config_time, cap):
  state = _random_positions(9, 1, seed=1)[0]
  agent = SearchAgent(UniformEvaluator(), SearchConfig(num_simulations=None if config_time else 10**9,
                                                       max_time_s=config_time, batch_size=8))
  agent.move_time_cap_s = cap
  start = time.perf_counter()
  result = agent.search(state)
  elapsed = time.perf_counter() - start
  assert 0.3 <= result.seconds and elapsed < 0.3 + 0.5
  assert result.simulations > 0


@pytest.mark.parametrize("kwargs", [dict(num_simulations=None), dict(num_simulations=0), dict(batch_size=0),
                                    dict(max_time_s=0.0), dict(c_puct=0.0), dict(dirichlet_fraction=2.0)])
def test_bad_search_configs_raise(kwargs):
  with pytest.raises(ValueError):
    SearchConfig(**kwargs)
