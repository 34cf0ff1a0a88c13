"""A person's clicks on the `stratago play` page in a real browser, for tests and benchmarks.

  with testing.chromium("/usr/bin/chromium") as browser, testing.served("go(board_size=9)", "random") as url:
    page = testing.new_page(browser)
    page.goto(url)
    page.wait_for_selector(testing.YOUR_MOVE)
    clicks, view = testing.play_go(page, np.random.default_rng(0), points=25, max_clicks=200)

Playwright drives Debian's chromium; it never downloads a browser. It is a
test extra (`pip install -e ".[test]"`), so it is imported inside `chromium`,
and no module of the GUI imports this one.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import numpy as np

from gui import server

# Chromium as a test machine allows it: no sandbox as root, no GPU, nothing fetched from the network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
YOUR_MOVE = "body[data-phase=play][data-to-move='0']"  # the page's person plays side 0


@contextlib.contextmanager
def chromium(executable: str) -> Iterator:
  """A headless chromium (Playwright's `Browser`) from the `executable` given; closed on exit."""
  from playwright.sync_api import sync_playwright
  with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    try:
      yield browser
    finally:
      browser.close()


def new_page(browser, width: int = 1100, height: int = 780, bypass_csp: bool = True):
  """A new tab. bypass_csp: Playwright evaluates its waits as strings, which the page's Content-Security-Policy
  forbids; pass False to load the page under its own policy."""
  return browser.new_page(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)


def served(game: str, agent: str) -> server.Background:
  """The GUI's server on a free loopback port, as a context manager that gives the page's URL."""
  return server.Background(server.Options(game=game, agent=agent, port=0))


def live(page) -> dict:
  """The view the page shows now: the server's last state message to the person."""
  return page.evaluate("window.stratago.live")


def wait_for_answer(page, before: dict) -> None:
  """Waits until the agent has answered the person's move made from view `before`, or play has ended."""
  page.wait_for_function(f"window.stratago.live.moves.length >= {len(before['moves']) + 2}"
                         " || window.stratago.live.phase !== 'play'")


def move_stratego(page, before: dict, src: str, dst: str) -> None:
  """Clicks the piece on `src`, then the lit square `dst` (e.g. "e4", "e5"), and waits for the answer."""
  page.click(f"#board g.piece[data-sq='{src}']")
  page.click(f"#board .dest[data-sq='{dst}']")
  wait_for_answer(page, before)


def play_go(page, rng: np.random.Generator, points: int, max_clicks: int,
            before_click: Callable[[int, dict], None] | None = None) -> tuple[int, dict]:
  """Plays the person's side of a Go game by clicks until it is over or `max_clicks` were made.

  Args:
    page: a page showing the person to move.
    rng: picks each point among the legal ones.
    points: clicks on a point before the person only passes (also when no point is legal).
    max_clicks: clicks at the most.
    before_click: called with the clicks so far and the view before each click (for a screenshot).

  Returns:
    The clicks made and the last view.
  """
  clicks = 0
  view = live(page)
  while view["phase"] == "play" and clicks < max_clicks:
    if before_click is not None:
      before_click(clicks, view)
    if clicks < points and view["legal"]:
      page.click(f"[data-point='{view['legal'][rng.integers(len(view['legal']))]}']")
    else:
      page.click("#pass")
    clicks += 1
    wait_for_answer(page, view)
    view = live(page)
  return clicks, view
