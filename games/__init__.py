"""Floor 1: game rules and OpenSpiel games (Stratego, Go), SGF and setup files."""

# Importing the package registers the OpenSpiel game `stratego`.
from games import stratego  # noqa: F401
