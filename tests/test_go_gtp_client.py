"""The GTP client and referee against `stratago gtp` subprocesses and misbehaving engines."""

import sys

import pytest

from agents.gtp import (GtpClient, GtpCommandError, GtpEngineDied, GtpTimeout, MatchConfig,
                        play_game)
from games import go
from go_testing import stratago_gtp


def test_client_talks_to_stratago_gtp():
  with GtpClient(stratago_gtp("random:1"), timeout_s=60) as engine:
    assert engine.send("protocol_version") == "2"
    assert engine.send("name") == "stratago-random"
    assert engine.send("boardsize 9") == ""
    vertex = engine.send("genmove b")
    assert 0 <= go.gtp_to_action(vertex, 9) <= 81
    with pytest.raises(GtpCommandError, match="'play b z1' failed: invalid coordinate"):
      engine.send("play b z1")
    assert engine.send("showboard").splitlines()[0].split() == list("ABCDEFGHJ")
    assert engine.alive
  assert not engine.alive


def test_engine_that_dies_gives_a_clear_error():
  script = "import sys; sys.stdin.readline(); sys.stderr.write('out of cheese\\n'); sys.exit(3)"
  engine = GtpClient([sys.executable, "-c", script], timeout_s=10, name="fragile")
  with pytest.raises(GtpEngineDied, match=r"fragile exited with code 3 .*out of cheese"):
    engine.send("name")
  with pytest.raises(GtpEngineDied):
    engine.send("name")
  engine.close()


def test_engine_that_hangs_times_out_and_is_stopped():
  engine = GtpClient([sys.executable, "-c", "import time; time.sleep(60)"], timeout_s=0.5)
  with pytest.raises(GtpTimeout, match="did not answer 'name' within 0.5s"):
    engine.send("name")
  assert not engine.alive


def test_missing_program_is_a_clear_error():
  with pytest.raises(GtpEngineDied, match="cannot start GTP engine '/no/such/gnugo --mode gtp'"):
    GtpClient(["/no/such/gnugo", "--mode", "gtp"])


def test_referee_plays_heuristic_against_random_to_the_end():
  with GtpClient(stratago_gtp("heuristic:2")) as black, GtpClient(stratago_gtp("random:3")) as white:
    outcome = play_game(black, white, MatchConfig(board_size=7, komi=4.5))
  assert outcome.end == "passes"
  assert outcome.accepted == len(outcome.moves)
  assert [c for c, _ in outcome.moves] == [i % 2 for i in range(len(outcome.moves))]
  # Without a scorer the result is OpenSpiel's area score of the final board.
  assert outcome.result == go.score_string(go.area_score(outcome.board, 4.5))
  assert outcome.area_score == go.area_score(outcome.board, 4.5)


def test_stratago_gtp_refuses_a_bad_agent_in_one_line():
  import subprocess
  run = subprocess.run(stratago_gtp("alphago"), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       timeout=60)
  assert run.returncode == 2 and run.stdout == ""
  assert run.stderr.strip().splitlines() == [
      "stratago gtp: error: unknown agent 'alphago'; expected random[:SEED], heuristic[:NAME][:SEED], policy:PATH, "
      "run:RUN_DIR, py:MODULE:CALLABLE, gtp:COMMAND, gnugo[:LEVEL] or ucc:COMMAND"]


def test_stratago_gtp_survives_bytes_that_are_not_utf8_and_windows_line_ends():
  import subprocess
  data = b"\xff\xfe\x00name\r\n1 protocol_version\r\nboardsize 99\nplay b \xc3\n2 name\nquit\n"
  run = subprocess.run(stratago_gtp("random"), input=data, capture_output=True, timeout=60)
  assert run.returncode == 0
  assert run.stdout.decode().split("\n\n") == [
      "? unknown command", "=1 2", "? unacceptable size", "? invalid coordinate", "=2 stratago-random", "=", ""]


def test_gnugo_lookup_tries_path_then_usr_games_and_says_how_to_install(tmp_path, monkeypatch):
  from agents.gtp import gnugo
  import go_testing
  monkeypatch.setenv("PATH", str(tmp_path))
  monkeypatch.setattr(gnugo, "_DEBIAN_PATH", str(tmp_path / "games" / "gnugo"))
  assert gnugo.find_gnugo() is None
  with pytest.raises(gnugo.GnuGoNotFound, match="install it with 'apt-get install gnugo'"):
    gnugo.require_gnugo()
  with pytest.raises(pytest.skip.Exception, match="GNU Go is not installed"):
    go_testing.gnugo_or_skip()
  (tmp_path / "games").mkdir()
  (tmp_path / "games" / "gnugo").write_text("#!/bin/sh\n")
  (tmp_path / "games" / "gnugo").chmod(0o755)
  assert gnugo.find_gnugo() == str(tmp_path / "games" / "gnugo")  # Not on PATH: /usr/games.
  (tmp_path / "gnugo").write_text("#!/bin/sh\n")
  (tmp_path / "gnugo").chmod(0o755)
  assert gnugo.find_gnugo() == str(tmp_path / "gnugo")  # PATH first.
  assert gnugo.gnugo_command("gg", level=3, seed=7) == [
      "gg", "--mode", "gtp", "--level", "3", "--seed", "7", "--chinese-rules", "--positional-superko"]
