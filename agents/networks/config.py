"""Frozen configs for the policy/value networks, with presets tiny, small, base and large.

One `NetworkConfig` describes any backbone; each backbone reads the fields of
its concern and ignores the rest:

  TRANSFORMER  width, depth, ffw_dim, post_norm, attention       (Gemma / Gemma 2)
  MOE          the transformer's fields plus moe                 (routed feed-forward)
  GRIFFIN      width, depth, ffw_dim, attention, griffin         (RecurrentGemma)
  RESNET       width (channels), depth (residual blocks)         (AlphaZero torso)
  MLP          hidden, head.policy and head.from_to_dim          (a flat baseline; R-NaD's default)

  cfg = NetworkConfig.from_preset(Backbone.GRIFFIN, Preset.SMALL)
"""

from __future__ import annotations

import dataclasses
import enum


class Backbone(enum.Enum):
  """Which torso turns the game's tokens into features."""
  TRANSFORMER = "transformer"
  MOE = "moe"
  GRIFFIN = "griffin"
  RESNET = "resnet"
  MLP = "mlp"


class Preset(enum.Enum):
  """Named sizes: tiny for tests, small for CPU training, base and large for GPUs."""
  TINY = "tiny"
  SMALL = "small"
  BASE = "base"
  LARGE = "large"


class AttentionKind(enum.Enum):
  """A layer's attention span: a sliding window of `window` tokens, or every token."""
  LOCAL = "local"
  GLOBAL = "global"


class AttentionImpl(enum.Enum):
  """Which kernel computes softmax(q k^T / sqrt(H)) v.

  EINSUM: the einsums of `attention.attend`; any device, soft-capping allowed.
  CUDNN: jax.nn.dot_product_attention's fused cuDNN (flash) kernel; NVIDIA
    GPUs in bfloat16 only, and no soft-cap (attention.logit_cap must be 0).
  XLA: jax.nn.dot_product_attention's XLA path, the same call as CUDNN on any
    device (what the tests compare against EINSUM on a CPU); no soft-cap.
  """
  EINSUM = "einsum"
  CUDNN = "cudnn"
  XLA = "xla"


class BlockKind(enum.Enum):
  """A Griffin residual block's temporal mixer."""
  RECURRENT = "recurrent"
  ATTENTION = "attention"


class PolicyHead(enum.Enum):
  """How policy logits are read off the features.

  AUTO: for a bidirectional backbone, FROM_TO where the game has an action ->
    (from, to) table (Stratego), else SQUARES on a board whose first
    height*width actions are its squares (Go, tic-tac-toe), else FLAT; always
    FLAT for Griffin, whose causal tokens have not seen the squares after them.
  FLAT: one linear layer from the pooled features to every action.
  SQUARES: action a < height*width reads token a; the rest (pass) the pool.
  FROM_TO: factorised, as DeepNash: logit(from, to) = from-logit + query(from).key(to);
    needs the game's action -> (from square, to square) table.
  """
  AUTO = "auto"
  FLAT = "flat"
  SQUARES = "squares"
  FROM_TO = "from_to"


class DType(enum.Enum):
  """Compute dtype; parameters are always stored in float32."""
  FLOAT32 = "float32"
  BFLOAT16 = "bfloat16"


@dataclasses.dataclass(frozen=True)
class AttentionConfig:
  """Attention layers (transformer, MoE and Griffin's local-attention blocks).

  Attributes:
    num_heads: query heads.
    num_kv_heads: key/value heads; 1 is multi-query (Gemma), num_heads is
      multi-head, in between is grouped-query (Gemma 2).
    head_dim: width of one head.
    window: a LOCAL layer's span in tokens (|i - j| < window; causal in Griffin).
    pattern: kinds cycled over the transformer's layers, e.g. (LOCAL, GLOBAL).
    logit_cap: soft-cap `cap * tanh(x / cap)` of attention logits; 0 turns it off.
    implementation: the kernel (AttentionImpl); fused kernels need logit_cap 0.
    rope_base: rotary embedding base period; rotary pairs are split between the
      position axes (row and column on a board, plus the move in Griffin).
  """
  num_heads: int = 4
  num_kv_heads: int = 1
  head_dim: int = 32
  window: int = 16
  pattern: tuple[AttentionKind, ...] = (AttentionKind.LOCAL, AttentionKind.GLOBAL)
  logit_cap: float = 50.0
  rope_base: float = 10_000.0
  implementation: AttentionImpl = AttentionImpl.EINSUM

  def __post_init__(self):
    if self.num_heads < 1 or self.num_kv_heads < 1:
      raise ValueError("num_heads and num_kv_heads must be at least 1")
    if self.num_heads % self.num_kv_heads:
      raise ValueError(f"num_heads {self.num_heads} must be a multiple of num_kv_heads {self.num_kv_heads}")
    if self.head_dim < 2 or self.head_dim % 2:
      raise ValueError(f"head_dim must be even and at least 2, got {self.head_dim}")
    if self.window < 1:
      raise ValueError(f"window must be at least 1, got {self.window}")
    if not self.pattern:
      raise ValueError("pattern must name at least one attention kind")
    if self.logit_cap < 0 or self.rope_base <= 0:
      raise ValueError("logit_cap must be >= 0 and rope_base > 0")
    if self.implementation is not AttentionImpl.EINSUM and self.logit_cap:
      raise ValueError(f"attention.implementation={self.implementation.value} has no soft-cap: "
                       f"set attention.logit_cap=0 (it is {self.logit_cap:g})")


@dataclasses.dataclass(frozen=True)
class GriffinConfig:
  """Griffin / RecurrentGemma residual blocks.

  Attributes:
    block_pattern: block kinds cycled over depth; Griffin uses two recurrent
      blocks to one local-attention block.
    lru_width: width of the RG-LRU; 0 means the model width.
    num_lru_heads: blocks of the block-diagonal RG-LRU gate matrices.
    conv_width: taps of the short temporal convolution before the RG-LRU.
    parallel_scan: run the RG-LRU as an associative scan (log depth) rather
      than a sequential one; same numbers, try it on accelerators.
  """
  block_pattern: tuple[BlockKind, ...] = (BlockKind.RECURRENT, BlockKind.RECURRENT, BlockKind.ATTENTION)
  lru_width: int = 0
  num_lru_heads: int = 4
  conv_width: int = 4
  parallel_scan: bool = False

  def __post_init__(self):
    if not self.block_pattern:
      raise ValueError("block_pattern must name at least one block kind")
    if self.lru_width < 0 or self.num_lru_heads < 1 or self.conv_width < 1:
      raise ValueError("lru_width must be >= 0, num_lru_heads and conv_width >= 1")


class MoeDispatch(enum.Enum):
  """How a routed layer sends tokens to its experts.

  DENSE: every expert runs on every token and the outputs are weighted (zero
    for experts a token did not choose): exact, at E/k times the active FLOPs.
  SPARSE: each expert takes at most C = ceil(capacity_factor * k * L / E) of
    a position's L tokens, gathered into slots (first choices before second
    ones); a choice past its expert's capacity is dropped (that expert adds
    nothing to the token). FLOPs scale with capacity_factor * k / E.
  """
  DENSE = "dense"
  SPARSE = "sparse"


@dataclasses.dataclass(frozen=True)
class MoeConfig:
  """Routed feed-forward layers (top-k of E experts).

  Attributes:
    num_experts: E.
    top_k: experts per token; their weights are a softmax over the k chosen logits.
    every: layer i (from 0) is routed when (i + 1) % every == 0; 1 routes all.
    expert_ffw_dim: hidden width of one expert; 0 means the model's ffw_dim.
    load_balance_weight: weight a learner should give `NetworkOutput.aux_loss`.
    dispatch: DENSE or SPARSE (see MoeDispatch); parameters are the same for both.
    capacity_factor: SPARSE's slots per expert relative to a perfectly even
      load; E / k never drops a token.
  """
  num_experts: int = 8
  top_k: int = 2
  every: int = 1
  expert_ffw_dim: int = 0
  load_balance_weight: float = 0.01
  dispatch: MoeDispatch = MoeDispatch.DENSE
  capacity_factor: float = 1.25

  def __post_init__(self):
    if self.num_experts < 1 or not 1 <= self.top_k <= self.num_experts:
      raise ValueError(f"need 1 <= top_k <= num_experts, got top_k={self.top_k}, num_experts={self.num_experts}")
    if self.every < 1 or self.expert_ffw_dim < 0 or self.load_balance_weight < 0:
      raise ValueError("every must be >= 1; expert_ffw_dim and load_balance_weight >= 0")
    if not self.capacity_factor > 0:
      raise ValueError(f"capacity_factor must be > 0, got {self.capacity_factor}")


@dataclasses.dataclass(frozen=True)
class EncoderConfig:
  """Observation -> tokens.

  Attributes:
    flat_token_size: features per token when a game's observation is a flat
      vector (it is zero-padded to a multiple of this).
    learned_positions: add a learned embedding per token position (absolute
      square), on top of the rotary embedding's relative positions.
  """
  flat_token_size: int = 8
  learned_positions: bool = True

  def __post_init__(self):
    if self.flat_token_size < 1:
      raise ValueError(f"flat_token_size must be at least 1, got {self.flat_token_size}")


@dataclasses.dataclass(frozen=True)
class HeadConfig:
  """Policy and value heads.

  Attributes:
    policy: how logits are read off (see PolicyHead).
    final_logit_cap: soft-cap of policy logits (Gemma 2 uses 30); 0 turns it off.
    from_to_dim: query/key width of the FROM_TO head.
    value_hidden: hidden width of the value MLP; 0 means the model width.
  """
  policy: PolicyHead = PolicyHead.AUTO
  final_logit_cap: float = 30.0
  from_to_dim: int = 32
  value_hidden: int = 0

  def __post_init__(self):
    if self.final_logit_cap < 0 or self.from_to_dim < 1 or self.value_hidden < 0:
      raise ValueError("final_logit_cap and value_hidden must be >= 0, from_to_dim >= 1")


# (width, depth, ffw_dim, heads, kv_heads, head_dim, window) per preset.
_TRANSFORMER = {
    Preset.TINY: (32, 2, 64, 2, 1, 16, 4),
    Preset.SMALL: (128, 4, 512, 4, 2, 32, 16),
    Preset.BASE: (768, 12, 3072, 12, 4, 64, 32),
    Preset.LARGE: (1024, 24, 4096, 16, 8, 64, 64),
}
# Griffin: local MQA; the window spans tokens across moves, so it is longer.
_GRIFFIN = {
    Preset.TINY: (32, 3, 64, 2, 1, 16, 16),
    Preset.SMALL: (128, 6, 384, 4, 1, 32, 128),
    Preset.BASE: (768, 12, 2304, 12, 1, 64, 256),
    Preset.LARGE: (1024, 24, 3072, 16, 1, 64, 512),
}
# (experts, k, every); presets dispatch sparsely (capacity factor 1.25): on a shared 2-core CPU the small
# preset's forward and train steps were 2-6x faster than dense (benchmarks/networks_speed.py --moe-dispatch).
_MOE = {
    Preset.TINY: (4, 2, 1),
    Preset.SMALL: (8, 2, 2),
    Preset.BASE: (8, 2, 2),
    Preset.LARGE: (8, 2, 2),
}
# The MLP's hidden widths.
_MLP = {
    Preset.TINY: (16, 16),
    Preset.SMALL: (256, 256),
    Preset.BASE: (1024, 1024),
    Preset.LARGE: (2048, 2048, 2048),
}
# AlphaZero-style residual torso: (channels, blocks).
_RESNET = {
    Preset.TINY: (16, 2),
    Preset.SMALL: (64, 6),
    Preset.BASE: (128, 10),
    Preset.LARGE: (256, 20),
}


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
  """A whole policy/value network: backbone and sizes, encoder and heads.

  Attributes:
    backbone: which torso (see module docstring for the fields each reads).
    width: model width (channels for RESNET).
    depth: layers (residual blocks for RESNET).
    ffw_dim: hidden width of the GeGLU feed-forward.
    post_norm: RMSNorm after each sub-layer too (Gemma 2), not only before.
    dtype: compute dtype; parameters stay float32.
    hidden: the MLP's hidden widths (only MLP reads them).
  """
  backbone: Backbone = Backbone.TRANSFORMER
  width: int = 32
  depth: int = 2
  ffw_dim: int = 64
  post_norm: bool = True
  dtype: DType = DType.FLOAT32
  attention: AttentionConfig = AttentionConfig(num_heads=2, num_kv_heads=1, head_dim=16, window=4)
  griffin: GriffinConfig = GriffinConfig()
  moe: MoeConfig = MoeConfig(num_experts=4, top_k=2)
  encoder: EncoderConfig = EncoderConfig()
  head: HeadConfig = HeadConfig()
  hidden: tuple[int, ...] = (256, 256)

  def __post_init__(self):
    if self.width < 1 or self.depth < 1 or self.ffw_dim < 1:
      raise ValueError("width, depth and ffw_dim must be at least 1")
    if not self.hidden or any(h < 1 for h in self.hidden):
      raise ValueError(f"hidden widths must be positive, got {self.hidden}")
    if self.backbone is Backbone.GRIFFIN:
      lru = self.griffin.lru_width or self.width
      if lru % self.griffin.num_lru_heads:
        raise ValueError(f"lru width {lru} must be a multiple of num_lru_heads {self.griffin.num_lru_heads}")

  @classmethod
  def from_preset(cls, backbone: Backbone | str, preset: Preset | str, **overrides) -> "NetworkConfig":
    """The named preset of `backbone`, with any top-level fields replaced."""
    backbone, preset = Backbone(backbone), Preset(preset)
    if backbone is Backbone.MLP:
      cfg = cls(backbone=backbone, hidden=_MLP[preset])
    elif backbone is Backbone.RESNET:
      channels, blocks = _RESNET[preset]
      cfg = cls(backbone=backbone, width=channels, depth=blocks, ffw_dim=channels)
    else:
      table = _GRIFFIN if backbone is Backbone.GRIFFIN else _TRANSFORMER
      width, depth, ffw, heads, kv, head_dim, window = table[preset]
      attention = AttentionConfig(num_heads=heads, num_kv_heads=kv, head_dim=head_dim, window=window)
      moe = MoeConfig()
      if backbone is Backbone.MOE:
        experts, k, every = _MOE[preset]
        moe = MoeConfig(num_experts=experts, top_k=k, every=every, dispatch=MoeDispatch.SPARSE)
      griffin = GriffinConfig(num_lru_heads=heads)
      cfg = cls(backbone=backbone, width=width, depth=depth, ffw_dim=ffw,
                attention=attention, griffin=griffin, moe=moe)
    return dataclasses.replace(cfg, **overrides) if overrides else cfg

  @property
  def lru_width(self) -> int:
    return self.griffin.lru_width or self.width

  @property
  def expert_ffw_dim(self) -> int:
    return self.moe.expert_ffw_dim or self.ffw_dim

  @property
  def value_hidden(self) -> int:
    return self.head.value_hidden or self.width

  def attention_kind(self, layer: int) -> AttentionKind:
    """LOCAL or GLOBAL for transformer/MoE layer `layer`."""
    return self.attention.pattern[layer % len(self.attention.pattern)]

  def block_kind(self, layer: int) -> BlockKind:
    """RECURRENT or ATTENTION for Griffin block `layer`."""
    return self.griffin.block_pattern[layer % len(self.griffin.block_pattern)]

  def is_moe_layer(self, layer: int) -> bool:
    return self.backbone is Backbone.MOE and (layer + 1) % self.moe.every == 0
