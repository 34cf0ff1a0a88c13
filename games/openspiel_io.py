"""Any two-player OpenSpiel game as R-NaD's actors and evaluators see it: load, check, observe, chance.

Knows no network: these are the game-side conventions shared by self-play
(`actors`) and evaluation, which sit on one floor and so share them from here.
"""

from __future__ import annotations

import numpy as np
import pyspiel


def load_game(name: str) -> pyspiel.Game:
  """Loads an OpenSpiel game by its string, registering this project's games first.

  Raises:
    ValueError: an integer parameter OpenSpiel cannot hold (it would fail a
      CHECK inside its parser with no word of which parameter).
  """
  import re
  import games  # noqa: F401  (registers stratego with pyspiel)
  for key, value in re.findall(r"(\w+)\s*=\s*([-+]?\d+)\s*[,)]", name):
    if abs(int(value) if len(value) < 30 else 2**31) >= 2**31:
      raise ValueError(f"game parameter {key}={value[:30]} is too large (at most {2**31 - 1})")
  return pyspiel.load_game(name)


def check_game(game: pyspiel.Game) -> None:
  """Raises ValueError unless R-NaD's self-play can play `game`."""
  gt = game.get_type()
  if game.num_players() != 2:
    raise ValueError(f"{gt.short_name}: R-NaD self-play needs two players, it has {game.num_players()}")
  if gt.dynamics != pyspiel.GameType.Dynamics.SEQUENTIAL:
    raise ValueError(f"{gt.short_name}: R-NaD self-play needs a sequential game")
  if gt.utility != pyspiel.GameType.Utility.ZERO_SUM:
    raise ValueError(f"{gt.short_name}: R-NaD self-play needs a zero-sum game")
  if not (gt.provides_information_state_tensor or gt.provides_observation_tensor):
    raise ValueError(f"{gt.short_name}: the game gives no information-state or observation tensor")


def observation_shape(game: pyspiel.Game) -> tuple[int, ...]:
  """The shape of what `observe` returns (flattened): the information state's where the game has one."""
  if game.get_type().provides_information_state_tensor:
    return tuple(game.information_state_tensor_shape())
  return tuple(game.observation_tensor_shape())


def observation_size(game: pyspiel.Game) -> int:
  return int(np.prod(observation_shape(game)))


def observe(state: pyspiel.State) -> list[float]:
  """The acting player's input: the information-state tensor where the game has one."""
  if state.get_game().get_type().provides_information_state_tensor:
    return state.information_state_tensor()
  return state.observation_tensor()


def play_chance(state: pyspiel.State, rng: np.random.Generator) -> pyspiel.State:
  """Plays chance nodes (sampled by their probabilities) until a player moves or the game ends."""
  while state.is_chance_node():
    # Inverse CDF over the Python list: `Generator.choice(p=...)` checks `p` on every call, which took a
    # third of a Leduc actor's time.
    u, total = rng.random(), 0.0
    for action, prob in state.chance_outcomes():
      total += prob
      if u < total:
        break
    state.apply_action(action)  # rounding left u past the end: the last outcome
  return state


def sample_actions(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """One action per row of `probs` [N, A] (rows sum to 1), by inverse-CDF sampling."""
  cdf = np.cumsum(probs, axis=-1)
  u = rng.random((probs.shape[0], 1)) * cdf[:, -1:]
  actions = np.sum(cdf <= u, axis=-1)
  # Never pick a zero-probability action through rounding at the top of the CDF.
  return np.minimum(actions, probs.shape[-1] - 1 - np.argmax(probs[:, ::-1] > 0, axis=-1))
