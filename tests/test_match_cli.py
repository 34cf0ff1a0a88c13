"""`stratago match` and `stratago tournament` as a user runs them: result lines, files, SPRT, one-line errors,
and a tournament killed with SIGKILL that `--resume` finishes without losing or repeating a game."""

import csv
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import STRATAGO

RANDOMS = ["random:1", "random:2", "random:3"]


def _rows(out):
  return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_tournament_writes_ratings_crosstable_report_and_records(stratago, tmp_path):
  out = tmp_path / "t"
  result = stratago("tournament", "--game", "tic_tac_toe", "--agents", *RANDOMS, "--games", "40", "--out", out,
                    "--no-progress", "--workers", "2")
  assert result.returncode == 0, result.stderr
  rows = _rows(out)
  assert sorted(r["index"] for r in rows) == list(range(120))
  assert {tuple(sorted((r["first"], r["second"]))) for r in rows} == {
      ("random:1", "random:2"), ("random:1", "random:3"), ("random:2", "random:3")}
  assert all(r["record"] == f"games/{r['index']:05d}.json" and (out / r["record"]).exists() for r in rows)
  ratings = list(csv.DictReader((out / "ratings.csv").open()))
  assert sorted(r["agent"] for r in ratings) == RANDOMS
  assert all(int(r["games"]) == 80 for r in ratings)
  assert sum(float(r["score"]) for r in ratings) == 120  # every game's point, shared out
  anchor = {r["agent"]: r for r in ratings}["random:1"]  # the first agent is the anchor, at 0 exactly
  assert (float(anchor["elo"]), float(anchor["ci_low"]), float(anchor["ci_high"])) == (0, 0, 0)
  assert all(float(r["ci_low"]) < float(r["elo"]) < float(r["ci_high"]) for r in ratings if r is not anchor)
  assert all(abs(float(r["elo"])) < 200 for r in ratings)  # three random players: close
  cross = list(csv.reader((out / "crosstable.csv").open()))
  assert cross[0][0] == "agent" and len(cross) == 4
  page = (out / "report.html").read_text()
  assert page.count("<img") == 4 and "Head to head" in page
  assert "ratings.csv" in result.stdout


def test_match_prints_the_cutechess_lines(stratago, tmp_path):
  result = stratago("match", "--game", "tic_tac_toe", "--agents", "random:1", "py:agents_testing:first_legal",
                    "--games", "30", "--no-progress", env={"PYTHONPATH": os.path.dirname(__file__)})
  assert result.returncode == 0, result.stderr
  lines = result.stdout.splitlines()
  assert lines[0].startswith("Score of random:1 vs py:agents_testing:first_legal: ")
  assert lines[0].endswith(" 30")
  assert lines[1].startswith("...      random:1 moving first: ") and lines[1].endswith(" 15")
  assert lines[3].startswith("Elo difference: ") and ", LOS: " in lines[3] and ", DrawRatio: " in lines[3]


def test_sprt_stops_the_match_once_decided(stratago, tmp_path):
  """Lowest-square play against random at tic-tac-toe: the SPRT decides long before 1,000 games."""
  out = tmp_path / "m"
  result = stratago("match", "--game", "tic_tac_toe", "--agents", "random:1", "py:agents_testing:first_legal",
                    "--games", "1000", "--sprt", "0,200", "--out", out, "--no-progress",
                    env={"PYTHONPATH": os.path.dirname(__file__)})
  assert result.returncode == 0, result.stderr
  sprt = [line for line in result.stdout.splitlines() if line.startswith("SPRT: ")]
  assert len(sprt) == 1 and "was accepted" in sprt[0]
  assert 0 < len(_rows(out)) < 1000


@pytest.mark.parametrize("args,message", [
    (["--agents", "random", "bogus"], "stratago match: error: unknown agent 'bogus'"),
    (["--agents", "random", "random:2", "--games", "0"], "stratago match: error: --games must be at least 1, got 0"),
    (["--agents", "random", "gtp:false"], "stratago match: error: GTP engine false exited"),
    (["--agents", "random", "gtp:echo hello"], "stratago match: error: GTP engine echo"),
    (["--agents", "random", "policy:/no/such.npz"], "stratago match: error: no policy file at /no/such.npz"),
])
def test_bad_input_is_one_line_and_exit_2(stratago, args, message):
  argv = ["match", "--game", "go(board_size=5)", *args]
  if "--games" not in args:
    argv += ["--games", "2"]
  result = stratago(*argv, "--no-progress")
  assert result.returncode == 2
  assert result.stderr.startswith(message), result.stderr
  assert len(result.stderr.strip().splitlines()) == 1


def test_an_output_folder_of_another_tournament_is_refused(stratago, tmp_path):
  out = tmp_path / "t"
  args = ["tournament", "--game", "tic_tac_toe", "--games", "2", "--out", out, "--no-progress", "--agents"]
  assert stratago(*args, "random:1", "random:2").returncode == 0
  result = stratago(*args, "random:1", "random:3", "--resume")
  assert result.returncode == 2 and "holds another tournament: agents" in result.stderr


def test_sigkill_then_resume_loses_and_repeats_no_game(stratago, tmp_path):
  args = ["tournament", "--game", "tic_tac_toe", "--agents", *RANDOMS, "--games", "300", "--no-progress"]
  whole = tmp_path / "whole"
  assert stratago(*args, "--out", whole, timeout=300).returncode == 0
  out = tmp_path / "killed"
  proc = subprocess.Popen([str(STRATAGO), *map(str, args), "--out", str(out)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, env=dict(os.environ, HOME=str(tmp_path)))
  deadline = time.time() + 120
  while time.time() < deadline:
    results = out / "results.jsonl"
    if results.exists() and results.read_text().count("\n") >= 100:
      break
    time.sleep(0.05)
  proc.send_signal(signal.SIGKILL)
  proc.wait()
  before = len(_rows(out))
  assert 100 <= before < 900
  result = stratago(*args, "--out", out, "--resume", timeout=300)
  assert result.returncode == 0, result.stderr
  rows = _rows(out)
  assert sorted(r["index"] for r in rows) == list(range(900))  # none lost, none twice
  key = lambda rs: sorted((r["index"], r["first"], r["second"], r["score"], r["moves"], r["seed"]) for r in rs)
  assert key(rows) == key(_rows(whole))  # the same seeds gave the same games
  elo = lambda o: {r["agent"]: float(r["elo"]) for r in csv.DictReader((o / "ratings.csv").open())}
  assert elo(out) == pytest.approx(elo(whole), abs=0.1)
