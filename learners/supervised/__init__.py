"""Supervised learning from expert games: policy (the move played) and value (the game's outcome)."""
