"""Policy/value networks: LM backbones (Gemma, Griffin, MoE), ResNet and MLP baselines, encoders, heads."""

from agents.networks.config import (AttentionConfig, AttentionImpl, AttentionKind, Backbone, BlockKind, DType,
                                    EncoderConfig, GriffinConfig, HeadConfig, MoeConfig, MoeDispatch,
                                    NetworkConfig, PolicyHead, Preset)
from agents.networks.counting import LayerCount, ModelCount, count
from agents.networks.encoders import GameSpec, spec_from_game
from agents.networks.factory import GriffinState, Network, NetworkOutput, for_game, make_network
from agents.networks.heads import masked_log_softmax

__all__ = [
    "AttentionConfig", "AttentionImpl", "AttentionKind", "Backbone", "BlockKind", "DType", "EncoderConfig",
    "GameSpec", "GriffinConfig", "GriffinState", "HeadConfig", "LayerCount", "ModelCount", "MoeConfig",
    "MoeDispatch", "Network", "NetworkConfig", "NetworkOutput", "PolicyHead", "Preset", "count", "for_game",
    "make_network",
    "masked_log_softmax", "spec_from_game",
]
