"""`stratago play` as a command: one-line errors for bad input, and a server that serves and stops."""

import signal
import socket
import subprocess
import urllib.error
import urllib.request

import pytest

from cli import main as cli_main
from conftest import STRATAGO



@pytest.mark.parametrize("args,error", [
    (["--game", "kuhn_poker"], "--game: the GUI plays stratego(...) and go(...), not kuhn_poker"),
    (["--game", "go(board_size=9)", "--agent", "nonsense"], "agent 'nonsense'"),
    (["--game", "go(board_size=9)", "--setups", "x.txt"], "--setups is for Stratego games"),
    (["--game", "stratego(variant=barrage)", "--setups", "missing.txt"], "missing.txt"),
    (["--replay", "missing.json"], "--replay: no file missing.json"),
    (["--replay", "game.sgf", "--game", "go(board_size=13)"], "--replay shows a game of go(board_size=9,komi=7.5)"),
    (["--replay", "notes.txt"], "--replay: notes.txt is neither a Stratego record (.json) nor an SGF file (.sgf)"),
    (["--game", "go(board_size=9)", "--port", "70000"], "--port must be 1-65535, got 70000"),
    (["--game", "no_such_game"], "--game: the GUI plays stratego(...) and go(...), not no_such_game"),
    (["--game", "go(board_size=99)"], "--game: board_size must be in 2..19, got 99"),
    (["--game", "go(board_size=19,handicap=4)"], "--game: the GUI plays even games; handicap must be 0"),
    (["--game", "stratego(variant=giant)"], "variant must be classic or barrage, got 'giant'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, args, error):
  monkeypatch.chdir(tmp_path)
  (tmp_path / "notes.txt").write_text("hello\n")
  (tmp_path / "game.sgf").write_text("(;GM[1]FF[4]SZ[9]KM[7.5];B[ee];W[cc])")
  assert cli_main.main(["play", "--no-browser", *args]) == 2
  lines = capsys.readouterr().err.strip().splitlines()
  assert len(lines) == 1 and error in lines[0], lines


def test_a_taken_port_is_one_line(capsys):
  with socket.socket() as taken:
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    assert cli_main.main(["play", "--game", "go(board_size=9)", "--no-browser", "--port", str(port)]) == 2
  assert capsys.readouterr().err.strip() == (f"stratago play: error: cannot listen on 127.0.0.1:{port}: "
                                             "Address already in use; choose another --port")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serves_the_page_with_its_token_and_stops_on_a_signal(tmp_path, sig):
  with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
  proc = subprocess.Popen([str(STRATAGO), "play", "--game", "stratego(variant=barrage)", "--no-browser",
                           "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=tmp_path)
  try:
    line = proc.stdout.readline()
    assert line.startswith(f"stratago play: stratego(variant=barrage) against random at http://127.0.0.1:{port}/?token=")
    url = line.split(" at ")[1].strip()
    page = urllib.request.urlopen(url, timeout=10).read().decode()
    assert "<svg id=\"board\"" in page
    with pytest.raises(urllib.error.HTTPError) as refused:
      urllib.request.urlopen(url.split("?")[0], timeout=10)
    assert refused.value.code == 403
    proc.send_signal(sig)
    assert proc.wait(timeout=20) in (0, 130, 143)
  finally:
    if proc.poll() is None:
      proc.kill()
      proc.wait()
