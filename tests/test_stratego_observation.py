"""Observation planes hold the numbers `observation.py` documents, in the observer's own frame."""

import numpy as np

import games  # noqa: F401  (registers stratego)
from games.stratego.testing import board
from games.stratego.testing import game
from games.stratego.testing import play

# Plane numbers from observation.py.
OWN, OWN_REVEALED, OWN_MOVED, ENEMY, HIDDEN_STILL, HIDDEN_MOVED, LAKES, UNACCOUNTED = 0, 12, 13, 14, 26, 27, 28, 29
DEPLOYING, MY_TURN, I_AM_BLUE, MOVES, SINCE_ATTACK, NEXT_PIECE, HISTORY = 41, 42, 43, 44, 45, 46, 58
MARSHAL, SCOUT, SERGEANT, FLAG = 10, 2, 4, 11  # type - 1


def planes(state, player):
  return np.asarray(state.observation_tensor(player)).reshape(-1, 10, 10)


def at(name):
  """(rank index, file index) of a square name in Red's frame."""
  return int(name[1:]) - 1, "abcdefghij".index(name[0])


def turned(name):
  r, f = at(name)
  return 9 - r, 9 - f


def test_planes_before_and_after_an_attack():
  g = game(board({"e4": "L", "b2": "D", "a1": "M", "e5": "R", "c9": "X", "j10": "Y"}), max_moves=100)
  s = g.new_initial_state()
  red = planes(s, 0)
  assert red.shape == (58 + 6 * 8, 10, 10)
  assert red[OWN + MARSHAL][at("e4")] == 1 and red[OWN + MARSHAL].sum() == 1
  assert red[OWN + SCOUT][at("b2")] == 1 and red[OWN + FLAG][at("a1")] == 1
  assert red[HIDDEN_STILL].sum() == 3 and red[HIDDEN_STILL][at("c9")] == 1
  assert red[ENEMY:ENEMY + 12].sum() == 0 and red[LAKES].sum() == 8
  # Unaccounted enemies: 1 sergeant, 1 marshal, 1 flag, 0 spies; counts / 8 on every square.
  assert red[UNACCOUNTED + SERGEANT][0, 0] == 1 / 8 and red[UNACCOUNTED + 1].sum() == 0
  assert red[MY_TURN].sum() == 100 and red[I_AM_BLUE].sum() == 0 and red[DEPLOYING].sum() == 0
  blue = planes(s, 1)  # Blue sees the board turned: its marshal on c9 is at its own h2
  assert blue[OWN + MARSHAL][turned("c9")] == 1 and blue[OWN + MARSHAL][at("h2")] == 1
  assert blue[I_AM_BLUE].sum() == 100 and blue[MY_TURN].sum() == 0

  play(s, "e4-e5")  # the marshal takes the sergeant
  red, blue = planes(s, 0), planes(s, 1)
  assert red[OWN_REVEALED][at("e5")] == 1 and red[OWN_MOVED][at("e5")] == 1
  assert blue[ENEMY + MARSHAL][turned("e5")] == 1  # Blue now knows the red marshal
  assert red[UNACCOUNTED + SERGEANT].sum() == 0
  assert red[HISTORY + 0][at("e4")] == 1 and red[HISTORY + 1][at("e5")] == 1
  assert red[HISTORY + 2][at("e5")] == 1 and red[HISTORY + 3].sum() == 0  # attacker won
  assert red[HISTORY + 5].sum() == 100 and blue[HISTORY + 5].sum() == 0  # made by Red
  assert red[MOVES][0, 0] == np.float32(1 / 100) and red[SINCE_ATTACK].sum() == 0

  play(s, "c9-c8")  # an unrevealed blue piece moves
  red = planes(s, 0)
  assert red[HIDDEN_MOVED][at("c8")] == 1 and red[HIDDEN_STILL][at("c8")] == 0
  assert red[HISTORY + 0][at("c9")] == 1 and red[HISTORY + 5].sum() == 0  # newest move (slot 0) is Blue's
  assert red[HISTORY + 6 + 2][at("e5")] == 1 and red[HISTORY + 6 + 5].sum() == 100  # the attack, slot 1
  assert red[SINCE_ATTACK][0, 0] == np.float32(1 / 200)


def test_deployment_planes_show_the_next_piece_only_to_the_deployer():
  s = game_deploying()
  red, blue = planes(s, 0), planes(s, 1)
  assert red[DEPLOYING].sum() == 100 and red[NEXT_PIECE + FLAG].sum() == 100
  assert red[NEXT_PIECE:NEXT_PIECE + 12].sum() == 100 and blue[NEXT_PIECE:NEXT_PIECE + 12].sum() == 0
  s.apply_action(0)  # flag to a4; next comes the bomb
  assert planes(s, 0)[NEXT_PIECE + 0].sum() == 100 and planes(s, 0)[OWN + FLAG][at("a4")] == 1


def game_deploying():
  import pyspiel
  return pyspiel.load_game("stratego(variant=barrage)").new_initial_state()
