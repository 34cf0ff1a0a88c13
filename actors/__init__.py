"""Floor 4: self-play loops, Reverb replay and the one-machine launcher."""
