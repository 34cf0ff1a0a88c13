"""Shared pieces of the Go tests: boards drawn as text, engine commands, GNU Go lookup."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

from agents.gtp import gnugo
from games import go

REPO = pathlib.Path(__file__).resolve().parents[1]


def board(*rows: str) -> np.ndarray:
  """int8 board from rows drawn top rank first: X Black, O White, '.' empty (spaces ignored)."""
  cells = [row.replace(" ", "") for row in rows]
  size = len(cells)
  assert all(len(r) == size for r in cells), cells
  out = np.zeros((size, size), np.int8)
  for i, row in enumerate(cells):
    for col, ch in enumerate(row):
      out[size - 1 - i, col] = {"X": go.BLACK_CELL, "O": go.WHITE_CELL, ".": go.EMPTY_CELL}[ch]
  return out


def stones(b: np.ndarray, cell: int) -> list[int]:
  """Actions of the `cell` stones of board `b`."""
  size = b.shape[0]
  return [int(r * size + c) for r, c in zip(*np.nonzero(b == cell))]


def state_from_board(b: np.ndarray, to_play: int = go.BLACK, komi: float = 7.5):
  """An OpenSpiel state holding position `b` (via setup stones) with `to_play` to move."""
  game = go.load_game(go.GoConfig(board_size=b.shape[0], komi=komi, max_game_length=1000))
  return go.initial_state(game, stones(b, go.BLACK_CELL), stones(b, go.WHITE_CELL), to_play)


def stratago_gtp(agent: str = "random") -> list[str]:
  """argv of `stratago gtp --agent AGENT` run by this interpreter."""
  return [sys.executable, "-m", "cli", "gtp", "--agent", agent]


def gnugo_or_skip() -> str:
  path = gnugo.find_gnugo()
  if path is None:
    pytest.skip("GNU Go is not installed (apt-get install gnugo)")
  return path


class FirstLegalAgent:
  """A plug-in agent for `py:go_testing:first_legal`: the lowest legal action."""

  def __init__(self, size: int, seed: int):
    self.size = size
    self.seed = seed

  def step(self, state) -> int:
    return min(state.legal_actions())


def first_legal(game, seed: int) -> FirstLegalAgent:
  return FirstLegalAgent(game.get_parameters()["board_size"], seed)
