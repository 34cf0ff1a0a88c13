"""Floor 4: NashConv, win rates against a random player, training-time evaluation and curves."""
