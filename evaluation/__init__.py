"""Floor 4: matches, tournaments and ratings; NashConv, win rates against random, training-time evaluation, curves."""
