"""Matches and tournaments: the schedule, one game's score and end, forfeits, records, the log and resuming."""

import json

import numpy as np
import pyspiel
import pytest

from agents import make_agent
from core.errors import UserError
from evaluation import match, tournament
from games import sgf

FIRST, LAST = "py:agents_testing:first_legal", "py:agents_testing:last_legal"


def test_round_robin_alternates_seats_round_by_round():
  got = tournament.schedule(["a", "b", "c"], games_per_pair=2, seed=10)
  assert [(p.index, p.first, p.second, p.seed) for p in got] == [
      (0, "a", "b", 10), (1, "a", "c", 11), (2, "b", "c", 12),
      (3, "b", "a", 13), (4, "c", "a", 14), (5, "c", "b", 15)]


def test_gauntlet_plays_one_agent_against_each_other():
  got = tournament.schedule(["b", "c"], games_per_pair=3, gauntlet="g")
  assert [(p.first, p.second) for p in got] == [("g", "b"), ("g", "c"), ("b", "g"), ("c", "g"), ("g", "b"), ("g", "c")]


@pytest.mark.parametrize("games", [0, -2])
def test_no_games_is_a_user_error(games):
  with pytest.raises(UserError, match=f"--games must be at least 1, got {games}"):
    tournament.schedule(["a", "b"], games)


def test_a_known_tic_tac_toe_game_is_scored_for_the_first_seat():
  """Lowest legal square against highest: X takes 0, 1, 2 while O takes 8, 7: X wins in five moves."""
  game = pyspiel.load_game("tic_tac_toe")
  agents = [make_agent(FIRST, game), make_agent(LAST, game)]
  result, state = match.play(game, agents, seed=0)
  assert (result.score, result.moves, result.end, result.returns) == (1.0, 5, "won by seat 0", (1.0, -1.0))
  assert state.history() == [0, 8, 1, 7, 2]
  result, _ = match.play(game, agents[::-1], seed=0)  # O first is now the highest-square player: 8, 0, 7, 1, 6
  assert (result.score, result.moves) == (1.0, 5)


@pytest.mark.parametrize("spec,end", [
    ("py:agents_testing:dies_on_move_2", "forfeit by seat 1: engine exited with code 3"),
    ("py:agents_testing:illegal_on_move_2", "forfeit by seat 1: illegal action 0"),
])
def test_an_agent_that_forfeits_or_plays_illegally_loses_and_the_reason_is_its_end(spec, end):
  game = pyspiel.load_game("tic_tac_toe")
  result, state = match.play(game, [make_agent(FIRST, game), make_agent(spec, game)], seed=0)
  assert (result.score, result.end, result.forfeit, result.moves) == (1.0, end, 1, 3)
  assert state.history() == [0, 1, 2]  # X 0, O 1 (the lowest left), X 2; O's second move never came


def test_go_records_are_sgf_that_replays_to_the_final_board(tmp_path):
  from games import go
  game = go.load_game(go.GoConfig(board_size=5))
  result, state = match.play(game, [make_agent("random:1", game), make_agent("heuristic:2", game)], seed=0)
  path = match.write_record(state, result, ("random:1", "heuristic:2"), tmp_path / "g")
  record = sgf.read_sgf(path)
  assert path.suffix == ".sgf" and (record.black_name, record.white_name) == ("random:1", "heuristic:2")
  assert len(record.moves) == result.moves == len(state.history())
  _, replayed = sgf.replay(record)
  np.testing.assert_array_equal(go.board_of(replayed), go.board_of(state))
  assert record.result == go.score_string(go.area_score(go.board_of(state), 7.5))
  assert result.end == "passes"


def test_stratego_records_hold_setups_and_moves_and_replay_to_the_end(tmp_path):
  from games.stratego import record as stratego_record
  game = pyspiel.load_game("stratego(variant=barrage,deployment=random,max_moves=50)")
  result, state = match.play(game, [make_agent("random:1", game), make_agent("random:2", game)], seed=3)
  path = match.write_record(state, result, ("random:1", "random:2"), tmp_path / "s")
  doc = stratego_record.read(path)
  assert len(doc["red_setup"]) == len(doc["blue_setup"]) == 40 and len(doc["moves"]) == result.moves
  assert doc["end"] == result.end and doc["players"] == ["random:1", "random:2"]
  replayed = stratego_record.replay(doc)
  assert replayed.board_string() == state.board_string() and replayed.returns() == state.returns()


def _manifest(**kw):
  return {"kind": "tournament", "game": "tic_tac_toe", "agents": ["a", "b"], "gauntlet": None, "games": 2,
          "seed": 0, **kw}


def test_an_output_folder_holds_one_tournament(tmp_path):
  out = tmp_path / "t"
  tournament.prepare(out, _manifest(), resume=False)
  with pytest.raises(UserError, match="already holds this tournament; pass --resume"):
    tournament.prepare(out, _manifest(), resume=False)
  tournament.prepare(out, _manifest(), resume=True)
  with pytest.raises(UserError, match=r"holds another tournament: games 2 \(now 4\)"):
    tournament.prepare(out, _manifest(games=4), resume=True)
  (tmp_path / "other").mkdir()
  (tmp_path / "other" / "notes.txt").write_text("mine")
  with pytest.raises(UserError, match="is not empty and holds no tournament"):
    tournament.prepare(tmp_path / "other", _manifest(), resume=False)


def test_a_torn_last_line_is_dropped_and_resume_plays_only_the_missing_games(tmp_path):
  out = tmp_path / "t"
  pairings = tournament.schedule([FIRST, LAST, "random:4"], games_per_pair=2)
  tournament.prepare(out, _manifest(), resume=False)
  rows = tournament.run("tic_tac_toe", pairings[:4], out, progress=False)
  assert [r["index"] for r in rows] == [0, 1, 2, 3]
  with open(out / tournament.RESULTS, "a") as f:
    f.write('{"index": 4, "first": "py:agents')  # a crash in the middle of a line
  done = tournament.read_results(out)
  assert [r["index"] for r in done] == [0, 1, 2, 3]
  assert (out / tournament.RESULTS).read_text().endswith("}\n")
  rows = tournament.run("tic_tac_toe", pairings, out, progress=False, done=done)
  logged = tournament.read_results(out)
  assert sorted(r["index"] for r in logged) == list(range(6)) == sorted(r["index"] for r in rows)
  first = logged[0]
  assert (first["first"], first["second"], first["score"], first["moves"], first["end"], first["record"]) == (
      FIRST, LAST, 1.0, 5, "won by seat 0", "games/00000.json")
  assert json.loads((out / "games" / "00000.json").read_text())["history"] == [0, 8, 1, 7, 2]


def test_workers_play_the_same_games_as_one_process(tmp_path):
  pairings = tournament.schedule(["random:1", "random:2", FIRST], games_per_pair=4)
  one = tournament.run("tic_tac_toe", pairings, None, workers=1, progress=False)
  two = tournament.run("tic_tac_toe", pairings, None, workers=2, progress=False)
  key = lambda rows: sorted((r["index"], r["first"], r["score"], r["moves"], r["end"]) for r in rows)
  assert key(one) == key(two) and len(one) == 12


def test_batched_games_are_the_games_played_one_by_one(tmp_path):
  """A policy's fresh agents share one compiled policy: `play_many` asks it once per move for every game."""
  import jax
  from learners.rnad import config as rnad_config
  from learners.rnad import export, networks
  import networks_fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)
  game = pyspiel.load_game("tic_tac_toe")
  net = networks.make_network(networks_fakes.mlp(8), game)
  params = networks.init(net, jax.random.PRNGKey(0), np.zeros((1, 27), np.float32))
  path = export.export(tmp_path / "p.npz", params, game="tic_tac_toe",
                       cfg=rnad_config.RNaDConfig(network=networks_fakes.mlp(8)), step=1)
  pairings = tournament.schedule([f"policy:{path}", "random:3"], games_per_pair=12)
  one_by_one = tournament.run("tic_tac_toe", pairings, None, progress=False, batch=1)
  batched = tournament.run("tic_tac_toe", pairings, None, progress=False, batch=12)
  key = lambda rows: sorted((r["index"], r["score"], r["moves"], r["end"]) for r in rows)
  assert key(one_by_one) == key(batched)
  assert len({r["moves"] for r in batched}) > 1  # not one game twelve times
  agents = [make_agent(f"policy:{path}", game, seed=s) for s in range(6)]
  calls = []
  original = agents[0].probs
  for agent in agents:
    agent.probs = lambda obs, legal, f=original: calls.append(len(obs)) or f(obs, legal)
  match.play_many(game, [[a, make_agent("random", game, seed=9)] for a in agents], seeds=list(range(6)))
  assert calls[0] == 6 and max(calls) == 6  # X's first move in all six games: one call
