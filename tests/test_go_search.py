"""The PUCT search: it finds a forced capture with an untrained (uniform) network, plays only legal moves,
batches leaves without changing what a sequential search visits where they must agree, and keeps its time."""

import time

import jax
import numpy as np
import pytest

import networks_fakes
from agents import make_agent, parse_spec, policy
from agents.networks import Backbone
from agents.search import Search, SearchAgent, SearchConfig
from core.errors import UserError
from games import go, openspiel_io
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


# --- the agent spec: policy:PATH,sims=N / run:DIR,time=S ----------------------------------------------------


@pytest.mark.parametrize("text,kind,arg,options", [
    ("policy:runs/a/policy.npz", "policy", "runs/a/policy.npz", ()),
    ("policy:runs/a/policy.npz,sims=200", "policy", "runs/a/policy.npz", (("sims", 200),)),
    ("policy:p.npz,time=1.5", "policy", "p.npz", (("time", 1.5),)),
    ("run:runs/a,sims=64,batch=16,c_puct=2", "run", "runs/a", (("sims", 64), ("batch", 16), ("c_puct", 2.0))),
    ("policy:odd,name/p.npz,time=0.5", "policy", "odd,name/p.npz", (("time", 0.5),)),
])
def test_search_options_parse_off_the_path(text, kind, arg, options):
  spec = parse_spec(text)
  assert (spec.kind, spec.arg, spec.options, str(spec)) == (kind, arg, options, text)


@pytest.mark.parametrize("text,message", [
    ("policy:p.npz,simz=5", "unknown option 'simz'; valid options: sims=N, time=SECONDS, batch=N, c_puct=X"),
    ("run:r,sims=0", "sims must be a positive integer, got '0'"),
    ("policy:p.npz,sims=1.5", "sims must be a positive integer, got '1.5'"),
    ("policy:p.npz,time=-1", "time must be a positive number, got '-1'"),
    ("policy:p.npz,time=nan", "time must be a positive number, got 'nan'"),
])
def test_bad_search_options_are_one_line_user_errors(text, message):
  with pytest.raises(UserError, match=message) as e:
    parse_spec(text)
  assert "\n" not in str(e.value)


@pytest.fixture(scope="module")
def go5_policy(tmp_path_factory):
  """A tiny untrained MLP policy file for 5x5 Go."""
  return networks_fakes.tiny_go_policy(tmp_path_factory.mktemp("go5") / "policy.npz", 5, Backbone.MLP)


def test_a_policy_file_gives_priors_and_its_value_head(go5_policy):
  path, net, params = go5_policy
  agent = policy.load_policy(path)
  states = _random_positions(5, 6, seed=0)
  obs = np.asarray([openspiel_io.observe(s) for s in states], np.float32)
  legal = np.asarray([s.legal_actions_mask() for s in states], np.float32)
  priors, values = agent.evaluate(obs, legal)
  np.testing.assert_allclose(priors, agent.probs(obs, legal), rtol=1e-5, atol=1e-7)
  want = np.clip(np.asarray(net.apply(params, obs, np.ones_like(legal, bool)).value), -1, 1)
  np.testing.assert_allclose(values, want, rtol=1e-5, atol=1e-6)


def test_a_spec_with_options_searches_and_one_without_plays_the_network(go5_policy):
  path = go5_policy[0]
  game = go.load_game(go.GoConfig(board_size=5))
  assert isinstance(make_agent(f"policy:{path}", game), policy.PolicyAgent)
  agent = make_agent(f"policy:{path},sims=24,batch=4", game)
  assert isinstance(agent, SearchAgent)
  assert (agent.config.num_simulations, agent.config.max_time_s, agent.config.batch_size) == (24, None, 4)
  timed = make_agent(f"policy:{path},time=0.2", game).config
  assert (timed.num_simulations, timed.max_time_s) == (None, 0.2)
  for state in _random_positions(5, 5, seed=2):
    result = agent.search(state)
    assert result.best_action in state.legal_actions() and result.simulations == 24


def test_search_refuses_a_game_of_imperfect_information(tmp_path):
  game = openspiel_io.load_game("kuhn_poker")
  cfg = networks_fakes.mlp(8)
  net = networks_fakes.network(cfg, game)
  params = net.init(jax.random.PRNGKey(0), np.zeros((1, openspiel_io.observation_size(game)), np.float32),
                    np.ones((1, net.num_actions), bool))
  path = policy.save_policy(tmp_path / "policy.npz", params, game="kuhn_poker", network=cfg, step=0)
  with pytest.raises(UserError, match="search needs a perfect-information, turn-based game like Go, not kuhn_poker"):
    make_agent(f"policy:{path},sims=8", game)
