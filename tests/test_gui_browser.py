"""`stratago play` in a real browser: Playwright drives Debian's chromium (`.ci/run` installs it).

One test plays a whole Go 9x9 game against `random` by clicks, to the score;
one plays barrage Stratego from the setup (a drag, then clicks) to the first
attack. Each saves screenshots in its temporary folder.
"""

import os
import shutil

import numpy as np
import pytest

from games import go
from gui import testing

CHROMIUM = os.environ.get("STRATAGO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                                reason="needs Debian's chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
  with testing.chromium(CHROMIUM) as browser:
    yield browser


@pytest.fixture
def page(browser):
  page = testing.new_page(browser)
  errors = []
  page.on("pageerror", lambda e: errors.append(str(e)))
  yield page
  page.close()
  assert not errors, errors


def test_go_9x9_whole_game_against_random_by_clicks(page, tmp_path):
  rng = np.random.default_rng(0)
  with testing.served("go(board_size=9)", "random") as url:
    page.goto(url)
    page.wait_for_selector(testing.YOUR_MOVE)
    page.screenshot(path=tmp_path / "go-start.png")
    clicks, live = testing.play_go(page, rng, points=25, max_clicks=200)
    page.screenshot(path=tmp_path / "go-scored.png")
    banner = page.inner_text("#banner")
  assert live["phase"] == "over" and live["moves"][-2:] == ["pass", "pass"], f"not over after {clicks} clicks"
  # The score is the area score of the board with the listed dead stones taken off.
  board = np.asarray(live["stones"], np.int8).reshape(9, 9)
  board = go.remove_stones(board, [go.action_to_point(go.gtp_to_action(v, 9), 9) for v in live["result"]["dead"]])
  assert live["result"]["text"] == go.score_string(go.area_score(board, 7.5))
  assert live["result"]["text"] in banner
  # The page drew every stone the server sent.
  stones = page.locator("[data-stone]").count()
  assert stones == int(np.count_nonzero(live["stones"]))
  assert (tmp_path / "go-scored.png").stat().st_size > 10_000


SETUP = "MLKDDCBE" + "A" * 32  # the setup the test places: flag a4, marshal b4 ... miner h4


def test_barrage_from_setup_to_the_first_attack(page, tmp_path):
  rng = np.random.default_rng(1)
  with testing.served("stratego(variant=barrage)", "random") as url:
    page.goto(url)
    page.wait_for_selector("body[data-phase=setup]")
    # The flag by drag and drop, from the tray onto a4; the rest by click on the tray, click on a square.
    box = page.locator("#board rect[data-sq='a4']").bounding_box()
    page.locator(".tray-piece[data-piece='M']").hover()
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    assert page.locator("#board g.piece[data-sq='a4']").get_attribute("data-piece") == "M"
    for piece, square in zip("LKDDCBE", ["b4", "c4", "d4", "e4", "f4", "g4", "h4"]):
      page.click(f".tray-piece[data-piece='{piece}']")
      page.click(f"#board rect[data-sq='{square}']")
    page.screenshot(path=tmp_path / "stratego-setup.png")
    assert page.input_value("#letters") == SETUP
    assert page.is_enabled("#start")
    page.click("#start")
    page.wait_for_selector(testing.YOUR_MOVE)
    attack = None
    for _ in range(150):
      live = testing.live(page)
      attack = next((i for i, m in enumerate(live["moves"]) if m["attack"]), None)
      if attack is not None or live["phase"] != "play":
        break
      moves = [(src, dst) for src, dsts in live["legal"].items() for dst in dsts]
      board = dict(zip(_squares(), live["board"]))
      attacks = [(s, d) for s, d in moves if board[d] is not None]
      src, dst = attacks[0] if attacks else moves[rng.integers(len(moves))]
      testing.move_stratego(page, live, src, dst)
    page.screenshot(path=tmp_path / "stratego-attack.png")
    assert attack is not None, "no attack within 150 moves"
    move = live["moves"][attack]
    # The move list names both pieces of the attack: the enemy's was unknown until then.
    a, d = move["attack"]["attacker"]["piece"], move["attack"]["defender"]["piece"]
    assert "?" not in (a, d)
    listed = page.locator("#moves li").nth(attack).inner_text()
    assert listed == f"{move['move']} ({LABEL[a]}×{LABEL[d]})"
    if attack == len(live["moves"]) - 1:
      assert page.inner_text("#attack").startswith(f"Attack on {move['attack']['square']}:")
  assert (tmp_path / "stratego-attack.png").stat().st_size > 10_000


LABEL = dict(zip("BCDEFGHIJKLM", ["B", "S", "2", "3", "4", "5", "6", "7", "8", "9", "10", "F"]))


def _squares():
  return [f"{'abcdefghij'[i % 10]}{i // 10 + 1}" for i in range(100)]


def test_replay_viewer_steps_through_a_saved_game_and_shows_all_pieces(page, tmp_path):
  import pyspiel
  from agents.specs import make_agent
  from evaluation import match
  from gui import replay, server
  game = pyspiel.load_game("stratego(variant=barrage,deployment=random)")
  result, state = match.play(game, [make_agent("random:1", game, 0), make_agent("random:2", game, 1)], seed=5)
  name, event = replay.load_replay(match.write_record(state, result, ("a", "b"), tmp_path / "game"))
  with server.Background(server.Options(game=name, replay=event, port=0)) as url:
    page.goto(url)
    page.wait_for_selector("body[data-phase=replay]")
    hidden = "#board g.piece[data-piece='?']"
    assert page.locator(hidden).count() == 8  # at the start, as Red sees it: Blue's 8 pieces unknown
    assert page.locator("#board g.piece.side0").count() == 8
    page.select_option("#view", "all")
    assert page.locator(hidden).count() == 0
    page.select_option("#view", "1")
    assert page.locator("#board g.piece.side0[data-piece='?']").count() == 8
    page.click("#last")
    assert page.input_value("#slider") == str(result.moves)
    assert page.locator("#moves li").count() == result.moves
    assert page.locator("#moves li.current").text_content().startswith(event["moves"][-1]["move"])
    page.click("#back")
    assert page.input_value("#slider") == str(result.moves - 1)
    page.screenshot(path=tmp_path / "replay.png")


def test_the_page_runs_under_its_own_content_security_policy(browser):
  """Without Playwright's bypass: the page's scripts and styles load, and a click plays, with no violation."""
  page = testing.new_page(browser, bypass_csp=False)
  messages = []
  page.on("console", lambda m: messages.append(m.text))
  page.on("pageerror", lambda e: messages.append(str(e)))
  try:
    with testing.served("go(board_size=9)", "py:agents_testing:always_pass") as url:
      page.goto(url)
      page.wait_for_selector(testing.YOUR_MOVE)
      page.click("[data-point='E5']")
      page.wait_for_selector("[data-stone='E5']")
      page.wait_for_selector("body[data-to-move='0']")
      assert page.locator("#moves li").count() == 2
  finally:
    page.close()
  assert not [m for m in messages if "Content Security Policy" in m or "Refused" in m], messages
