"""Floor 1: game rules and OpenSpiel games (Stratego, Go), SGF and setup files."""
