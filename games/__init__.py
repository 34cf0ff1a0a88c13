"""Floor 1: game rules and OpenSpiel games (Stratego, Go), SGF and setup files."""

# Importing the package registers the OpenSpiel game `stratego`.
from games import stratego  # noqa: F401

from games.go import GoConfig, area_score, board_of, load_game  # Go (issue 4).
from games.sgf import GoRecord, SgfError, read_sgf, write_sgf  # SGF (issue 4).
