"""One game between two agents, scored and recorded: the unit that `stratago match` and `tournament` run.

  result, state = play(game, [first, second], seed=7)   # first sits in seat 0 (moves first)
  path = write_record(state, result, ("random", "heuristic"), "games/00007")

An agent whose `step` raises `agents.Forfeit` (an outside engine's illegal
move, death or time-out) or returns an illegal action loses the game; the
reason is its `end`, and the match goes on.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Sequence

import numpy as np
import pyspiel

from agents import base
from core import files


@dataclasses.dataclass(frozen=True)
class GameResult:
  """How one game went.

  Attributes:
    score: the seat-0 agent's score: 1 win, 0.5 draw, 0 loss.
    moves: the players' actions (chance outcomes not counted).
    end: how it ended (e.g. "flag captured", "passes", "forfeit by seat 1: ...").
    returns: each seat's return.
    forfeit: the seat that forfeited, or None.
  """
  score: float
  moves: int
  end: str
  returns: tuple[float, ...]
  forfeit: int | None = None


def play(game: pyspiel.Game, agents: Sequence[base.Agent], seed: int) -> tuple[GameResult, pyspiel.State]:
  """Plays one game, agent i in seat i; chance outcomes are drawn from `seed`. Returns the result and last state."""
  rng = np.random.default_rng(seed)
  for agent in agents:
    agent.reset()
  state = game.new_initial_state()
  moves, forfeit, why = 0, None, ""
  while not state.is_terminal():
    if state.is_chance_node():
      actions, probs = zip(*state.chance_outcomes())
      state.apply_action(int(rng.choice(actions, p=np.asarray(probs) / np.sum(probs))))
      continue
    seat = state.current_player()
    try:
      action = int(agents[seat].step(state))
    except base.Forfeit as e:
      forfeit, why = seat, str(e).splitlines()[0] if str(e) else type(e).__name__
      break
    if action not in state.legal_actions():
      forfeit, why = seat, f"illegal action {action}"
      break
    state.apply_action(action)
    moves += 1
  if forfeit is not None:
    returns = tuple(-1.0 if s == forfeit else 1.0 for s in range(game.num_players()))
    end = f"forfeit by seat {forfeit}: {why}"
  else:
    returns = tuple(float(r) for r in state.returns())
    end = end_of(state)
  score = 1.0 if returns[0] > returns[1] else 0.0 if returns[0] < returns[1] else 0.5
  return GameResult(score=score, moves=moves, end=end, returns=returns, forfeit=forfeit), state


def end_of(state: pyspiel.State) -> str:
  """How a finished game ended, in the game's own terms where it has them."""
  name = state.get_game().get_type().short_name
  if name == "stratego":
    from games.stratego import record
    return record.end_name(state)
  if name == "go":
    history = state.history()
    size = state.get_game().get_parameters()["board_size"]
    if len(history) >= state.get_game().max_game_length():
      return "move limit"
    if len(history) >= 2 and history[-1] == history[-2] == size * size:
      return "passes"
    return "repeated position"
  returns = state.returns()
  return "draw" if returns[0] == returns[1] else f"won by seat {int(np.argmax(returns))}"


def write_record(state: pyspiel.State, result: GameResult, players: Sequence[str],
                 stem: str | pathlib.Path) -> pathlib.Path:
  """Writes the game's record next to `stem`: SGF for Go, the Stratego record, else JSON of the history.

  Returns the path written (`stem` plus `.sgf` or `.json`).
  """
  game = state.get_game()
  name = game.get_type().short_name
  stem = pathlib.Path(stem)
  if name == "go":
    from games import go, sgf
    params = game.get_parameters()
    size, komi = params["board_size"], params["komi"]
    history = state.history()
    if result.forfeit is not None:
      outcome = f"{'WB'[result.forfeit]}+F"
    else:
      outcome = go.score_string(go.area_score(go.board_of(state), komi))
    record = sgf.GoRecord(board_size=size, komi=komi, moves=tuple((i % 2, a) for i, a in enumerate(history)),
                          result=outcome, black_name=players[0], white_name=players[1], rules="Tromp-Taylor")
    return sgf.write_sgf(record, stem.with_suffix(".sgf"))
  if name == "stratego":
    from games.stratego import record
    return record.write(record.record_of(state, tuple(players), result.end), stem.with_suffix(".json"))
  doc = {"format": "stratago.record/1", "game": str(game), "history": list(state.history()),
         "returns": list(result.returns), "end": result.end, "players": list(players)}
  return files.write_atomic(stem.with_suffix(".json"), json.dumps(doc) + "\n")
