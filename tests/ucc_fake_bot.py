"""A tiny bot of the UCC 2012 Stratego protocol for the tests: `python ucc_fake_bot.py MODE [SEED]`.

It keeps its own board from the first board it is shown and the move lines
after, as the manual's sample bots do, and knows the basic rules only (not
the two-squares or more-squares rule). Modes:

  good      a seeded random move among those that look legal, never the
            reverse of its own last move (so it keeps clear of the
            two-squares rule)
  shuffle   moves one piece back and forth: the two-squares rule forbids
            its fourth move
  garbage   answers its first move with `hello world`
  badsetup  gives a setup with two flags
  exit      exits at once with status 3, saying `bye` on stderr
  crash     exits with status 1 when asked for its third move
  hang      never answers its first move
  mute      never answers the setup query
  script    `python ucc_fake_bot.py script MOVE...` answers with the given lines, in turn
Standard library only, so that it starts in milliseconds.
"""

import random
import sys
import time

# The manual's example setup for RED, top row (RED's back row) first.
SETUP = ["FB8sB479B8", "BB31555583", "6724898974", "967B669999"]
STEPS = {"UP": (0, -1), "DOWN": (0, 1), "LEFT": (-1, 0), "RIGHT": (1, 0)}
REVERSE = {"UP": "DOWN", "DOWN": "UP", "LEFT": "RIGHT", "RIGHT": "LEFT"}


def read():
  line = sys.stdin.readline()
  return line.strip() if line else None


def say(*lines):
  sys.stdout.write("".join(line + "\n" for line in lines))
  sys.stdout.flush()


def apply(grid, line):
  """Plays a move line `X Y DIR [N] OUTCOME [A D]` on the grid of letters, `#` and `.`."""
  tokens = line.split()
  x, y, direction = int(tokens[0]), int(tokens[1]), tokens[2]
  n = int(tokens[3]) if tokens[3].isdigit() else 1
  outcome = tokens[4] if tokens[3].isdigit() else tokens[3]
  dx, dy = STEPS[direction]
  x2, y2 = x + dx * n, y + dy * n
  mover = grid[y][x]
  if outcome in ("OK", "KILLS"):
    grid[y2][x2] = mover
  if outcome == "BOTHDIE":
    grid[y2][x2] = "."
  grid[y][x] = "."


def candidates(grid, last):
  moves = []
  for y in range(10):
    for x in range(10):
      if grid[y][x] not in "123456789s":
        continue
      for direction, (dx, dy) in STEPS.items():
        x2, y2 = x + dx, y + dy
        if not (0 <= x2 < 10 and 0 <= y2 < 10) or grid[y2][x2] not in ".#":
          continue
        if last == (x, y, REVERSE[direction]):
          continue
        moves.append((x, y, direction))
  return moves


def main():
  mode = sys.argv[1]
  script = sys.argv[2:] if mode == "script" else []
  rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 and not script else 0)
  if mode == "exit":
    sys.stderr.write("bye\n")
    sys.exit(3)
  colour = read().split()[0]
  if mode == "mute":
    time.sleep(3600)
  rows = SETUP if colour == "RED" else SETUP[::-1]
  if mode == "badsetup":
    rows = [rows[0].replace("9", "F", 1)] + rows[1:]
  say(*rows)
  grid, last, turn = None, None, 0
  while True:
    line = read()
    if line is None or line.startswith("QUIT"):
      return
    if line != "START" and grid is not None:
      apply(grid, line)
    board = [read() for _ in range(10)]
    if grid is None:
      grid = [list(row) for row in board]
    turn += 1
    if mode == "garbage":
      say("hello world")
      return
    if mode == "hang":
      time.sleep(3600)
    if mode == "crash" and turn == 3:
      sys.stderr.write("oops\n")
      sys.exit(1)
    if script:
      say(script.pop(0))
      echo = read()
      if echo is None or echo.startswith("QUIT"):
        return
      apply(grid, echo)
      continue
    moves = candidates(grid, last)
    if not moves:
      say("SURRENDER")
      continue
    if mode == "shuffle":
      move = shuffle_move(grid, last) or moves[0]
    else:
      move = rng.choice(moves)
    x, y, direction = move
    say(f"{x} {y} {direction}")
    dx, dy = STEPS[direction]
    last = (x + dx, y + dy, direction)
    echo = read()
    if echo is None or echo.startswith("QUIT"):
      return
    apply(grid, echo)


def shuffle_move(grid, last):
  """The piece that moved last goes back where it came from, if it still stands there."""
  if last is None:
    return None
  x, y, direction = last
  if grid[y][x] not in "123456789s":
    return None
  dx, dy = STEPS[REVERSE[direction]]
  if grid[y + dy][x + dx] != ".":
    return None
  return x, y, REVERSE[direction]


if __name__ == "__main__":
  main()
