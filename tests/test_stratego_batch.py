"""The tournament's lock-step Stratego games: the OpenSpiel path's games, records the viewer loads, resuming."""

import json
import os
import signal
import subprocess
import time

import jax
import numpy as np
import pyspiel
import pytest

import networks_fakes  # tests/networks_fakes.py (pytest puts tests/ on the path)
from conftest import STRATAGO
from agents import make_agent
from evaluation import stratego_batch, tournament
from games import openspiel_io
from games.stratego import record as stratego_record

RANDOM_DEAL = "stratego(variant=barrage,deployment=random,max_moves=120)"
PLAYERS_DEAL = "stratego(variant=barrage,deployment=play,history=0,max_moves=120)"


def _policy(tmp_path, game_str: str, seed: int) -> str:
  """A tiny network with weights from `seed`, exported for `game_str`: a spec `policy:PATH`."""
  from learners.rnad import config as rnad_config
  from learners.rnad import export, networks
  game = openspiel_io.load_game(game_str)
  net = networks.make_network(networks_fakes.mlp(8), game)
  params = networks.init(net, jax.random.PRNGKey(seed),
                         np.zeros((1, openspiel_io.observation_size(game)), np.float32))
  path = export.export(tmp_path / f"p{seed}.npz", params, game=game_str,
                       cfg=rnad_config.RNaDConfig(network=networks_fakes.mlp(8)), step=1)
  return f"policy:{path}"


@pytest.fixture
def spied(monkeypatch):
  """Counts the games `stratego_batch.play_agents` plays."""
  games = []
  original = stratego_batch.play_agents

  def spy(game, seatings, seeds):
    games.extend(seeds)
    return original(game, seatings, seeds)

  monkeypatch.setattr(stratego_batch, "play_agents", spy)
  return games


def _run(game_str, pairings, out, **kw):
  tournament.prepare(out, {"game": game_str}, resume=False)
  rows = tournament.run(game_str, pairings, out, progress=False, **kw)
  return sorted(({k: v for k, v in r.items() if k != "seconds"} for r in rows), key=lambda r: r["index"])


@pytest.mark.parametrize("game_str", [RANDOM_DEAL, PLAYERS_DEAL])
def test_lockstep_games_are_the_games_played_on_openspiel_states(tmp_path, spied, game_str):
  """Two policies and random, each pair both ways: the same rows and the same records on both paths."""
  specs = [_policy(tmp_path, game_str, 1), _policy(tmp_path, game_str, 2), "random:5"]
  pairings = tournament.schedule(specs, games_per_pair=2, seed=3)
  slow = _run(game_str, pairings, tmp_path / "slow", batch=6, lockstep=False)
  assert spied == []
  fast = _run(game_str, pairings, tmp_path / "fast", batch=6)
  assert sorted(spied) == [p.seed for p in pairings]
  assert fast == slow
  assert len({r["moves"] for r in fast}) > 1 and {r["end"] for r in fast} <= {"flag captured", "move limit",
                                                                               "no-attack limit", "no legal move"}
  for row in fast:
    assert (tmp_path / "fast" / row["record"]).read_text() == (tmp_path / "slow" / row["record"]).read_text()


def test_lockstep_records_replay_to_their_end_and_load_in_the_viewer(tmp_path):
  from gui import replay
  pairings = tournament.schedule([_policy(tmp_path, RANDOM_DEAL, 1), "random"], games_per_pair=4)
  rows = _run(RANDOM_DEAL, pairings, tmp_path / "t", batch=4)
  for row in rows:
    path = tmp_path / "t" / row["record"]
    doc = stratego_record.read(path)
    assert doc["players"] == [row["first"], row["second"]] and len(doc["moves"]) == row["moves"]
    state = stratego_record.replay(doc)
    assert state.is_terminal() and stratego_record.end_name(state) == row["end"] == doc["end"]
    score = {1.0: 1.0, 0.0: 0.5, -1.0: 0.0}[state.returns()[0]]
    assert state.returns() == doc["returns"] and score == row["score"]
    name, event = replay.load_replay(path)
    assert name == str(pyspiel.load_game(RANDOM_DEAL)) and len(event["frames"]) == row["moves"] + 1


def test_resume_plays_the_batch_a_crash_cut_short_and_no_game_twice(tmp_path):
  """Batches are logged whole: a crash in the second batch leaves its games unlogged, and resume plays them."""
  pairings = tournament.schedule([_policy(tmp_path, RANDOM_DEAL, 1), "random"], games_per_pair=8)
  whole = _run(RANDOM_DEAL, pairings, tmp_path / "whole", batch=4)
  out = tmp_path / "cut"
  tournament.prepare(out, {"game": RANDOM_DEAL}, resume=False)
  tournament.run(RANDOM_DEAL, pairings[:4], out, progress=False, batch=4)  # the first batch is logged
  with open(out / tournament.RESULTS, "a") as f:
    f.write('{"index": 4, "first": "pol')  # killed while logging
  (out / "games" / "00005.json").write_text("half a record")  # the batch's records were being written
  done = tournament.read_results(out)
  assert [r["index"] for r in done] == [0, 1, 2, 3]
  tournament.run(RANDOM_DEAL, pairings, out, progress=False, batch=4, done=done)
  logged = sorted(({k: v for k, v in r.items() if k != "seconds"} for r in tournament.read_results(out)),
                  key=lambda r: r["index"])
  assert [r["index"] for r in logged] == list(range(8))
  assert logged == whole
  assert stratego_record.read(out / "games" / "00005.json")["moves"]


@pytest.mark.parametrize("spec,expected", [
    ("random", True), ("random:3", True), ("policy", True),
    ("heuristic:scout", False), ("py:agents_testing:first_legal", False)])
def test_only_network_policies_and_random_are_played_in_lock_step(tmp_path, spec, expected):
  game = pyspiel.load_game(RANDOM_DEAL)
  if spec.startswith("policy"):
    spec = _policy(tmp_path, RANDOM_DEAL, 1) + spec[len("policy"):]
  assert stratego_batch.batchable(make_agent(spec, game, seed=0)) is expected


def test_a_schedule_with_a_bot_plays_its_games_on_openspiel_states(tmp_path, spied):
  pairings = tournament.schedule([_policy(tmp_path, RANDOM_DEAL, 1), "random", "heuristic:scout"], games_per_pair=1)
  rows = _run(RANDOM_DEAL, pairings, tmp_path / "t", batch=1)
  assert sorted(spied) == [0]  # policy against random; the two games with the bot went the other way
  assert [r["index"] for r in rows] == [0, 1, 2] and all(json.loads((tmp_path / "t" / r["record"]).read_text())
                                                         for r in rows)


def test_sigkill_in_a_lockstep_tournament_then_resume_loses_and_repeats_no_game(stratago, tmp_path):
  """The real command, killed while batches are in flight: resume plays what was not logged, nothing twice."""
  args = ["tournament", "--game", "stratego(variant=barrage,deployment=random,max_moves=200)",
          "--agents", "random:1", "random:2", "--games", "48", "--batch", "8", "--no-progress"]
  whole = tmp_path / "whole"
  assert stratago(*args, "--out", whole, timeout=300).returncode == 0
  out = tmp_path / "killed"
  proc = subprocess.Popen([str(STRATAGO), *map(str, args), "--out", str(out)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, env=dict(os.environ, HOME=str(tmp_path)))
  logged = lambda: (out / tournament.RESULTS).read_text().count("\n") if (out / tournament.RESULTS).exists() else 0
  deadline = time.time() + 240
  while time.time() < deadline and logged() < 8:
    time.sleep(0.02)
  proc.send_signal(signal.SIGKILL)
  proc.wait()
  before = len(tournament.read_results(out))
  assert 8 <= before < 48 and before % 8 == 0  # whole batches only
  result = stratago(*args, "--out", out, "--resume", timeout=300)
  assert result.returncode == 0, result.stderr
  key = lambda rows: sorted((r["index"], r["first"], r["score"], r["moves"], r["end"], r["seed"]) for r in rows)
  rows = tournament.read_results(out)
  assert sorted(r["index"] for r in rows) == list(range(48))  # none lost, none twice
  assert key(rows) == key(tournament.read_results(whole))
  for row in rows:
    assert (out / row["record"]).read_text() == (whole / row["record"]).read_text()
