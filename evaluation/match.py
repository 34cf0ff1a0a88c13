"""One game between two agents, scored and recorded: the unit that `stratago match` and `tournament` run.

  result, state = play(game, [first, second], seed=7)   # first sits in seat 0 (moves first)
  results = play_many(game, [[a, b], [b, a]], seeds=[7, 8])   # network agents batched across the games
  path = write_record(state, result, ("random", "heuristic"), "games/00007")

An agent whose `step` raises `agents.Forfeit` (an outside engine's illegal
move, death or time-out) or returns an illegal action loses the game; the
reason is its `end`, and the match goes on.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Any, Sequence

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
  return play_many(game, [agents], [seed])[0]


def play_many(game: pyspiel.Game, seatings: Sequence[Sequence[base.Agent]], seeds: Sequence[int]
              ) -> list[tuple[GameResult, pyspiel.State]]:
  """Plays several games at once, game g with agents `seatings[g]` and chance drawn from `seeds[g]`.

  Each move, network agents that compute the same policy (equal `batch_key`, such as fresh agents of one
  policy file) are asked once for all the positions where they are to move; each then draws its own move
  with its own generator, so every game is the one `play` would give.
  """
  rngs = [np.random.default_rng(seed) for seed in seeds]
  for agents in seatings:
    for agent in agents:
      agent.reset()
  states = [game.new_initial_state() for _ in seeds]
  moves, forfeits = [0] * len(states), [None] * len(states)
  live = set(range(len(states)))
  while live:
    batches: dict[Any, list[int]] = {}
    for g in sorted(live):
      state = states[g]
      while state.is_chance_node():
        actions, probs = zip(*state.chance_outcomes())
        state.apply_action(int(rngs[g].choice(actions, p=np.asarray(probs) / np.sum(probs))))
      if state.is_terminal():
        live.discard(g)
        continue
      agent = seatings[g][state.current_player()]
      batches.setdefault(getattr(agent, "batch_key", ("one", g)), []).append(g)
    for key, games in batches.items():
      actions = _batched_moves(states, seatings, games) if key[0] != "one" else {}
      for g in games:
        state, seat = states[g], states[g].current_player()
        try:
          action = actions[g] if g in actions else int(seatings[g][seat].step(state))
        except base.Forfeit as e:
          forfeits[g] = (seat, str(e).splitlines()[0] if str(e) else type(e).__name__)
        else:
          if action in state.legal_actions():
            state.apply_action(action)
            moves[g] += 1
          else:
            forfeits[g] = (seat, f"illegal action {action}")
        if forfeits[g] is not None:
          live.discard(g)
  return [(_result(game, state, n, forfeit), state) for state, n, forfeit in zip(states, moves, forfeits)]


def _batched_moves(states, seatings, games: list[int]) -> dict[int, int]:
  """One `probs` call for the positions `games` are at, then each game's agent's own draw."""
  from games import openspiel_io
  agents = [seatings[g][states[g].current_player()] for g in games]
  obs = np.asarray([openspiel_io.observe(states[g]) for g in games], np.float32)
  legal = np.asarray([states[g].legal_actions_mask() for g in games], np.float32)
  probs = agents[0].probs(obs, legal)
  return {g: agent.choose(states[g], row) for g, agent, row in zip(games, agents, probs)}


def _result(game: pyspiel.Game, state: pyspiel.State, moves: int, forfeit) -> GameResult:
  if forfeit is not None:
    seat, why = forfeit
    returns = tuple(-1.0 if s == seat else 1.0 for s in range(game.num_players()))
    end = f"forfeit by seat {seat}: {why}"
  else:
    seat, returns, end = None, tuple(float(r) for r in state.returns()), end_of(state)
  score = 1.0 if returns[0] > returns[1] else 0.0 if returns[0] < returns[1] else 0.5
  return GameResult(score=score, moves=moves, end=end, returns=returns, forfeit=seat)


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
