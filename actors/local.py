"""The embedded launcher: a Reverb server, the learner loop and actor processes on one machine.

`train(cfg, run_dir)` starts a Reverb server on loopback in this process and
`cfg.actors.num_actors` actor processes (fresh interpreters, one thread of XLA
each), each running `actors.actor_loop.run_actor`, and runs
`actors.learner_loop.LearnerLoop` here. This module only starts, watches and
stops processes. A run ends on its step or time budget, on an error, when its
actors are gone (all dead, or none writing while the learner waits: see
`LearnerLoop`), on Ctrl-C or on SIGTERM. Every end stops the same bounded way:

  1. the learner stops sampling and saves a checkpoint;
  2. the actors are told to stop and leave within `ACTOR_STOP_S` (a chunk the
     server has not taken is dropped); any still running then is killed;
  3. the server stops; after a budget the final evaluation runs;
  4. `policy.npz` and `summary.json` are written.

Actors ignore SIGINT and SIGTERM, which a terminal or a scheduler sends to the
whole process group: the launcher alone decides when they go. While it stops,
a signal does not interrupt it but makes it kill the actors at once and skip
the final evaluation; what is saved is still saved. The first signal is then
raised again (as KeyboardInterrupt, or whatever its handler raises), so the
caller sees it. `train(cfg, run_dir, resume=True)` continues from the
checkpoint.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import pathlib
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable

from actors.config import TrainConfig
from actors.stopping import ACTOR_ENV, STOP_SIGNALS, Signals, describe, env, why
from core.errors import RunFailed, UserError
from core.rundir import CHECKPOINT, POLICY, SUMMARY  # noqa: F401  (where a run keeps what)

log = logging.getLogger(__name__)


# Seconds an actor has to leave after it is told to stop (it needs about
# `reverb_replay.FLUSH_POLL_MS` plus one move) before it is killed.
ACTOR_STOP_S = 10.0
# Seconds the Reverb server has to stop before the launcher goes on without it.
SERVER_STOP_S = 10.0
# Seconds between noticing an actor's death and logging it while others still play: actors that fail
# together (say, out of memory at start) then end the run with one line, not a warning per actor.
_DEATH_NOTICE_S = 5.0

# `run_actor(cfg, address, actor_id, start_step, should_stop, report)`, as `actors.actor_loop.run_actor`.
ActorFn = Callable[..., None]


def _actor_process(actor_fn: ActorFn | None, cfg: TrainConfig, address: str, actor_id: int, start_step: int,
                   stop, moves, errors) -> None:
  """An actor process: `actor_fn` until `stop` is set; what it raises goes to `errors`, not to stderr."""
  # The launcher started us with SIGINT and SIGTERM blocked; from here on they are ignored.
  for signum in STOP_SIGNALS:
    signal.signal(signum, signal.SIG_IGN)
  signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
  parent = os.getppid()

  def watch_parent():  # A killed launcher leaves us orphaned, maybe blocked inside Reverb: leave.
    while True:
      time.sleep(1.0)
      if os.getppid() != parent:
        os._exit(0)

  threading.Thread(target=watch_parent, daemon=True, name="watch-launcher").start()

  def report(n: int) -> None:
    moves[actor_id] = n

  try:
    if actor_fn is None:
      from actors import actor_loop
      actor_fn = actor_loop.run_actor
    actor_fn(cfg, address, actor_id, start_step, lambda: bool(stop.value), report)
  except BaseException as e:  # noqa: BLE001  (the launcher names it in its one line; the traceback at debug)
    errors.send((describe(e), traceback.format_exc()[-4000:]))
    sys.exit(1)


class _Actors:
  """The actor processes of a run: started together, watched for deaths, stopped within a deadline."""

  def __init__(self, cfg: TrainConfig, address: str, start_step: int, actor_fn: ActorFn | None):
    ctx = mp.get_context("spawn")
    n = cfg.actors.num_actors
    # Lock-free shared memory: a process killed while reading it leaves no lock held.
    self._stop = ctx.Value(ctypes.c_bool, False, lock=False)
    self._moves = ctx.Array("q", n, lock=False)
    pipes = [ctx.Pipe(duplex=False) for _ in range(n)]
    self._errors = [reader for reader, _ in pipes]
    self._procs = [ctx.Process(target=_actor_process, name=f"rnad-actor-{i}", daemon=True,
                               args=(actor_fn, cfg, address, i, start_step, self._stop, self._moves, writer))
                   for i, (_, writer) in enumerate(pipes)]
    self._dead: dict[int, tuple[str, float]] = {}  # actor -> why it died, and when that was noticed
    self._logged: set[int] = set()

  def start(self) -> None:
    # Blocked here, the signals stay blocked in each child until it ignores them: no actor dies of a
    # Ctrl-C, even one that lands while it starts.
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
      with env(**ACTOR_ENV):
        for p in self._procs:
          p.start()
    finally:
      signal.pthread_sigmask(signal.SIG_SETMASK, old)

  def moves(self) -> int:
    return int(sum(self._moves))

  def check(self) -> None:
    """Raises RunFailed, naming why, once no actor is alive; logs each death before that."""
    now = time.monotonic()
    for i, p in enumerate(self._procs):
      if i not in self._dead and p.pid is not None and not p.is_alive():
        self._dead[i] = self._cause(i), now
    n = len(self._procs)
    if len(self._dead) == n:
      causes = "; ".join(dict.fromkeys(cause for cause, _ in self._dead.values()))
      raise RunFailed(f"the actor died: {causes}" if n == 1 else f"all {n} actors died: {causes}")
    for i, (cause, noticed) in self._dead.items():
      if i not in self._logged and now - noticed > _DEATH_NOTICE_S:
        self._logged.add(i)
        log.warning("actor %d died (%s); %d of %d still playing", i, cause, n - len(self._dead), n)

  def _cause(self, i: int) -> str:
    if self._errors[i].poll():
      cause, trace = self._errors[i].recv()
      log.debug("actor %d:\n%s", i, trace)
      return cause
    code = self._procs[i].exitcode
    if code is not None and code < 0:
      return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"

  def stop(self, now: threading.Event) -> None:
    """Tells the actors to stop and waits up to ACTOR_STOP_S (or until `now` is set); kills the rest."""
    self._stop.value = True
    deadline = time.monotonic() + ACTOR_STOP_S
    while (any(p.is_alive() for p in self._procs) and time.monotonic() < deadline and not now.is_set()):
      time.sleep(0.05)
    self.kill()

  def kill(self) -> None:
    """SIGKILLs every actor still running (they ignore SIGTERM) and reaps it."""
    late = [p for p in self._procs if p.pid is not None and p.is_alive()]
    for p in late:
      log.warning("actor %s did not stop; killing it", p.name)
      p.kill()
    for p in late:
      p.join(timeout=5)


def _stop_server(server) -> None:
  """`server.stop()`, waited for SERVER_STOP_S at most."""
  thread = threading.Thread(target=server.stop, daemon=True, name="stop-reverb")
  thread.start()
  thread.join(SERVER_STOP_S)
  if thread.is_alive():
    log.warning("the Reverb server did not stop in %.0f s; leaving it", SERVER_STOP_S)


def train(cfg: TrainConfig, run_dir: str | pathlib.Path, resume: bool = False, progress: bool = True,
          evaluator: Callable[[Any], Callable[..., dict[str, float]]] | None = None,
          actor_fn: ActorFn | None = None) -> dict[str, Any]:
  """Trains R-NaD with the embedded launcher; returns the summary also written to RUN_DIR/summary.json.

  Args:
    cfg: the run's config (written to RUN_DIR/config.yaml).
    run_dir: output folder: config, metrics.jsonl, tb/, checkpoints/, policy.npz, summary.json.
    resume: continue from RUN_DIR's last checkpoint (its learner steps count toward the budget).
    progress: show a tqdm progress bar.
    evaluator: `game -> evaluate(probs_fn, step, final) -> metrics`, run every
      `cfg.eval.every_steps` and at the end, e.g.
      `evaluation.training.evaluator_for(cfg.eval)`; None logs no evaluation.
    actor_fn: what each actor process runs, with `actors.actor_loop.run_actor`'s
      arguments (None: that function); a module-level function, since the
      processes are spawned.

  Raises:
    RunFailed: the actors all died, or went silent (after the run was saved).
    KeyboardInterrupt: on Ctrl-C or a handled SIGTERM (after the run was saved).
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

  actors = _Actors(cfg, address, loop.start_step, actor_fn)
  ended: BaseException | None = None
  try:
    try:
      actors.start()
      loop.run(actors.moves, actors.check, progress)
    except BaseException as e:  # noqa: BLE001  (a signal, the actors gone, or a bug: raised again once saved)
      ended = e
    with Signals() as signals:
      try:
        # A failure's own line comes last, from the caller; a budget's or a signal's stop is news.
        quiet = ended is not None and not isinstance(ended, KeyboardInterrupt)
        log.log(logging.DEBUG if quiet else logging.INFO, "stopping: %s", why(ended))
        loop.stop()
      finally:
        actors.stop(signals.now)
        _stop_server(server)
      final: dict[str, float] = {}
      if ended is None and not signals.now.is_set():
        with contextlib.suppress(KeyboardInterrupt), signals.interruptible():
          final = loop.final_evaluation()
      summary = loop.finish(actors.moves(), final, "interrupted" if ended is None and signals.received
                            else why(ended))
  finally:
    actors.kill()  # Whatever went wrong above, no actor outlives the launcher.
  if ended is not None:
    raise ended
  signals.deliver()
  return summary
