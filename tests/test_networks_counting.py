"""The counter: parameters equal the initialised tree for every preset; FLOPs by hand and against XLA."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pyspiel
import pytest

from agents.networks import Backbone, MoeDispatch, NetworkConfig, Preset, counting, make_network, spec_from_game

_GAMES = {name: pyspiel.load_game(name) for name in ("go(board_size=9)", "leduc_poker")}


def _tree_size(config, game) -> int:
  spec = spec_from_game(game)
  net = make_network(config, game)
  shapes = jax.eval_shape(net.init, jax.random.PRNGKey(0),
                          jax.ShapeDtypeStruct((1, spec.observation_size), jnp.float32),
                          jax.ShapeDtypeStruct((1, spec.num_actions), jnp.bool_))
  return sum(int(np.prod(x.shape)) for x in jax.tree.leaves(shapes))


@pytest.mark.parametrize("game", list(_GAMES))
@pytest.mark.parametrize("preset", list(Preset))
@pytest.mark.parametrize("backbone", list(Backbone))
def test_param_count_equals_initialised_tree(backbone, preset, game):
  config = NetworkConfig.from_preset(backbone, preset)
  assert counting.count(config, _GAMES[game]).params == _tree_size(config, _GAMES[game])


def test_transformer_block_counts_by_hand():
  """Tiny transformer on tic-tac-toe: width 32, 2 heads, 1 kv head of 16, GeGLU 64, 9 tokens."""
  c = counting.count(NetworkConfig.from_preset("transformer", "tiny"), pyspiel.load_game("tic_tac_toe"))
  block = {l.name: l for l in c.layers}["block_0"]
  # attention 32*(2+1+1)*16 + 2*16*32 = 3072; four RMSNorms 4*32 = 128; GeGLU 3*32*64 = 6144.
  assert block.params == 3072 + 128 + 6144
  # 2*9*3072 projections + 2*2*9*9*2*16 scores and values + 2*9*6144 GeGLU.
  assert block.flops == 55296 + 10368 + 110592
  assert c.tokens == 9
  assert c.flops_forward_backward == 3 * c.flops_forward
  enc = {l.name: l for l in c.layers}["encoder"]
  assert enc.params == 3 * 32 + 32 + 9 * 32 and enc.flops == 2 * 9 * 3 * 32


def _moe(preset: str, dispatch: MoeDispatch, **moe) -> NetworkConfig:
  config = NetworkConfig.from_preset("moe", preset)
  return dataclasses.replace(config, moe=dataclasses.replace(config.moe, dispatch=dispatch, **moe))


def test_moe_counts_active_experts():
  config = NetworkConfig.from_preset("moe", "tiny")  # 4 experts, top 2, every layer routed
  c = counting.count(config, pyspiel.load_game("tic_tac_toe"))
  block = {l.name: l for l in c.layers}["block_0"]
  expert = 3 * 32 * 64
  assert block.params - block.active_params == 2 * expert
  assert c.params > c.active_params


@pytest.mark.parametrize("dispatch,factor,slots", [
    (MoeDispatch.DENSE, 1.25, 9),    # every expert on all 9 tokens
    (MoeDispatch.SPARSE, 1.25, 6),   # ceil(1.25 * 2 * 9 / 4) = 6 slots per expert
    (MoeDispatch.SPARSE, 0.5, 3),    # ceil(2.25)
    (MoeDispatch.SPARSE, 2.0, 9),    # E / k: as many slots as tokens
])
def test_moe_flops_follow_the_dispatch(dispatch, factor, slots):
  """Tiny MoE on tic-tac-toe: attention as the transformer's, a 32x4 router, 4 experts on `slots` tokens each."""
  c = counting.count(_moe("tiny", dispatch, capacity_factor=factor), pyspiel.load_game("tic_tac_toe"))
  block = {l.name: l for l in c.layers}["block_0"]
  assert block.flops == 55296 + 10368 + 2 * 9 * 32 * 4 + 4 * slots * 2 * 3 * 32 * 64
  assert block.params == 3072 + 128 + 32 * 4 + 4 * 3 * 32 * 64  # the dispatch changes no parameter


def _xla_flops(config, game) -> float:
  spec = spec_from_game(game)
  net = make_network(config, game)
  obs = jnp.zeros((1, spec.observation_size))
  legal = jnp.ones((1, spec.num_actions), bool)
  params = jax.eval_shape(net.init, jax.random.PRNGKey(0), obs, legal)
  cost = jax.jit(net.apply).lower(params, obs, legal).compile().cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  return float(cost["flops"])


@pytest.mark.parametrize("backbone,low,high", [
    ("transformer", 1.0, 1.05),  # XLA adds the elementwise work the counter leaves out
    ("griffin", 1.0, 1.06),
    ("resnet", (25 / 27) ** 2 - 0.03, 1.0),  # XLA skips the zero-padded taps at the board's edge
])
def test_forward_flops_agree_with_xla_cost_analysis(backbone, low, high):
  config = NetworkConfig.from_preset(backbone, "small")
  game = _GAMES["go(board_size=9)"]
  ratio = _xla_flops(config, game) / counting.count(config, game).flops_forward
  assert low <= ratio <= high


@pytest.mark.parametrize("dispatch", list(MoeDispatch))
def test_moe_forward_flops_agree_with_xla_cost_analysis(dispatch):
  """Dense runs 8 experts on all 81 tokens, sparse 8 x 26 slots; the gathers add no FLOPs."""
  config = _moe("small", dispatch)
  game = _GAMES["go(board_size=9)"]
  ratio = _xla_flops(config, game) / counting.count(config, game).flops_forward
  assert 1.0 <= ratio <= 1.05
