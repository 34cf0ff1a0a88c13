"""Full 9x9 games of `stratago gtp` against GNU Go, scored both ways; GNU Go's SGF loads."""

import pathlib

import numpy as np
import pytest

from agents.gtp import GtpClient, GtpCommandError, MatchConfig, gnugo_command, play_game
from games import go, sgf
from go_testing import gnugo_or_skip, stratago_gtp

pytestmark = pytest.mark.gnugo


@pytest.mark.parametrize("agent,our_colour,seed", [
    ("random", go.BLACK, 0), ("random", go.WHITE, 1), ("random", go.BLACK, 2),
    ("heuristic", go.WHITE, 3),
])
def test_full_game_against_gnugo_scores_like_gnugo(agent, our_colour, seed):
  program = gnugo_or_skip()
  cfg = MatchConfig(board_size=9, komi=7.5, timeout_s=60)
  with GtpClient(stratago_gtp(f"{agent}:{seed}")) as ours, \
       GtpClient(gnugo_command(program, level=1, seed=seed + 1)) as gnu:
    black, white = (ours, gnu) if our_colour == go.BLACK else (gnu, ours)
    outcome = play_game(black, white, cfg, scorer=gnu)
  assert outcome.end == "passes"
  assert outcome.moves[-2:] == ((outcome.moves[-2][0], 81), (outcome.moves[-1][0], 81))
  # Every move was legal for the referee's OpenSpiel state and accepted by the other engine.
  assert outcome.accepted == len(outcome.moves) > 20
  # The project's area score once GNU Go's dead stones are off equals GNU Go's Chinese score.
  assert outcome.area_score == go.parse_score(outcome.result)
  assert outcome.result == go.score_string(outcome.area_score)
  for action in outcome.dead:
    assert outcome.board[divmod(action, 9)] != go.EMPTY_CELL


def test_gnugo_self_play_record_with_moves_loads(tmp_path: pathlib.Path):
  import subprocess
  program = gnugo_or_skip()
  path = tmp_path / "gnugo.sgf"
  # GNU Go's own SGF writer: --benchmark plays itself and writes moves, passes and RE.
  subprocess.run([program, "--boardsize", "9", "--level", "1", "--chinese-rules", "--seed", "3",
                  "--benchmark", "300", "--outfile", str(path)], check=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
  text = path.read_text()
  record = sgf.read_sgf(path)
  assert record.board_size == 9 and record.rules == "Chinese"
  assert len(record.moves) == text.count(";B[") + text.count(";W[")
  assert record.result.startswith(("B+", "W+"))
  _, state = sgf.replay(record)
  assert state.is_terminal()  # Ends with two passes.
  assert sgf.parse_sgf(sgf.to_sgf_bytes(record)) == record


def test_gnugo_printsgf_position_loads(tmp_path: pathlib.Path):
  program = gnugo_or_skip()
  path = tmp_path / "position.sgf"
  game = go.load_game(go.GoConfig(board_size=9))
  state = game.new_initial_state()
  with GtpClient(gnugo_command(program, level=1, seed=5)) as gnu:
    gnu.send("boardsize 9")
    gnu.send("clear_board")
    for i in range(9):
      state.apply_action(go.gtp_to_action(gnu.send(f"genmove {'bw'[i % 2]}"), 9))
    gnu.send(f"printsgf {path}")
  record = sgf.read_sgf(path)  # GNU Go writes the position as AB/AW setup stones.
  assert record.moves == () and record.first_player == go.WHITE
  _, loaded = sgf.replay(record)
  assert (go.board_of(loaded) == go.board_of(state)).all()
  assert loaded.current_player() == go.WHITE


def test_fixed_handicap_placement_matches_gnugo():
  program = gnugo_or_skip()
  with GtpClient(gnugo_command(program)) as gnu:
    for size in (7, 8, 9, 13, 19):
      gnu.send(f"boardsize {size}")
      for stones in range(2, 10):
        gnu.send("clear_board")
        try:
          ours = sorted(go.fixed_handicap(size, stones))
        except ValueError:
          with pytest.raises(GtpCommandError, match="invalid handicap"):
            gnu.send(f"fixed_handicap {stones}")
          continue
        theirs = sorted(go.gtp_to_action(v, size) for v in gnu.send(f"fixed_handicap {stones}").split())
        assert ours == theirs, (size, stones)


def test_gnugo_as_an_agent_on_openspiel_states():
  from agents.go_baselines import RandomGoAgent
  from agents.gtp import GtpAgent
  program = gnugo_or_skip()
  game = go.load_game(go.GoConfig(board_size=9, komi=7.5, max_game_length=400))
  with GtpClient(gnugo_command(program, level=1, seed=9)) as engine:
    gnu = GtpAgent(engine)
    for game_index in range(2):  # The second game makes the agent clear the engine's board.
      state = game.new_initial_state()
      agents = {game_index % 2: gnu, 1 - game_index % 2: RandomGoAgent(game_index)}
      while not state.is_terminal():
        state.apply_action(agents[state.current_player()].step(state))
      assert state.history()[-2:] == [81, 81]
      gnu.sync(state)
      # The engine's board is the state's board (GNU Go's `list_stones` extension).
      board = go.board_of(state)
      for colour, cell in (("black", go.BLACK_CELL), ("white", go.WHITE_CELL)):
        listed = sorted(go.gtp_to_action(v, 9) for v in engine.send(f"list_stones {colour}").split())
        assert listed == sorted(np.flatnonzero(board == cell).tolist())
      # GNU Go stopped once random's stones were dead: its own score says it won.
      result = engine.send("final_score")
      assert result.startswith("BW"[game_index % 2] + "+")


@pytest.mark.parametrize("seed", [0, 5, 9])
def test_territory_games_between_gnugos_score_like_gnugo(seed):
  # Random players lose everything; GNU Go against GNU Go leaves real territory, dame
  # and dead stones inside it, so the comparison tests territory counting too.
  program = gnugo_or_skip()
  with GtpClient(gnugo_command(program, level=1, seed=seed + 1)) as a, \
       GtpClient(gnugo_command(program, level=seed % 10, seed=seed + 7)) as b:
    outcome = play_game(a, b, MatchConfig(board_size=9, komi=7.5), scorer=a)
  assert outcome.end == "passes" and outcome.accepted == len(outcome.moves)
  assert outcome.dead  # These seeds end with dead stones on the board ...
  raw = go.area_score(outcome.board, 7.5)
  assert raw != outcome.area_score  # ... which Tromp-Taylor alone would count.
  assert outcome.area_score == go.parse_score(outcome.result)


@pytest.mark.slow
@pytest.mark.parametrize("size,agent", [(13, "heuristic"), (19, "random")])
def test_full_game_on_bigger_boards_scores_like_gnugo(size, agent):
  program = gnugo_or_skip()
  with GtpClient(stratago_gtp(f"{agent}:4")) as ours, \
       GtpClient(gnugo_command(program, level=1, seed=5)) as gnu:
    outcome = play_game(gnu, ours, MatchConfig(board_size=size, komi=6.5, timeout_s=120), scorer=gnu)
  assert outcome.end == "passes" and outcome.accepted == len(outcome.moves)
  assert outcome.area_score == go.parse_score(outcome.result)


def test_a_briefly_trained_go_policy_plays_full_games_against_gnugo_over_gtp(stratago, tmp_path):
  """`stratago train` on Go 9x9, then `stratago gtp --agent policy:PATH` against GNU Go: every move accepted."""
  program = gnugo_or_skip()
  trained = stratago("train", "--game", "go(board_size=9)", "--out", tmp_path / "go9", "--no-progress",
                     "--set", "run.max_learner_steps=20", "--set", "eval.vs_random_games=10", timeout=600)
  assert trained.returncode == 0, trained.stderr[-2000:]
  policy = tmp_path / "go9" / "policy.npz"
  cfg = MatchConfig(board_size=9, komi=7.5, timeout_s=60)
  for seed, ours_black in [(0, True), (1, False)]:
    with GtpClient(stratago_gtp(f"policy:{policy}") + ["--seed", str(seed)]) as ours, \
         GtpClient(gnugo_command(program, level=1, seed=seed)) as gnu:
      assert ours.send("name") == "stratago-policy"
      outcome = play_game(*((ours, gnu) if ours_black else (gnu, ours)), cfg, scorer=gnu)
    assert outcome.end in ("passes", "resign", "superko", "max_moves")
    assert outcome.accepted == len(outcome.moves) > 10
