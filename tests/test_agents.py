"""Agents: the spec grammar, one-line errors, policies of every backbone and older files, and a conformance
check that every kind of agent plays whole games of every game it accepts with legal, seeded moves."""

import json
import pathlib

import jax
import numpy as np
import pyspiel
import pytest

import networks_fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)
from agents import make_agent, parse_spec, policy
from agents.networks import Backbone, NetworkConfig
from core import config as config_lib
from core.errors import UserError
from games import go, openspiel_io
from go_testing import gnugo_or_skip, stratago_gtp
from learners.rnad import config as rnad_config
from learners.rnad import export, learning, networks

TESTDATA = pathlib.Path(__file__).parent / "testdata"
GO5 = "go(board_size=5)"
BARRAGE = "stratego(variant=barrage,deployment=random)"


@pytest.mark.parametrize("text,kind,arg", [
    ("random", "random", None), ("random:7", "random", "7"), ("Heuristic:1", "heuristic", "1"),
    ("policy:runs/a/policy.npz", "policy", "runs/a/policy.npz"), ("run:runs/a", "run", "runs/a"),
    ("py:my.agents:make", "py", "my.agents:make"), ("gtp:gnugo --mode gtp", "gtp", "gnugo --mode gtp"),
    ("gnugo", "gnugo", None), ("gnugo:10", "gnugo", "10"),
])
def test_spec_grammar(text, kind, arg):
  spec = parse_spec(text)
  assert (spec.kind, spec.arg, str(spec)) == (kind, arg, text)


@pytest.mark.parametrize("text,message", [
    ("alphago", "unknown agent 'alphago'; expected random"), ("random:x", "seed 'x' is not an integer"),
    ("policy", "expected policy:PATH"), ("run:", "expected run:RUN_DIR"), ("gtp", "expected gtp:COMMAND"),
    ("py:nomodule", "expected py:MODULE:CALLABLE"), ("gnugo:11", "level must be 0-10, got 11"),
])
def test_bad_specs_are_one_line_user_errors(text, message):
  with pytest.raises(UserError, match=message) as e:
    parse_spec(text)
  assert "\n" not in str(e.value)


@pytest.mark.parametrize("text,game,message", [
    ("heuristic", "kuhn_poker", "kuhn_poker has no built-in player"),
    ("gnugo", "kuhn_poker", "GTP engines play Go, not kuhn_poker"),
    ("py:no_such_module_xyz:f", GO5, "cannot load no_such_module_xyz:f"),
    ("py:agents_testing:no_step", GO5, "returned str, which has no step"),
    ("policy:/no/such/policy.npz", GO5, "no policy file at /no/such/policy.npz"),
    ("run:/no/such/run", GO5, "is not a training run with a checkpoint"),
])
def test_agents_that_cannot_be_made_say_why_in_one_line(text, game, message):
  with pytest.raises(UserError, match=message) as e:
    make_agent(text, pyspiel.load_game(game))
  assert "\n" not in str(e.value)


@pytest.mark.parametrize("args,message", [
    (["--agent", "bogus"], "stratago gtp: error: unknown agent 'bogus'; expected random[:SEED], heuristic"),
    (["--agent", "policy:/no/such/file"], "stratago gtp: error: no policy file at /no/such/file (expected a policy"),
    (["--agent", "policy:config.yaml"], "stratago gtp: error: config.yaml is not an exported policy"),
])
def test_gtp_refuses_a_bad_agent_in_one_line_with_exit_2(stratago, tmp_path, args, message):
  (tmp_path / "config.yaml").write_text("game: kuhn_poker\n")
  result = stratago("gtp", *args, input="name\n")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [result.stderr.strip()]
  assert result.stderr.startswith(message), result.stderr
  assert result.stdout == ""


def _export(tmp_path, net_cfg: NetworkConfig, game_str: str, seed: int = 0, name: str = "policy.npz"):
  game = openspiel_io.load_game(game_str)
  net = networks.make_network(net_cfg, game)
  params = networks.init(net, jax.random.PRNGKey(seed), np.zeros((1, openspiel_io.observation_size(game))))
  path = export.export(tmp_path / name, params, game=game_str, cfg=rnad_config.RNaDConfig(network=net_cfg), step=5)
  return path, net, params


def _positions(game, count, seed=0):
  """Observations, legal masks and states of `count` positions of random play."""
  rng = np.random.default_rng(seed)
  states, state = [], game.new_initial_state()
  while len(states) < count:
    if state.is_terminal():
      state = game.new_initial_state()
    elif state.is_chance_node():
      actions, probs = zip(*state.chance_outcomes())
      state.apply_action(int(rng.choice(actions, p=probs)))
    else:
      states.append(state.clone())
      state.apply_action(int(rng.choice(state.legal_actions())))
  obs = np.asarray([openspiel_io.observe(s) for s in states], np.float32)
  legal = np.asarray([s.legal_actions_mask() for s in states], np.float32)
  return obs, legal, states


@pytest.mark.parametrize("backbone", list(Backbone))
def test_policies_of_every_backbone_export_reload_and_act(tmp_path, backbone):
  game = pyspiel.load_game(GO5)
  path, net, params = _export(tmp_path, NetworkConfig.from_preset(backbone, "tiny"), GO5, seed=1)
  agent = make_agent(f"policy:{path}", game, seed=0)
  obs, legal, states = _positions(game, 6)
  want = np.asarray(learning.make_policy_fn(net)(params, obs, legal))
  np.testing.assert_allclose(agent.probs(obs, legal), want, rtol=1e-5, atol=1e-7)
  for state, row in zip(states, want):
    probs = agent.action_probabilities(state)
    assert sorted(probs) == state.legal_actions()
    np.testing.assert_allclose([probs[a] for a in sorted(probs)], row[state.legal_actions()], rtol=1e-5, atol=1e-7)
    assert agent.step(state) in state.legal_actions()


def test_policies_exported_before_the_one_network_stack_still_load():
  """Golden files in the first format (MLP, MLP with the from-to term on barrage, a ResNet), written by the
  code before the network stacks were one (commit 983e3a2), with the probabilities it gave then."""
  expected = json.loads((TESTDATA / "policy_v1_expected.json").read_text())
  assert len(expected) == 3
  for case in expected.values():
    game = openspiel_io.load_game(case["game"])
    agent = make_agent(f"policy:{TESTDATA / case['file']}", game)
    assert agent.step_count == 7
    for row in case["states"]:
      state = game.new_initial_state()
      for action in row["history"]:
        state.apply_action(action)
      probs = agent.action_probabilities(state)
      assert sorted(probs) == sorted(int(a) for a in row["probs"])
      for action, p in row["probs"].items():
        assert probs[int(action)] == pytest.approx(p, rel=1e-5, abs=1e-7)


def test_run_spec_plays_the_latest_checkpoints_evaluated_parameters(tmp_path):
  from actors.config import TrainConfig
  cfg = TrainConfig.for_game("kuhn_poker")
  game = openspiel_io.load_game("kuhn_poker")
  net = networks.make_network(cfg.learner.network, game)
  learner = learning.RNaDLearner(cfg.learner, net, np.zeros((1, 11), np.float32), iter(()))
  state = learner.state
  learner.state = state._replace(params_target=jax.tree.map(lambda x: 3.0 * x + 0.1, state.params),
                                 step=state.step + 12)
  config_lib.dump(cfg, tmp_path / "config.yaml")
  learner.save(tmp_path / "checkpoints" / "latest.npz")
  agent = make_agent(f"run:{tmp_path}", game)
  obs, legal, _ = _positions(game, 5)
  assert cfg.eval.policy.value == "target" and agent.step_count == 12
  want = learning.make_policy_fn(net)(learner.state.params_target, obs, legal)
  np.testing.assert_allclose(agent.probs(obs, legal), want, rtol=1e-6)
  assert not np.allclose(want, learning.make_policy_fn(net)(learner.state.params, obs, legal), atol=1e-3)


def test_a_policy_of_another_game_is_refused(tmp_path):
  path, _, _ = _export(tmp_path, networks_fakes.mlp(4), "kuhn_poker")
  with pytest.raises(UserError, match=r"was trained on kuhn_poker, which is not go\(board_size=5"):
    make_agent(f"policy:{path}", pyspiel.load_game(GO5))


def _play(game, agents, rng):
  """One game; every move is checked against the legal moves and each agent's own policy."""
  for agent in agents:
    agent.reset()
  state, moves = game.new_initial_state(), []
  while not state.is_terminal():
    if state.is_chance_node():
      actions, probs = zip(*state.chance_outcomes())
      state.apply_action(int(rng.choice(actions, p=probs)))
      continue
    agent = agents[state.current_player()]
    probs = agent.action_probabilities(state)
    assert set(probs) <= set(state.legal_actions())
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    action = agent.step(state)
    assert action in state.legal_actions()
    moves.append(action)
    state.apply_action(action)
  return moves


CONFORMANCE = [
    ("kuhn_poker", "random:3"), ("kuhn_poker", "policy"), ("kuhn_poker", "run"), ("kuhn_poker", "py"),
    ("tic_tac_toe", "random"), ("tic_tac_toe", "policy"),
    (GO5, "random"), (GO5, "heuristic"), (GO5, "policy"), (GO5, "py"),
    ("stratego(variant=barrage,deployment=random,max_moves=60)", "random"),
    ("stratego(variant=barrage,deployment=random,max_moves=60)", "policy"),
]


def _spec(kind: str, game_str: str, tmp_path) -> str:
  if kind == "policy":
    return f"policy:{_export(tmp_path, networks_fakes.mlp(8), game_str)[0]}"
  if kind == "run":
    from actors.config import TrainConfig
    cfg = TrainConfig.for_game(game_str)
    game = openspiel_io.load_game(game_str)
    net = networks.make_network(cfg.learner.network, game)
    obs = np.zeros((1, openspiel_io.observation_size(game)), np.float32)
    learning.RNaDLearner(cfg.learner, net, obs, iter(())).save(tmp_path / "checkpoints" / "latest.npz")
    config_lib.dump(cfg, tmp_path / "config.yaml")
    return f"run:{tmp_path}"
  if kind == "py":
    return "py:go_testing:first_legal" if game_str.startswith("go") else "py:agents_testing:last_legal"
  return kind


@pytest.mark.parametrize("game_str,kind", CONFORMANCE)
def test_every_agent_plays_whole_games_legally_and_repeats_itself_with_its_seed(game_str, kind, tmp_path):
  game = openspiel_io.load_game(game_str)
  spec = _spec(kind, game_str, tmp_path)
  games = []
  for _ in range(2):  # The same seeds give the same games.
    rng = np.random.default_rng(0)
    with make_agent(spec, game, seed=5) as first, make_agent("random", game, seed=6) as second:
      games.append([_play(game, [first, second], rng), _play(game, [second, first], rng)])
  assert games[0] == games[1]
  assert all(len(moves) >= 2 for moves in games[0])


@pytest.mark.gnugo
@pytest.mark.parametrize("spec", ["gnugo:1", "gtp:STRATAGO gtp --agent heuristic:2"])
def test_outside_engines_are_agents_on_openspiel_states(spec, tmp_path):
  if spec.startswith("gnugo"):
    gnugo_or_skip()
  spec = spec.replace("STRATAGO gtp --agent heuristic:2", " ".join(stratago_gtp("heuristic:2")))
  game = go.load_game(go.GoConfig(board_size=5))
  with make_agent(spec, game, seed=1) as engine, make_agent("random", game, seed=2) as other:
    moves = _play(game, [engine, other], np.random.default_rng(0))
  assert len(moves) >= 4
