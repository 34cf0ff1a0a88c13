"""Floor 4: tournaments, ratings, NashConv and reports."""
