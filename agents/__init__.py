"""Floor 2: networks (backbones, encoders, heads), policies that act, and GTP."""

from agents.go_baselines import HeuristicGoAgent, RandomGoAgent, make_go_agent  # Go baselines (issue 4).
