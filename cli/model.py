"""`stratago model`: parameters, FLOPs per position and layer layout of a network on a game."""

from __future__ import annotations

import argparse

HELP = "print a network's parameters, FLOPs per position and layer layout on a game"
DESCRIPTION = """\
Builds the config of a backbone preset (optionally changed with --set) for an
OpenSpiel game and prints its parameter count, its FLOPs per position (one
observation through the network: forward, and forward+backward counted as 3x
forward) and one line per layer. Nothing is initialised or run: the counts
are worked out from the config, and equal the initialised parameter tree.
Backbones: transformer (Gemma 2), moe (routed feed-forward), griffin
(RecurrentGemma), resnet (AlphaZero torso). Presets: tiny, small, base, large.

examples:
  stratago model --backbone transformer --preset small --game go
  stratago model --backbone griffin --preset base --game 'go(board_size=19)'
  stratago model --backbone moe --preset tiny --game leduc_poker --set moe.num_experts=8
"""

# The values of agents.networks.config.Backbone and Preset, written out: importing that
# package loads JAX and Haiku, most of a second on every `stratago --help`.
# tests/test_cli_startup.py fails when these and the enums part.
BACKBONES = ("transformer", "moe", "griffin", "resnet", "mlp")
PRESETS = ("tiny", "small", "base", "large")


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--backbone", default="transformer", choices=BACKBONES, help="network torso")
  parser.add_argument("--preset", default="small", choices=PRESETS, help="size")
  parser.add_argument("--game", default="go(board_size=9)",
                      help="OpenSpiel game string, e.g. go, 'go(board_size=19)', leduc_poker")
  parser.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
                      help="override one network config value, e.g. --set depth=8 or "
                           "--set attention.window=8; repeatable")


def run(args: argparse.Namespace) -> int:
  from agents.networks import model_info
  print(model_info.describe(model_info.build_config(args.backbone, args.preset, args.overrides),
                            model_info.load_game(args.game)))
  return 0
