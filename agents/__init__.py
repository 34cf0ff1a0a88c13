"""Floor 2: networks (backbones, encoders, heads), policies that act, and GTP."""
