"""The embedded launcher: a Reverb server, the learner loop and actor processes on one machine.

`train(cfg, run_dir)` starts a Reverb server on loopback in this process and
`cfg.actors.num_actors` actor processes (fresh interpreters, one thread of XLA
each), each running `actors.actor_loop.run_actor`, and runs
`actors.learner_loop.LearnerLoop` here. This module only starts, watches and
stops processes: on the step or time budget, on an error, on Ctrl-C or on
SIGTERM the learner saves a checkpoint, the actors are told to stop (they
ignore SIGINT and SIGTERM, which a terminal or a scheduler sends to the whole
process group, and leave on a shared stop event), the server stops and
everything is joined. `train(cfg, run_dir, resume=True)` continues from the
checkpoint.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import pathlib
import signal
import threading
import time
from typing import Any, Callable

from actors.config import TrainConfig
from core.errors import UserError
from core.rundir import CHECKPOINT, POLICY, SUMMARY  # noqa: F401  (where a run keeps what)

log = logging.getLogger(__name__)

_ACTOR_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _actor_process(cfg: TrainConfig, address: str, actor_id: int, start_step: int, stop, moves) -> None:
  """An actor process: `run_actor` until `stop` is set, or until the launcher dies."""
  # The launcher stops us through `stop`. Dying on a group-wide signal could leave `stop`'s lock held.
  signal.signal(signal.SIGINT, signal.SIG_IGN)
  signal.signal(signal.SIGTERM, signal.SIG_IGN)
  parent = os.getppid()

  def watch_parent():  # A killed launcher leaves us orphaned, maybe blocked inside Reverb: leave.
    while True:
      time.sleep(1.0)
      if os.getppid() != parent:
        os._exit(0)

  threading.Thread(target=watch_parent, daemon=True, name="watch-launcher").start()
  from actors import actor_loop

  def report(n: int) -> None:
    moves[actor_id] = n

  actor_loop.run_actor(cfg, address, actor_id, start_step, stop.is_set, report)


@contextlib.contextmanager
def _env(**values):
  old = {k: os.environ.get(k) for k in values}
  os.environ.update(values)
  try:
    yield
  finally:
    for k, v in old.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v


def train(cfg: TrainConfig, run_dir: str | pathlib.Path, resume: bool = False, progress: bool = True,
          evaluator: Callable[[Any], Callable[..., dict[str, float]]] | None = None) -> dict[str, Any]:
  """Trains R-NaD with the embedded launcher; returns the summary also written to RUN_DIR/summary.json.

  Args:
    cfg: the run's config (written to RUN_DIR/config.yaml).
    run_dir: output folder: config, metrics.jsonl, tb/, checkpoints/, policy.npz, summary.json.
    resume: continue from RUN_DIR's last checkpoint (its learner steps count toward the budget).
    progress: show a tqdm progress bar.
    evaluator: `game -> evaluate(probs_fn, step, final) -> metrics`, run every
      `cfg.eval.every_steps` and at the end, e.g.
      `evaluation.training.evaluator_for(cfg.eval)`; None logs no evaluation.
  """
  import portpicker

  from actors import learner_loop, reverb_replay

  run_dir = pathlib.Path(run_dir)
  game = learner_loop.check_run(cfg, run_dir, resume)
  port = cfg.replay.port or portpicker.pick_unused_port()
  try:
    server = reverb_replay.make_server(cfg.replay, port)
  except (RuntimeError, ValueError) as e:
    raise UserError(f"cannot start the Reverb server on port {port}: {str(e).splitlines()[0]}") from None
  address = f"localhost:{port}"
  try:
    loop = learner_loop.LearnerLoop(cfg, run_dir, game, address, evaluator(game) if evaluator else None, resume)
  except BaseException:
    server.stop()
    raise

  ctx = mp.get_context("spawn")
  stop = ctx.Event()
  moves = ctx.Array("q", cfg.actors.num_actors, lock=False)
  procs = [ctx.Process(target=_actor_process, name=f"rnad-actor-{i}", daemon=True,
                       args=(cfg, address, i, loop.start_step, stop, moves))
           for i in range(cfg.actors.num_actors)]
  with _env(XLA_FLAGS=_ACTOR_XLA_FLAGS, JAX_PLATFORMS="cpu"):
    for p in procs:
      p.start()

  def check_actors() -> None:
    for p in procs:
      if not p.is_alive():
        raise RuntimeError(f"actor process {p.name} exited with code {p.exitcode}")

  finished = False
  try:
    finished = loop.run(lambda: int(sum(moves)), check_actors, progress)
  finally:
    stop.set()
    loop.stop(finished)
    time.sleep(0.2)
    server.stop()  # Unblocks actors waiting on the rate limiter.
    for p in procs:
      p.join(timeout=20)
      if p.is_alive():
        log.warning("actor %s did not stop in 20 s; killing it", p.name)
        p.kill()  # It ignores SIGTERM.
        p.join(timeout=5)
  return loop.finish(int(sum(moves)))
