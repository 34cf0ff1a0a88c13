"""Go's built-in agents (the `random` and `heuristic` agent specs on Go): uniform play and a one-ply baseline.

  random[:SEED]            uniform over legal moves that neither fill one of its
                           own one-point eyes nor repeat a position; pass when none
  heuristic[:SEED]         one ply: capture most, escape atari, avoid self-atari,
                           put groups in atari, else like random
"""

from __future__ import annotations

import numpy as np
import pyspiel

from agents import base
from games import go


def _own_cell(state: pyspiel.State) -> int:
  return go.BLACK_CELL if state.current_player() == go.BLACK else go.WHITE_CELL


def _repeats_position(state: pyspiel.State, action: int) -> bool:
  """Whether a non-pass `action` ends the game by repeating a position (OpenSpiel's draw)."""
  child = state.clone()
  child.apply_action(action)
  return child.is_terminal() and len(child.history()) < state.get_game().max_game_length()


def sensible_moves(state: pyspiel.State, board: np.ndarray) -> list[int]:
  """Legal non-pass actions that fill no own one-point eye."""
  size = board.shape[0]
  own = _own_cell(state)
  out = []
  for action in state.legal_actions():
    if action == size * size:
      continue
    if not go.is_eye(board, *divmod(action, size), own):
      out.append(action)
  return out


class RandomGoAgent(base.Agent):
  """Uniform over sensible moves that do not end the game by superko; passes when none is left."""

  def __init__(self, seed: int = 0):
    self._rng = np.random.default_rng(seed)

  def step(self, state: pyspiel.State) -> int:
    board = go.board_of(state)
    moves = sensible_moves(state, board)
    self._rng.shuffle(moves)
    for action in moves:
      if not _repeats_position(state, action):
        return int(action)
    return board.size

  def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
    board = go.board_of(state)
    moves = [a for a in sensible_moves(state, board) if not _repeats_position(state, a)] or [board.size]
    return {int(a): 1.0 / len(moves) for a in moves}


class HeuristicGoAgent(base.Agent):
  """One-ply tactics on top of random: each sensible move gets a score and the best is played.

  Score = 10 per captured stone + 8 per own stone saved from atari + 2 per
  opponent stone put in atari - 6 per own stone left in atari (self-atari),
  plus a uniform [0, 1) tie-breaker.
  """

  def __init__(self, seed: int = 0):
    self._rng = np.random.default_rng(seed)

  def _score(self, state: pyspiel.State, board: np.ndarray, action: int) -> float | None:
    size = board.shape[0]
    own = _own_cell(state)
    child = state.clone()
    child.apply_action(action)
    if child.is_terminal() and len(child.history()) < state.get_game().max_game_length():
      return None  # A repeated position: OpenSpiel ends the game as a draw.
    after = go.board_of(child)
    captured = int(np.sum(board == -own) - np.sum(after == -own))
    row, col = divmod(action, size)
    _, libs = go.group_and_liberties(after, row, col)
    score = 10.0 * captured
    # Own stones that were in atari next to the move and now are not.
    saved, threatened, checked = 0, 0, set()
    for n in go.neighbours(row, col, size):
      if n in checked or board[n] == go.EMPTY_CELL:
        continue
      stones, before_libs = go.group_and_liberties(board, *n)
      checked |= stones
      if board[n] == own and len(before_libs) == 1 and len(libs) >= 2:
        saved += len(stones)
      if board[n] == -own and after[n] == -own:
        _, opp_libs = go.group_and_liberties(after, *n)
        if len(opp_libs) == 1:
          threatened += len(stones)
    score += 8.0 * saved + 2.0 * threatened
    if len(libs) == 1:
      stones, _ = go.group_and_liberties(after, row, col)
      score -= 6.0 * len(stones)
    return score + float(self._rng.random())

  def step(self, state: pyspiel.State) -> int:
    board = go.board_of(state)
    best, best_score = board.size, None
    for action in sensible_moves(state, board):
      s = self._score(state, board, action)
      if s is not None and (best_score is None or s > best_score):
        best, best_score = action, s
    return int(best)
