"""Floor 4: self-play loops, replay writers and launchers (one machine, Ray)."""
