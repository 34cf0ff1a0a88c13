"""A plug-in agent for the `py:MODULE:CALLABLE` spec in tests: the highest legal action, with reset counted."""


class LastLegal:

  def __init__(self, game, seed: int):
    self.game = game
    self.seed = seed
    self.resets = 0

  def step(self, state) -> int:
    return max(state.legal_actions())

  def reset(self) -> None:
    self.resets += 1


def last_legal(game, seed: int) -> LastLegal:
  return LastLegal(game, seed)


def no_step(game, seed: int) -> str:
  """A plug-in that breaks the contract: what it returns has no step()."""
  return f"{game} {seed}"
