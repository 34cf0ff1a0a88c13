"""Parameter and FLOP counts of any network config on any game, layer by layer, without building it.

FLOPs are per position (one observation through `apply`, i.e. all of its L
tokens) and count matrix multiplies at 2 FLOPs per multiply-add, the
convention of Kaplan et al. and PaLM's model-FLOPs utilisation: dense layers,
attention scores and weighted values (over every key the implementation
scores: all L tokens for the transformer, L plus the `window`-slot cache for
Griffin), convolutions, the RG-LRU gates. Norms, activations and the scan's
elementwise work are left out. A routed layer counts the expert work its
dispatch does: DENSE runs all E experts on every token, SPARSE runs each
expert on its C slots per position (E * C, about capacity_factor * k tokens'
worth per token); `active_params` still counts the k experts a token uses.
The gathers of SPARSE dispatch are not FLOPs. The backward pass is counted as
twice the forward, so forward+backward is 3x forward.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agents.networks import encoders, heads, moe, resnet
from agents.networks.config import Backbone, BlockKind, MoeDispatch, NetworkConfig, PolicyHead


@dataclasses.dataclass(frozen=True)
class LayerCount:
  """One row of the layer layout."""
  name: str
  description: str
  params: int
  flops: int  # forward, per position
  active_params: int = -1  # params used per token, where routing makes it differ (-1: all)

  @property
  def active(self) -> int:
    return self.params if self.active_params < 0 else self.active_params


@dataclasses.dataclass(frozen=True)
class ModelCount:
  """Counts of a whole network on one game."""
  backbone: Backbone
  game: str
  tokens: int
  layers: tuple[LayerCount, ...]

  @property
  def params(self) -> int:
    return sum(l.params for l in self.layers)

  @property
  def active_params(self) -> int:
    return sum(l.active for l in self.layers)

  @property
  def flops_forward(self) -> int:
    return sum(l.flops for l in self.layers)

  @property
  def flops_backward(self) -> int:
    return 2 * self.flops_forward

  @property
  def flops_forward_backward(self) -> int:
    return self.flops_forward + self.flops_backward


def _attention(c: NetworkConfig, length: int, keys: int) -> tuple[int, int]:
  a, d = c.attention, c.width
  params = d * (a.num_heads + 2 * a.num_kv_heads) * a.head_dim + a.num_heads * a.head_dim * d
  flops = 2 * length * params + 2 * 2 * length * keys * a.num_heads * a.head_dim
  return params, flops


def _geglu(d: int, f: int, length: int) -> tuple[int, int]:
  return 3 * d * f, 2 * length * 3 * d * f


def _transformer_block(c: NetworkConfig, i: int, length: int) -> LayerCount:
  d = c.width
  attn_p, attn_f = _attention(c, length, length)
  norms = (4 if c.post_norm else 2) * d
  kind = c.attention_kind(i).value
  a = c.attention
  desc = f"{kind} attn (heads {a.num_heads}, kv {a.num_kv_heads}" + (
      f", window {a.window})" if kind == "local" else ")")
  if c.is_moe_layer(i):
    m = c.moe
    expert_p, _ = _geglu(d, c.expert_ffw_dim, length)
    router = d * m.num_experts
    params = norms + attn_p + router + m.num_experts * expert_p
    active = norms + attn_p + router + m.top_k * expert_p
    if m.dispatch is MoeDispatch.SPARSE:
      slots = moe.capacity(length, m.num_experts, m.top_k, m.capacity_factor)
      how = f"sparse, {slots} slots each"
    else:
      slots, how = length, "dense"
    flops = attn_f + 2 * length * router + m.num_experts * _geglu(d, c.expert_ffw_dim, slots)[1]
    return LayerCount(f"block_{i}", f"{desc} + moe {m.top_k} of {m.num_experts} x ffw {c.expert_ffw_dim} ({how})",
                      params, flops, active)
  ffw_p, ffw_f = _geglu(d, c.ffw_dim, length)
  return LayerCount(f"block_{i}", f"{desc} + geglu {c.ffw_dim}", norms + attn_p + ffw_p, attn_f + ffw_f)


def _griffin_block(c: NetworkConfig, i: int, length: int) -> LayerCount:
  d, w = c.width, c.lru_width
  ffw_p, ffw_f = _geglu(d, c.ffw_dim, length)
  if c.block_kind(i) is BlockKind.RECURRENT:
    g = c.griffin
    block = w // g.num_lru_heads
    gates = 2 * (g.num_lru_heads * block * block + w) + w  # two block-diagonal gates + a_param
    mix_p = 2 * (d * w + w) + (g.conv_width * w + w) + gates + (w * d + d)
    mix_f = 2 * length * (2 * d * w + g.conv_width * w + 2 * w * block + w * d)
    desc = f"recurrent (rg-lru {w}, conv {g.conv_width})"
  else:
    a = c.attention
    mix_p, mix_f = _attention(c, length, a.window + length)
    desc = f"local attn (heads {a.num_heads}, kv {a.num_kv_heads}, window {a.window})"
  return LayerCount(f"block_{i}", f"{desc} + geglu {c.ffw_dim}", 2 * d + mix_p + ffw_p, mix_f + ffw_f)


def _resnet_block(c: NetworkConfig, i: int, length: int) -> LayerCount:
  d, k = c.width, resnet.KERNEL
  conv = k * k * d * d
  return LayerCount(f"block_{i}", f"2 x conv{k}x{k} {d}", 2 * (conv + 2 * d), 2 * 2 * length * conv)


def _heads(c: NetworkConfig, spec: encoders.GameSpec, length: int) -> list[LayerCount]:
  d = c.width
  kind = heads.resolve_policy_head(c.head, spec, length, c.backbone is Backbone.GRIFFIN)
  extra = len(heads.extra_actions(kind, spec, length))
  params = (d * extra + extra) if extra else 0
  flops = 2 * d * extra
  if kind is PolicyHead.SQUARES:
    params, flops = params + d + 1, flops + 2 * length * d
  elif kind is PolicyHead.FROM_TO:
    dk = c.head.from_to_dim
    params += d + 1 + 2 * d * dk
    flops += 2 * length * d + 2 * 2 * length * d * dk + 2 * length * length * dk
  hidden = c.value_hidden
  return [LayerCount("policy", f"{kind.value} over {spec.num_actions} actions", params, flops),
          LayerCount("value", f"mlp {hidden}", d * hidden + 2 * hidden + 1, 2 * (d * hidden + hidden))]


def _mlp(c: NetworkConfig, spec: encoders.GameSpec, game: Any) -> list[LayerCount]:
  """The MLP's layers: its dense torso, the policy head (with the from-to term's embeddings) and the value."""
  from agents.networks import factory
  from_to_dim = factory.mlp_from_to_dim(c, spec)
  inputs = factory.mlp_inputs(spec, game, bool(from_to_dim))
  width = spec.observation_size if inputs.features is None else len(inputs.features)
  rows = []
  for i, h in enumerate(c.hidden):
    rows.append(LayerCount(f"linear_{i}", f"dense {width} -> {h}, relu", width * h + h, 2 * width * h))
    width = h
  a = spec.num_actions
  params, flops, desc = width * a + a, 2 * width * a, f"linear over {a} actions"
  if from_to_dim:
    squares, per_square = inputs.squares.shape
    d = from_to_dim
    # Query and key: a dense map of each square's inputs, a square embedding, a map of the torso; then all pairs.
    params += 2 * (per_square * d + d + squares * d + width * d)
    flops += 2 * (2 * squares * per_square * d + 2 * width * d) + 2 * squares * squares * d
    desc += f" + from-to {d} over {squares} squares"
  return rows + [LayerCount("policy", desc, params, flops),
                 LayerCount("value", "linear 1", width + 1, 2 * width)]


def count(config: NetworkConfig, game: Any) -> ModelCount:
  """Parameters and forward FLOPs per position, layer by layer.

  Args:
    config: the network config.
    game: a pyspiel.Game or GameSpec.
  """
  spec = encoders.spec_from_game(game)
  if config.backbone is Backbone.MLP:
    return ModelCount(backbone=config.backbone, game=spec.name, tokens=1, layers=tuple(_mlp(config, spec, game)))
  c, d = config, config.width
  length = spec.num_tokens(c.encoder)
  in_feats = spec.observation_shape[0] if spec.is_board else c.encoder.flat_token_size
  enc_p = in_feats * d + d + (length * d if c.encoder.learned_positions else 0)
  rows, cols = spec.grid(c.encoder)
  rows_desc = [LayerCount("encoder", f"{'board' if spec.is_board else 'flat'} {rows}x{cols} tokens of {in_feats}",
                          enc_p, 2 * length * in_feats * d)]
  block = {Backbone.TRANSFORMER: _transformer_block, Backbone.MOE: _transformer_block,
           Backbone.GRIFFIN: _griffin_block, Backbone.RESNET: _resnet_block}[c.backbone]
  rows_desc += [block(c, i, length) for i in range(c.depth)]
  rows_desc.append(LayerCount("final_norm", "rmsnorm", d, 0))
  rows_desc += _heads(c, spec, length)
  return ModelCount(backbone=c.backbone, game=spec.name, tokens=length, layers=tuple(rows_desc))
