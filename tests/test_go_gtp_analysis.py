"""GTP analysis and clocks: `lz-analyze`/`kata-analyze` lines parse (Sabaki's format) and stay legal,
engines without a search refuse them, and `time_settings`/`time_left` cap a search's time per move."""

import re
import time

import pytest

from agents import make_agent
from agents.gtp.engine import GtpEngine, move_time
from agents.search import SearchAgent, SearchConfig
from games import go
from networks_fakes import RandomEvaluator, tiny_go_policy

SIMS = 48
# One move's entry: lz prints winrate and prior in 1/10000, kata as decimals.
VERTEX = r"(?:[A-HJ-T]\d{1,2}|pass)"
LZ_INFO = re.compile(rf"info move ({VERTEX}) visits (\d+) winrate (\d+) prior (\d+) order (\d+) "
                     rf"pv ({VERTEX}(?: {VERTEX})*)")
KATA_INFO = re.compile(rf"info move ({VERTEX}) visits (\d+) winrate (0\.\d+|1\.0+) prior (0\.\d+|1\.0+) "
                       rf"order (\d+) pv ({VERTEX}(?: {VERTEX})*)")


def search_engine(size=5, **config):
  config = {"num_simulations": SIMS, "batch_size": 8, **config}
  return GtpEngine(lambda n: SearchAgent(RandomEvaluator(seed=n), SearchConfig(**config)),
                   name="search", board_size=size)


def _parse(response: str, kata: bool, engine: GtpEngine, sims: int | None = SIMS, root=None):
  """Checks the framing and every info entry (variations legal from `root`, by default the engine's position);
  returns the updates as lists of (move, visits, winrate, prior)."""
  assert response.startswith("=\n") and response.endswith("\n\n"), response
  lines = response[2:-2].split("\n")
  assert lines and all(lines), response
  size = engine.state.get_game().get_parameters()["board_size"]
  pattern = KATA_INFO if kata else LZ_INFO
  updates = []
  for line in lines:
    entries = pattern.findall(line)
    assert entries and " ".join(m.group(0) for m in pattern.finditer(line)) == line, line
    update = []
    for order, (move, visits, winrate, prior, shown_order, pv) in enumerate(entries):
      assert int(shown_order) == order
      state = (root or engine.state).clone()
      line_moves = pv.split()
      assert line_moves[0] == move
      for vertex in line_moves:  # the variation is legal from the current position
        action = go.gtp_to_action(vertex, size)
        assert action in state.legal_actions(), (vertex, pv)
        state.apply_action(action)
      w, p = float(winrate), float(prior)
      assert (0 <= w <= 1 and 0 <= p <= 1) if kata else (0 <= w <= 10000 and 0 <= p <= 10000)
      update.append((move, int(visits), w, p))
    assert sims is None or sum(v for _, v, _, _ in update) <= sims
    updates.append(update)
  return updates


@pytest.mark.parametrize("command,kata", [("lz-analyze b 0", False), ("kata-analyze B 0", True),
                                          ("lz-analyze interval 0", False), ("kata-analyze b maxmoves 3", True)])
def test_analysis_lines_parse_and_stay_legal(command, kata):
  engine = search_engine()
  for move in ("play b c3", "play w c4", "play b d4"):
    assert engine.handle(move) == "=\n\n"
  engine.handle("genmove w")
  updates = _parse(engine.handle(command), kata, engine)
  final = updates[-1]
  assert [v for _, v, _, _ in final] == sorted((v for _, v, _, _ in final), reverse=True)
  if "maxmoves 3" in command:
    assert len(final) == 3
  else:
    assert sum(v for _, v, _, _ in final) == SIMS  # every simulation reached a root move


def test_analysis_streams_updates_every_interval():
  engine = search_engine(size=9, num_simulations=None, max_time_s=0.6)
  chunks = list(engine.handle_stream("lz-analyze b 10"))
  assert chunks[0] == "=\n" and chunks[-1] == "\n"
  assert len(chunks) >= 4  # several updates, each written as it comes
  totals = [sum(v for _, v, _, _ in update) for update in _parse("".join(chunks), False, engine, sims=None)]
  assert totals == sorted(totals) and totals[0] < totals[-1]


def test_analysis_of_the_other_colour_puts_a_pass_in_between():
  engine = search_engine()
  engine.handle("play b c3")
  after_pass = engine.state
  after_pass.apply_action(25)
  updates = _parse(engine.handle("lz-analyze b 0"), False, engine, root=after_pass)  # White to move: a pass first
  assert sum(v for _, v, _, _ in updates[-1]) == SIMS


@pytest.mark.parametrize("line,answer", [
    ("lz-analyze b interval", "? syntax error\n\n"),
    ("lz-analyze b interval x", "? syntax error\n\n"),
    ("kata-analyze purple", "? syntax error\n\n"),
    ("7 kata-analyze b 10 maxmoves", "?7 syntax error\n\n"),
])
def test_bad_analysis_input_gets_an_error_answer(line, answer):
  engine = search_engine()
  assert engine.handle(line) == answer
  assert engine.handle("name") == "= search\n\n"


def test_analysis_after_the_game_ended_is_an_error():
  engine = search_engine()
  engine.handle("play b pass")
  engine.handle("play w pass")
  assert engine.handle("lz-analyze b 10") == "? cannot analyze (the game is over)\n\n"


def test_engines_without_search_do_not_offer_analysis():
  engine = GtpEngine(lambda n: make_agent("random:0", go.load_game(go.GoConfig(board_size=n))), board_size=5)
  assert "lz-analyze" not in engine.handle("list_commands")
  assert engine.handle("known_command kata-analyze") == "= false\n\n"
  assert engine.handle("lz-analyze b 10") == "? unknown command\n\n"
  searching = search_engine()
  assert {"kata-analyze", "lz-analyze"} <= set(searching.handle("list_commands")[2:].split())


@pytest.mark.parametrize("left,stones,empty,byo,want", [
    (10.0, 0, 81, 0.0, 0.9 * 10 / 40.5 - 0.05),   # main time: over the moves still to play
    (10.0, 0, 8, 0.0, 0.9 * 10 / 10 - 0.05),      # at least 10 moves ahead
    (10.0, 0, 81, 2.0, 0.9 * (10 / 40.5 + 2) - 0.05),  # byo-yomi follows: one stone's time on top
    (30.0, 5, 81, 0.0, 0.9 * 6 - 0.05),           # byo-yomi: the period over its stones
    (0.0, 1, 81, 0.0, 0.05),                      # never below 50 ms
])
def test_move_time_rule(left, stones, empty, byo, want):
  assert move_time(left, stones, empty, byo) == pytest.approx(want)


@pytest.mark.parametrize("commands,most_s", [
    (["time_left b 1 1"], 1.0),                  # byo-yomi: one second for this stone
    (["time_settings 10 0 0"], 0.25 + 0.2),      # 10 s for the whole game: about a quarter second now
    (["time_settings 0 3 3", "time_left b 3 3"], 1.0 + 0.2),
])
def test_the_clock_caps_a_search_that_would_run_long(commands, most_s):
  engine = search_engine(size=9, num_simulations=None, max_time_s=30.0)
  for command in commands:
    assert engine.handle(command) == "=\n\n"
  start = time.perf_counter()
  answer = engine.handle("genmove b")
  assert answer.startswith("= ")
  assert time.perf_counter() - start < most_s


def test_no_time_limit_leaves_the_search_its_own_budget():
  engine = search_engine(size=9, num_simulations=None, max_time_s=0.4)
  engine.handle("time_settings 0 1 0")  # GTP: byo-yomi time with no stones means no time limit
  start = time.perf_counter()
  engine.handle("genmove b")
  assert time.perf_counter() - start >= 0.4


def test_stratago_gtp_plays_and_analyses_with_a_searching_policy(stratago, tmp_path):
  path = tiny_go_policy(tmp_path / "policy.npz", 5)[0]
  result = stratago("gtp", "--agent", f"policy:{path},sims=16,batch=4",
                    input="genmove b\nlz-analyze w 0\nkata-analyze w 0\nquit\n")
  assert result.returncode == 0, result.stderr
  answers = result.stdout.split("\n\n")
  assert re.fullmatch(r"= ([A-E][1-5]|pass)", answers[0])
  for answer, pattern in ((answers[1], LZ_INFO), (answers[2], KATA_INFO)):
    lines = answer.split("\n")
    assert lines[0] == "=" and len(lines) == 2, answer
    assert sum(int(m[1]) for m in pattern.findall(lines[1])) == 16
