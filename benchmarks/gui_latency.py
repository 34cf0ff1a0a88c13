"""How fast `stratago play` feels: page load and the agent's answer, measured through a real browser.

  python benchmarks/gui_latency.py --stratego-agent policy:runs/barrage/policy.npz --moves 40
  python benchmarks/gui_latency.py --screenshots docs     # also writes docs/gui-stratego.png, docs/gui-go.png

Starts the GUI's server on loopback, drives Debian's chromium with Playwright
and prints, per game, the page load (from `goto` to the first position drawn,
and the browser's own DOMContentLoaded) and the agent's latency: from the
person's click to the view where they move again, as the page's clock sees
it, so the server, the agent's thinking and the WebSocket are all inside it.
Targets: page under 1 s, agent under 300 ms.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

SHOT_AFTER = 12  # the person's moves before a screenshot


def stratego(page, url: str, moves: int, rng, shot: pathlib.Path | None) -> dict:
  from gui import testing
  t0 = time.perf_counter()
  page.goto(url)
  page.wait_for_selector("body[data-phase=setup]")
  load = time.perf_counter() - t0
  dom = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
  page.click("#randomise")
  page.click("#start")
  page.wait_for_selector(testing.YOUR_MOVE)
  page.evaluate("window.stratago.latencies = []")
  for n in range(moves):
    live = testing.live(page)
    if live["phase"] != "play":
      break
    if shot and n == SHOT_AFTER:  # mid-game, a piece picked up and its moves lit
      picked = f"#board g.piece[data-sq='{max(live['legal'], key=lambda s: len(live['legal'][s]))}']"
      page.click(picked)
      page.screenshot(path=shot)
      page.click(picked)  # put down again: a click on the picked piece would put it down, not pick it
    src = sorted(live["legal"])[rng.integers(len(live["legal"]))]
    dst = live["legal"][src][rng.integers(len(live["legal"][src]))]
    testing.move_stratego(page, live, src, dst)
  return {"load_s": load, "dom_ms": dom, "latencies_ms": page.evaluate("window.stratago.latencies")}


def go(page, url: str, moves: int, rng, shot: pathlib.Path | None) -> dict:
  from gui import testing
  t0 = time.perf_counter()
  page.goto(url)
  page.wait_for_selector(testing.YOUR_MOVE)
  load = time.perf_counter() - t0
  dom = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")

  def screenshot(played: int, live: dict) -> None:
    if shot and played == SHOT_AFTER:
      page.screenshot(path=shot)

  testing.play_go(page, rng, points=moves, max_clicks=400, before_click=screenshot)
  return {"load_s": load, "dom_ms": dom, "latencies_ms": page.evaluate("window.stratago.latencies")}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--stratego-game", default=None, help="default: the agent's own game, else barrage")
  parser.add_argument("--stratego-agent", default="random", help="agent spec, e.g. policy:runs/barrage/policy.npz")
  parser.add_argument("--go-game", default="go(board_size=9)")
  parser.add_argument("--go-agent", default="heuristic")
  parser.add_argument("--moves", type=int, default=40, help="the person's moves per game (random, by clicks)")
  parser.add_argument("--chromium", default="/usr/bin/chromium")
  parser.add_argument("--screenshots", metavar="DIR", default=None, help="write gui-stratego.png and gui-go.png here")
  args = parser.parse_args()

  import games  # noqa: F401
  from agents import specs
  from gui import testing
  args.stratego_game = args.stratego_game or specs.trained_game(args.stratego_agent) or "stratego(variant=barrage)"
  rng = np.random.default_rng(0)
  shots = pathlib.Path(args.screenshots) if args.screenshots else None
  print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; python {platform.python_version()}")
  with testing.chromium(args.chromium) as browser:
    print(f"browser: chromium {browser.version} (headless)")
    for name, game, agent, play in [("stratego", args.stratego_game, args.stratego_agent, stratego),
                                    ("go", args.go_game, args.go_agent, go)]:
      with testing.served(game, agent) as url:
        page = testing.new_page(browser, 960, 640)
        play(page, url, 1, rng, None)  # a first game warms the agent (JIT) and the page's caches
        page.close()
        page = testing.new_page(browser, 960, 640)
        out = play(page, url, args.moves, rng, shots / f"gui-{name}.png" if shots else None)
        page.close()
      lat = np.asarray(out["latencies_ms"])
      print(f"{game} against {agent}: page load {out['load_s'] * 1000:.0f} ms to the first position drawn "
            f"(DOMContentLoaded {out['dom_ms']:.0f} ms); agent latency over {len(lat)} moves: "
            f"median {np.median(lat):.0f} ms, 90th percentile {np.percentile(lat, 90):.0f} ms, max {lat.max():.0f} ms")


if __name__ == "__main__":
  main()
