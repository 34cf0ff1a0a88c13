"""Start-up time of the `stratago` command: `stratago --help` and every `stratago CMD --help`.

Each command runs as a fresh subprocess `--repeats` times (after one unrecorded
warm-up run each, so the file cache is warm), in rounds that take the commands
in turn, so a passing spike of load falls on all of them alike. `python -c pass`
is the floor: the interpreter, `site` and the editable install's finder. For
each command the table gives the median and fastest wall-clock seconds, the
median CPU seconds (user + system) of the process, the median's overhead over
`python -c pass`, and ok or SLOW against `--limit` (1 s, issue 24). `--load N`
keeps N busy-loop processes spinning during the measurement, as a training run
sharing the machine would. The subcommands are read from `cli.main.COMMANDS`;
the code measured is this checkout's (its folder leads PYTHONPATH).
Exits 1 when a command's median is over the limit.

usage: python benchmarks/startup.py [--repeats 5] [--load 2] [--limit 1.0]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli import main as cli_main  # noqa: E402  (light: building the parser is what is measured)


def _stratago() -> tuple[list[str], str]:
  """The command line that starts `stratago`, and how it was found."""
  script = pathlib.Path(sys.executable).parent / "stratago"
  if script.is_file():
    return [str(script)], f"{script} (console script)"
  found = shutil.which("stratago")
  if found:
    return [found], f"{found} (console script on PATH)"
  return [sys.executable, "-m", "cli"], f"{sys.executable} -m cli (no console script found)"


def _run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
  """Wall-clock and CPU (user + system) seconds of one run of `argv`, which must exit 0."""
  before = resource.getrusage(resource.RUSAGE_CHILDREN)
  start = time.perf_counter()
  result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
  wall = time.perf_counter() - start
  after = resource.getrusage(resource.RUSAGE_CHILDREN)
  if result.returncode != 0:
    raise SystemExit(f"startup: {' '.join(argv)} exited {result.returncode}:\n{result.stderr.decode()}")
  cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
  return wall, cpu


def _start_load(n: int) -> list[subprocess.Popen]:
  procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
  time.sleep(0.5 if n else 0.0)  # Let them start spinning before anything is timed.
  return procs


def _stop_load(procs: list[subprocess.Popen]) -> None:
  for p in procs:
    p.kill()
  for p in procs:
    p.wait()


def main() -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--repeats", type=int, default=5, help="timed runs per command (the median is reported)")
  parser.add_argument("--load", type=int, default=0, metavar="N", help="busy-loop processes running meanwhile")
  parser.add_argument("--limit", type=float, default=1.0, help="seconds a help may take")
  args = parser.parse_args()
  if args.repeats < 1 or args.load < 0:
    parser.error("--repeats must be at least 1 and --load at least 0")

  stratago, how = _stratago()
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
  cases = [("python -c pass", [sys.executable, "-c", "pass"]),
           ("stratago --help", [*stratago, "--help"])]
  cases += [(f"stratago {c} --help", [*stratago, c, "--help"]) for c in cli_main.COMMANDS]

  cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
  print(f"python   {platform.python_version()} ({sys.executable})")
  print(f"stratago {how}, code from {ROOT}")
  print(f"machine  {platform.machine()}, {cores} core(s) usable of {os.cpu_count()}; "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
  print(f"method   {args.repeats} timed run(s) per command after 1 warm-up, in rounds; "
        f"{args.load} busy-loop process(es) running meanwhile; limit {args.limit:.2f} s")

  wall = {name: [] for name, _ in cases}
  cpu = {name: [] for name, _ in cases}
  load = _start_load(args.load)
  try:
    for _, argv in cases:
      _run_once(argv, env)
    for _ in range(args.repeats):
      for name, argv in cases:
        w, c = _run_once(argv, env)
        wall[name].append(w)
        cpu[name].append(c)
  finally:
    _stop_load(load)

  floor = statistics.median(wall["python -c pass"])
  width = max(len(name) for name, _ in cases)
  print()
  print(f"{'command':<{width}}  {'median s':>8}  {'min s':>6}  {'cpu s':>6}  {'over pass':>9}  verdict")
  slow = []
  for name, _ in cases:
    median = statistics.median(wall[name])
    if name == "python -c pass":
      verdict, over = "(the floor)", ""
    else:
      verdict, over = ("ok" if median < args.limit else "SLOW"), f"{median - floor:+.3f}"
    if verdict == "SLOW":
      slow.append(name)
    print(f"{name:<{width}}  {median:8.3f}  {min(wall[name]):6.3f}  {statistics.median(cpu[name]):6.3f}  "
          f"{over:>9}  {verdict}")
  print()
  print(f"startup: {len(cases) - 1 - len(slow)} of {len(cases) - 1} under {args.limit:.2f} s"
        + (f"; slow: {', '.join(slow)}" if slow else ""))
  return 1 if slow else 0


if __name__ == "__main__":
  sys.exit(main())
