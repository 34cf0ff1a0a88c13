"""The 2012 UCC Stratego protocol both ways: its bots as agents (`ucc:COMMAND`), ours as its bots (`stratago ucc`).

The protocol: braathwaate/strategoevaluator, doc/manager_manual.txt, section
PROTOCOL. `ucc_fake_bot.py` is a tiny bot of it, with modes that misbehave.
"""

import io
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pyspiel
import pytest

import games  # noqa: F401  (registers stratego)
from agents import Forfeit, make_agent
from agents import ucc_protocol as ucc
from agents.ucc import UccAgent
from agents.ucc_bot import ProtocolError, UccBot, bot_game
from core.errors import UserError
from games.stratego import notation
from games.stratego import pieces as P

ROOT = pathlib.Path(__file__).resolve().parent.parent
FAKE_BOT = str(ROOT / "tests" / "ucc_fake_bot.py")
# The manual's example: RED's setup (top row first) and the board RED sees on its first turn.
MANUAL_SETUP = ["FB8sB479B8", "BB31555583", "6724898974", "967B669999"]
LAKE_ROWS = ["..++..++..", "..++..++.."]
MANUAL_FIRST_BOARD = MANUAL_SETUP + LAKE_ROWS + ["#" * 10] * 4
# After RED's `0 3 DOWN` and BLUE's `9 6 UP 3 BOTHDIE 9 9`: the manual's "Second Turn for RED".
MANUAL_SECOND_BOARD = (MANUAL_SETUP[:3] + [".67B66999.", "9.++..++..", "..++..++..", "#########."]
                       + ["#" * 10] * 3)
# The manual's setup on this project's board (hand-derived: x = 9 - file, y = rank - 1), ranks 1-4
# as Red and, given as BLUE (rows in reverse order, front row first), ranks 7-10.
RED_RANKS_1_TO_4 = "EBDFIBCEBM" + "JEHHHHLJBB" + "IFDEDEIKFG" + "DDDDGGBFGD"
BLUE_RANKS_7_TO_10 = "PPPPSSNRSP" + "URPQPQUWRS" + "VQTTTTXVNN" + "QNPRUNOQNY"
FIGHTS_IN_80_MOVES = 9


def fake_bot(mode: str, seed: int = 1) -> list[str]:
  return [sys.executable, FAKE_BOT, mode, str(seed)]


def stratago_ucc(*args: str) -> list[str]:
  return [sys.executable, "-m", "cli.main", "ucc", *args]


@pytest.fixture(autouse=True)
def _project_on_pythonpath(monkeypatch):
  """`python -m cli.main` in a child finds this checkout."""
  monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


def play(game, agents, seed: int = 0):
  """One game. Returns (final state, moves each side made, Red's ranks 1-4 and Blue's 7-10 as dealt, forfeit)."""
  state = game.new_initial_state()
  rng = np.random.default_rng(seed)
  moves, dealt = [0, 0], None
  try:
    while not state.is_terminal():
      if state.is_chance_node():
        state.apply_action(int(rng.choice([a for a, _ in state.chance_outcomes()])))
        continue
      player = state.current_player()
      action = agents[player].step(state)
      assert action in state.legal_actions()
      if action >= 40:
        dealt = dealt or state.board_string()
        moves[player] += 1
      state.apply_action(action)
  except Forfeit as e:
    return state, moves, dealt, str(e)
  finally:
    for agent in agents:
      agent.close()
  return state, moves, dealt, None


# The mapping.
@pytest.mark.parametrize("square, xy", [("j1", (0, 0)), ("a1", (9, 0)), ("j10", (0, 9)), ("a10", (9, 9)),
                                        ("e4", (5, 3)), ("c5", (7, 4)), ("h6", (2, 5))])
def test_squares_are_the_board_turned_180_degrees(square, xy):
  sq = notation.parse_square(square)
  assert ucc.square_xy(sq) == xy and ucc.xy_square(*xy) == sq


@pytest.mark.parametrize("text, src, dst", [("0 3 DOWN", "j4", "j5"), ("9 6 UP 3", "a7", "a4"),
                                            ("4 2 LEFT", "f3", "g3"), ("4 2 RIGHT 2", "f3", "d3")])
def test_moves_map_to_squares_and_back(text, src, dst):
  move = ucc.parse_move(text.split())
  assert [notation.square_name(s) for s in move.squares()] == [src, dst]
  assert str(ucc.move_between(*move.squares())) == text


@pytest.mark.parametrize("text, why", [("hello world", "2 words, not 3 or 4"),
                                       ("1 2 NORTH", "direction 'NORTH' is not UP, DOWN, LEFT or RIGHT"),
                                       ("a 2 UP", "'a' is not a whole number"),
                                       ("1 2 UP 0", "multiplier 0 is not at least 1")])
def test_bad_moves_say_what_is_wrong(text, why):
  with pytest.raises(ValueError, match=f"^{why}$"):
    ucc.parse_move(text.split())


@pytest.mark.parametrize("line, report", [
    ("0 3 DOWN OK", ucc.Report(ucc.Move(0, 3, "DOWN"), "OK")),
    ("9 6 UP 3 BOTHDIE 9 9", ucc.Report(ucc.Move(9, 6, "UP", 3), "BOTHDIE", (P.SCOUT, P.SCOUT))),
    ("1 1 LEFT KILLS s 1", ucc.Report(ucc.Move(1, 1, "LEFT"), "KILLS", (P.SPY, P.MARSHAL))),
    ("5 5 UP DIES 8 B", ucc.Report(ucc.Move(5, 5, "UP"), "DIES", (P.MINER, P.BOMB)))])
def test_reports_read_and_write(line, report):
  assert ucc.parse_report(line) == report and str(report) == line


@pytest.mark.parametrize("line, why", [("1 1 UP KILLS 1", "KILLS must be followed by the two pieces' letters"),
                                       ("1 1 UP WINS", "unknown outcome 'WINS'"),
                                       ("1 1 UP KILLS 1 X", "'X' is not a piece letter")])
def test_bad_reports_say_what_is_wrong(line, why):
  with pytest.raises(ValueError, match=why):
    ucc.parse_report(line)


def test_the_manuals_example_setup_boards_and_outcome():
  red, blue = ucc.parse_setup(MANUAL_SETUP, 0), ucc.parse_setup(MANUAL_SETUP[::-1], 1)
  assert ucc.setup_rows(red, 0) == MANUAL_SETUP and ucc.setup_rows(blue, 1) == MANUAL_SETUP[::-1]
  board = notation.board_from_setups(red, blue)
  assert notation.format_board(board)[:40] == RED_RANKS_1_TO_4
  assert notation.format_board(board)[60:] == BLUE_RANKS_7_TO_10
  assert ucc.board_rows(board, 0) == MANUAL_FIRST_BOARD
  assert ucc.board_rows(board, 1) == ["#" * 10] * 4 + LAKE_ROWS + MANUAL_SETUP[::-1]
  state = pyspiel.load_game("stratego", {"initial_board": notation.format_board(board)}).new_initial_state()
  lines = []
  for player, text in [(0, "0 3 DOWN"), (1, "9 6 UP 3")]:
    src, dst = ucc.parse_move(text.split()).squares()
    before = notation.parse_board(state.board_string())
    state.apply_action(state.string_to_action(notation.move_string(src, dst)))
    lines.append(str(ucc.report(before, notation.parse_board(state.board_string()), src, dst)))
  assert lines == ["0 3 DOWN OK", "9 6 UP 3 BOTHDIE 9 9"]
  assert ucc.board_rows(notation.parse_board(state.board_string()), 0) == MANUAL_SECOND_BOARD


@pytest.mark.parametrize("rows, why", [
    (MANUAL_SETUP[:3], "a setup has 4 rows, got 3"),
    (MANUAL_SETUP[:3] + ["967B66999"], "row 4 '967B66999' has 9 letters, not 10"),
    (MANUAL_SETUP[:3] + ["967B66999x"], "row 4 '967B66999x': 'x' is not a piece letter"),
    (["FF8sB479B8"] + MANUAL_SETUP[1:], r"a classic setup has 6 bomb \('B'\), this one 5")])
def test_bad_setups_say_what_is_wrong(rows, why):
  with pytest.raises(ValueError, match=why):
    ucc.parse_setup(rows, 0)


def test_replace_pieces_changes_identities_and_keeps_the_game():
  """What `stratago ucc` uses to correct its stand-ins for the opponent's unseen pieces."""
  from games.stratego import engine, observation, testing
  game = testing.game(testing.board({"e4": "L", "a1": "M", "e7": "X", "a7": "R", "j10": "Y"}))
  state = testing.play(game.new_initial_state(), "e4-e5")
  assert testing.legal_strings(state) == {"e7-e6", "e7-d7", "e7-f7", "e7-e8", "a7-a6", "a7-a8", "a7-b7"}
  board, revealed, moved = observation.absolute_view(state.engine_state)
  board = board.copy()
  board[notation.parse_square("e7")] = P.BOMB + P.BLUE_OFFSET  # Blue's marshal was a bomb all along.
  state.engine_state = engine.jit_replace_pieces(game.config, state.engine_state, board)
  assert testing.legal_strings(state) == {"a7-a6", "a7-a8", "a7-b7"}
  assert state.board_string() == notation.format_board(board)
  after = observation.absolute_view(state.engine_state)
  assert (after[1] == revealed).all() and (after[2] == moved).all() and int(state.engine_state.num_moves) == 1
  testing.play(state, "a7-a6", "e5-e6")  # Play goes on from the new pieces.
  assert state.board_string()[notation.parse_square("e6")] == "L"


# Bots as agents: `ucc:COMMAND`.
@pytest.mark.parametrize("deployment, side, moves, returns", [
    ("play", 0, [150, 150], [0.0, 0.0]), ("play", 1, [150, 150], [0.0, 0.0]),
    ("random", 0, [150, 150], [0.0, 0.0]), ("random", 1, [150, 150], [0.0, 0.0])])
def test_a_bot_plays_whole_games_against_random(deployment, side, moves, returns):
  game = pyspiel.load_game(f"stratego(deployment={deployment},max_moves=300)")
  bot = UccAgent(fake_bot("good"), game, timeout_s=10)
  agents = [bot, make_agent("random:2", game)][::1 if side == 0 else -1]
  state, played, dealt, forfeit = play(game, agents)
  assert forfeit is None and state.is_terminal()
  assert played == moves and state.returns() == returns
  if deployment == "play":  # The bot's setup rows became its placing actions, square for square.
    assert (dealt[:40] == RED_RANKS_1_TO_4) == (side == 0)
    assert (dealt[60:] == BLUE_RANKS_7_TO_10) == (side == 1)


@pytest.mark.parametrize("mode, side, moves, reason", [
    ("shuffle", 0, [3, 3], "ucc bot ucc_fake_bot.py (Red) played '0 4 UP' (j5-j4), which is illegal: the two-squares "
                           "rule forbids it (the same piece back and forth three times)"),
    ("shuffle", 1, [4, 3], "ucc bot ucc_fake_bot.py (Blue) played '0 5 DOWN' (j6-j7), which is illegal: the "
                           "two-squares rule forbids it (the same piece back and forth three times)"),
    ("garbage", 1, [1, 0], "ucc bot ucc_fake_bot.py (Blue) answered 'hello world', not a move X Y DIRECTION "
                           "[MULTIPLIER]: 2 words, not 3 or 4"),
    ("badsetup", 0, [0, 0], "ucc bot ucc_fake_bot.py (Red) gave a bad setup (FB8sB47FB8 / BB31555583 / 6724898974 / "
                            "967B669999): a classic setup has 8 scout ('9'), this one 7"),
    ("exit", 1, [0, 0], "ucc bot ucc_fake_bot.py (Blue) exited with code 3 before giving its setup; its stderr ends: "
                        "bye"),
    ("crash", 0, [2, 2], "ucc bot ucc_fake_bot.py (Red) exited with code 1 before giving its move; its stderr ends: "
                         "oops"),
    ("mute", 0, [0, 0], "ucc bot ucc_fake_bot.py (Red) did not give its setup within 0.5s"),
    ("hang", 1, [1, 0], "ucc bot ucc_fake_bot.py (Blue) did not give its move within 0.5s")])
def test_a_faulty_bot_forfeits_with_one_line_that_says_why(mode, side, moves, reason):
  game = pyspiel.load_game("stratego(deployment=play)")
  bot = UccAgent(fake_bot(mode), game, timeout_s=0.5, setup_timeout_s=0.5)
  agents = [bot, make_agent("random:2", game)][::1 if side == 0 else -1]
  start = time.monotonic()
  _, played, _, forfeit = play(game, agents)
  assert forfeit == reason and played == moves
  assert time.monotonic() - start < 5  # A hung bot costs its time-out, then it is stopped.


@pytest.mark.parametrize("reply, why", [
    ("0 0 UP", "'0 0 UP', which is illegal: (0, -1) is off the board"),
    ("0 0 DOWN", "'0 0 DOWN' (j1-j2), which is illegal: its flag on j1 cannot move"),
    ("1 0 DOWN", "'1 0 DOWN' (i1-i2), which is illegal: its bomb on i1 cannot move"),
    ("0 4 DOWN", "'0 4 DOWN' (j5-j6), which is illegal: it has no piece on j5"),
    ("1 3 DOWN 2", "'1 3 DOWN 2' (i4-i6), which is illegal: its lieutenant moves one square at a time; only "
                   "scouts go further"),
    ("2 3 DOWN", "'2 3 DOWN' (h4-h5), which is illegal: h5 is a lake"),
    ("0 2 DOWN", "'0 2 DOWN' (j3-j4), which is illegal: its own piece stands on j4"),
    ("0 3 DOWN 6", "'0 3 DOWN 6' (j4-j10), which is illegal: the way is blocked at j7")])
def test_an_illegal_move_forfeits_with_the_rule_it_breaks(reply, why):
  game = pyspiel.load_game("stratego(deployment=play)")
  bot = UccAgent([sys.executable, FAKE_BOT, "script", reply], game, timeout_s=5)
  _, played, _, forfeit = play(game, [bot, make_agent("random:2", game)])
  assert forfeit == f"ucc bot ucc_fake_bot.py (Red) played {why}" and played == [0, 0]


def test_surrender_forfeits():
  game = pyspiel.load_game("stratego(deployment=play)")
  bot = UccAgent([sys.executable, FAKE_BOT, "script", "0 6 UP", "SURRENDER"], game, timeout_s=5)
  _, played, _, forfeit = play(game, [make_agent("random:2", game), bot])
  assert forfeit == "ucc bot ucc_fake_bot.py (Blue) surrendered" and played == [2, 1]


def test_a_time_out_is_honoured_and_the_bot_stopped():
  game = pyspiel.load_game("stratego(deployment=random)")
  state = game.new_initial_state()
  while state.is_chance_node():
    state.apply_action(state.chance_outcomes()[0][0])
  bot = UccAgent(fake_bot("hang"), game, timeout_s=0.3, setup_timeout_s=5)
  start = time.monotonic()
  with pytest.raises(Forfeit, match=r"^ucc bot ucc_fake_bot.py \(Red\) did not give its move within 0.3s$"):
    bot.step(state)
  assert 0.3 <= time.monotonic() - start < 2.0
  # The next game starts a new process; a bot that answers is asked the same state once.
  good = UccAgent(fake_bot("good"), game)
  probs = good.action_probabilities(state)
  assert probs == {good.step(state): 1.0}
  good.close()
  bot.close()


@pytest.mark.parametrize("spec, game, message", [
    ("ucc:", "stratego", "agent 'ucc:': expected ucc:COMMAND"),
    ("ucc:no-such-bot-here --fast", "stratego",
     "ucc bot 'no-such-bot-here --fast': no program 'no-such-bot-here' (not on PATH, or not an executable file)"),
    ("ucc:./bot", "stratego(variant=barrage)",
     "agent 'ucc:./bot': UCC bots play classic Stratego (40 pieces a side), not variant=barrage"),
    ("ucc:./bot", "go(board_size=9)", "agent 'ucc:./bot': UCC bots play classic Stratego, not go")])
def test_bad_ucc_specs_get_one_line(spec, game, message):
  with pytest.raises(UserError) as e:
    make_agent(spec, pyspiel.load_game(game))
  assert str(e.value) == message


# Agents as bots: `stratago ucc`.
def blue_view(changes: dict[tuple[int, int], str] = {}) -> str:
  """The first board BLUE (`random:3`'s setup) is shown, RED's pieces `#`, with letters changed at (x, y)."""
  game = bot_game()
  out = io.StringIO()
  UccBot(make_agent("random:3", game), game).serve(io.StringIO("BLUE x 10 10\n"), out)
  rows = [list(row) for row in ["#" * 10] * 4 + LAKE_ROWS + out.getvalue().split()]
  for (x, y), ch in changes.items():
    rows[y][x] = ch
  return "".join("".join(row) + "\n" for row in rows)


@pytest.mark.parametrize("text, message", [
    ("HELLO\n", "expected 'RED|BLUE OPPONENT 10 10' to start the game, got 'HELLO'"),
    ("RED x 8 8\n", "the board is 8x8; this bot plays classic Stratego on 10x10"),
    ("BLUE x 10 10\nSTART\n", "START came, but only RED gets it, on its first turn"),
    ("RED x 10 10\n0 3 DOWN OK\n", "RED's first turn starts with START, not '0 3 DOWN OK'"),
    ("BLUE x 10 10\n0 3 DOWN\n", "cannot read '0 3 DOWN' as a move and its outcome: expected X Y DIRECTION "
                                  "[MULTIPLIER] OUTCOME"),
    ("BLUE x 10 10\n0 3 DOWN ILLEGAL\n{board}", "the manager calls the opponent's move '0 3 DOWN ILLEGAL' illegal; "
                                                 "the bot cannot skip a turn (run the manager without -i)"),
    ("BLUE x 10 10\n0 3 DOWN 7 OK\n{board}", "the opponent's move '0 3 DOWN 7 OK': (0, 10) is off the board"),
    ("BLUE x 10 10\n0 3 DOWN OK\n{board}", "the manager's board does not show the opponent's move '0 3 DOWN OK' "
                                            "(j4-j5) made"),
    ("BLUE x 10 10\n2 3 DOWN 3 OK\n{jump}", "the opponent's move '2 3 DOWN 3 OK' (h4-h7) is not legal in the bot's "
                                            "game"),
    ("RED x 10 10\nSTART\n" + "\n".join(MANUAL_SETUP[:3]) + "\n",
     "the input ended inside a board (after 3 of its 10 rows)"),
    ("RED x 10 10\nSTART\n" + "##########\n" * 10,
     "the manager's board row 4 '##########' has its lakes ('+') out of place")])
def test_the_bot_refuses_bad_manager_lines_with_one_line(text, message):
  text = text.replace("{board}", blue_view()).replace("{jump}", blue_view({(2, 3): ".", (2, 6): "#"}))
  game = bot_game()
  bot = UccBot(make_agent("random:3", game), game)
  with pytest.raises(ProtocolError) as e:
    bot.serve(io.StringIO(text), io.StringIO())
  assert str(e.value) == message


@pytest.mark.parametrize("text", ["", "QUIT\n", "RED x 10 10\nQUIT VICTORY\n"])
def test_the_bot_stops_at_quit_or_the_end_of_the_input(text):
  game = bot_game()
  out = io.StringIO()
  assert UccBot(make_agent("random:3", game), game).serve(io.StringIO(text), out) == 0
  assert len(out.getvalue().splitlines()) == (4 if text.startswith("RED") else 0)  # The setup rows.


def test_stratago_ucc_answers_a_managers_lines_with_legal_moves():
  """Drives `stratago ucc` as the manager would, as BLUE, against random RED moves; then shows it a wrong board."""
  from agents._subprocess import LineProcess, ProcessDied
  from agents.ucc_bot import MANAGER_RULES
  from games import stratego
  bot = LineProcess(stratago_ucc("--agent", "random:3"))
  try:
    bot.send(["BLUE fake-red 10 10"])
    rows = [bot.read_line(time.monotonic() + 120) for _ in range(4)]
    board = notation.board_from_setups(ucc.parse_setup(MANUAL_SETUP, 0), ucc.parse_setup(rows, 1))
    rules = {k: v for k, v in MANAGER_RULES.items() if k != "deployment"}
    referee = pyspiel.load_game("stratego", {**rules, "initial_board": notation.format_board(board)})
    state, rng, reports = referee.new_initial_state(), np.random.default_rng(0), []

    def move(action):
      before = notation.parse_board(state.board_string())
      src, dst = notation.parse_move(state.action_to_string(action))
      state.apply_action(action)
      reports.append(str(ucc.report(before, notation.parse_board(state.board_string()), src, dst)))
      return reports[-1]

    for _ in range(40):
      bot.send([move(int(rng.choice(state.legal_actions())))]
               + ucc.board_rows(notation.parse_board(state.board_string()), 1))
      reply = bot.read_line(time.monotonic() + 30)
      src, dst = ucc.parse_move(reply.split()).squares()
      action = stratego.string_to_action(1, notation.move_string(src, dst))
      assert action in state.legal_actions(), reply
      bot.send([move(action)])
    assert len(reports) == 80 and not state.is_terminal()
    fights = [r.split()[-3] for r in reports if r.split()[-3] in ucc.OUTCOMES_WITH_RANKS]
    assert len(fights) == FIGHTS_IN_80_MOVES  # Stand-ins corrected each time, or the bot would have stopped.
    # A board that is not the bot's: the one line on stderr, exit status 2, no traceback.
    red_move = move(int(rng.choice(state.legal_actions())))
    view = ucc.board_rows(notation.parse_board(state.board_string()), 1)
    wrong = view[:9] + [("." if view[9][0] != "." else "9") + view[9][1:]]
    bot.send([red_move] + wrong)
    with pytest.raises(ProcessDied) as e:
      bot.read_line(time.monotonic() + 30)
  finally:
    bot.close()
  assert e.value.how == "exited with code 2"
  assert e.value.stderr_tail.endswith(f"stratago ucc: error: the manager's board row 9 is '{wrong[9]}', the bot's "
                                      f"game has '{view[9]}'")
  assert "Traceback" not in e.value.stderr_tail


@pytest.mark.parametrize("text, code, stderr", [
    ("RED fake 10 10\nQUIT VICTORY 1 0 0\n", 0, []),
    ("RED fake 10 10\nSTART\n" + "##########\n" * 10, 2,
     ["stratago ucc: error: the manager's board row 4 '##########' has its lakes ('+') out of place"])])
def test_stratago_ucc_ends_at_quit_and_refuses_bad_input_in_one_line(text, code, stderr):
  run = subprocess.run([sys.executable, "-m", "cli.main", "--log-level", "warning", "ucc", "--agent", "random:4"],
                       input=text, capture_output=True, text=True, timeout=120, cwd=ROOT)
  assert run.returncode == code and run.stderr.splitlines() == stderr
  ucc.parse_setup(run.stdout.splitlines(), 0)  # Its setup: four rows, a full classic set.


def test_stratago_ucc_as_a_ucc_agent_plays_a_whole_game_against_random():
  """Both directions at once: our adapter is the manager, `stratago ucc` the bot.

  Refereed under the manager's rules (no two-squares or more-squares rule), which `stratago ucc` plays by.
  """
  game = pyspiel.load_game("stratego(deployment=play,max_moves=300,two_square_rule=false,more_squares_rule=false)")
  bot = UccAgent(stratago_ucc("--agent", "random:1"), game, timeout_s=30, setup_timeout_s=120)
  state, played, _, forfeit = play(game, [bot, make_agent("random:2", game)])
  assert forfeit is None and state.is_terminal()
  assert played == [150, 150] and state.returns() == [0.0, 0.0]
