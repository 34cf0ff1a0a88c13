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


class FirstLegal:
  """The lowest legal action, on any game."""

  def step(self, state) -> int:
    return min(state.legal_actions())


def first_legal(game, seed: int) -> FirstLegal:
  return FirstLegal()


class Failing:
  """Forfeits (as an outside engine that died) on its `after`-th move, or plays an illegal action."""

  def __init__(self, after: int, illegal: bool):
    self.after, self.illegal, self.moves = after, illegal, 0

  def step(self, state) -> int:
    from agents import Forfeit
    self.moves += 1
    if self.moves < self.after:
      return min(state.legal_actions())
    if self.illegal:
      return max(range(state.get_game().num_distinct_actions()), key=lambda a: a not in state.legal_actions())
    raise Forfeit("engine exited with code 3\nand a second line")


def dies_on_move_2(game, seed: int) -> Failing:
  return Failing(2, illegal=False)


def illegal_on_move_2(game, seed: int) -> Failing:
  return Failing(2, illegal=True)


class Passer:
  """Go: always passes."""

  def step(self, state) -> int:
    return max(state.legal_actions())  # pass is Go's highest action


def always_pass(game, seed: int) -> Passer:
  return Passer()


class Resigner:
  """Go: resigns at its first move, as a GTP opponent does (`resigned` set, a pass returned)."""

  def __init__(self):
    self.resigned = False

  def step(self, state) -> int:
    self.resigned = True
    return max(state.legal_actions())

  def reset(self) -> None:
    self.resigned = False
