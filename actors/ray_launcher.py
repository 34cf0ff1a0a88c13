"""The Ray launcher: the same learner and actor loops as `actors.local`, as Ray actors on a cluster.

`train(cfg, run_dir, address=ADDR)` connects to a running Ray cluster (or,
with no address, starts a private one on loopback in a temporary folder) and
starts, each as a Ray actor with the resources `cfg.ray` declares:

  - the Reverb server (`_ReplayServer`), which checkpoints its tables to
    RUN_DIR/replay/ every `cfg.ray.replay_checkpoint_s` and reloads them when
    Ray restarts it;
  - the learner (`_Learner`), running `actors.learner_loop.LearnerLoop` (and
    with it the evaluations), on a GPU where the cluster has one;
  - `cfg.actors.num_actors` self-play actors (`_SelfPlay`), each running
    `actors.actor_loop.run_actor` on one CPU thread.

No Reverb object crosses a process boundary: the server hands out its
`host:port`, and the learner and each actor build their own clients, so
parameters reach the actors through the server's params table with their
version, as they do locally. This module (the driver) only starts, watches,
restarts and stops them:

  - an actor whose process dies (kill -9, a lost node) is re-created by Ray
    (`max_restarts`), where the cluster has room, and its loop started again;
    a loop that raises is started again too, up to `cfg.ray.actor_restarts`
    times in all; a run whose actors are all given up ends with one line;
  - a learner whose process dies is restarted from its last checkpoint (the
    metrics rewound to it), up to `cfg.ray.learner_restarts` times;
  - a replay server whose process dies is re-created by Ray and reloads its
    last checkpoint (what was inserted after it is lost); the learner then
    restarts against its new address, and the actors with it;
  - each restart is logged as one line and counted in the metrics rows
    (`actor_restarts`, `learner_restarts`).

A run ends as a local one does (budget, failure, Ctrl-C or SIGTERM), with the
same bounded stop: the learner saves a checkpoint, the actors are told to stop
and killed after `ACTOR_STOP_S`, then `policy.npz` and `summary.json` are
written. Every Ray actor of the run is killed before `train` returns, and a
private Ray instance is shut down with it. RUN_DIR must be at the same path
on the learner's and the server's nodes (one machine, or a shared file
system); see docs/cluster.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import signal
import tempfile
import threading
import time
import uuid
import warnings
from typing import Any, Callable

from actors import learner_loop
from actors.config import TrainConfig
from actors.stopping import ACTOR_ENV, STOP_SIGNALS, Signals, describe, why
from core.errors import RunFailed, UserError

log = logging.getLogger(__name__)

# Seconds actors have to leave after they are told to stop, before they are killed.
ACTOR_STOP_S = 10.0
# Seconds the learner has to finish its update and return after it is told to stop.
LEARNER_STOP_S = 60.0
# Seconds between the driver's looks at the run (progress, deaths, moves).
_POLL_S = 0.5


class _StopRequested(Exception):
  """Raised inside the learner's loop once the driver asks it to stop."""


class _ReplayServer:
  """The Reverb server of a run, on a port of its node; reloads its last checkpoint when restarted."""

  def __init__(self, cfg: TrainConfig, checkpoint_dir: str | None):
    import portpicker
    import ray
    import reverb

    from actors import reverb_replay
    checkpointer = None
    if checkpoint_dir:
      os.makedirs(checkpoint_dir, exist_ok=True)
      checkpointer = reverb.checkpointers.DefaultCheckpointer(checkpoint_dir)
    port = portpicker.pick_unused_port()
    self._server = reverb_replay.make_server(cfg.replay, port, checkpointer=checkpointer)
    self._address = f"{ray.util.get_node_ip_address()}:{port}"
    self._client = reverb.Client(f"localhost:{port}")
    if checkpointer is not None and cfg.ray.replay_checkpoint_s > 0:
      threading.Thread(target=self._checkpoint_every, args=(cfg.ray.replay_checkpoint_s,), daemon=True,
                       name="replay-checkpoint").start()

  def _checkpoint_every(self, seconds: float) -> None:
    while True:
      time.sleep(seconds)
      with contextlib.suppress(Exception):  # a checkpoint missed is retried at the next tick
        self._client.checkpoint()

  def address(self) -> str:
    return self._address

  def size(self) -> int:
    from actors import reverb_replay
    return int(self._client.server_info()[reverb_replay.TRAJECTORIES].current_size)

  def where(self) -> tuple[int, str]:
    """This server's process id and Ray node id (for tests and logs)."""
    import ray
    return os.getpid(), ray.get_runtime_context().get_node_id()


class _Learner:
  """The learner role: `LearnerLoop` in a Ray actor, driven by the driver's calls.

  `run` blocks in one thread of the actor while `report`, `progress` and
  `request_stop` come in on another (the actor has `max_concurrency=2`).
  Its constructor does nothing that can fail, because Ray runs it again on a
  restart; `start` builds the loop (from the checkpoint when resuming).
  """

  def __init__(self, cfg: TrainConfig, run_dir: str, evaluator):
    self._cfg, self._run_dir, self._evaluator = cfg, pathlib.Path(run_dir), evaluator
    self._loop: learner_loop.LearnerLoop | None = None
    self._stop = threading.Event()
    self._moves = 0
    self._counters: dict[str, float] = {}

  def start(self, address: str, resume: bool) -> int:
    """Builds the loop against the server at `address`; returns its start step."""
    from actors import self_play
    game = self_play.load_game(self._cfg.game)
    evaluate_fn = self._evaluator(game) if self._evaluator else None
    self._loop = learner_loop.LearnerLoop(self._cfg, self._run_dir, game, address, evaluate_fn, resume)
    if not resume:  # A learner that dies before its first checkpoint restarts from this one.
      self._loop.checkpoint()
    return self._loop.start_step

  def run(self) -> str:
    """Updates until the budget ("budget") or until asked to stop ("stopped"); raises RunFailed."""
    try:
      self._loop.run(lambda: self._moves, self._check, progress=False, counters=lambda: dict(self._counters))
    except _StopRequested:
      return "stopped"
    return "budget"

  def _check(self) -> None:
    if self._stop.is_set():
      raise _StopRequested

  def report(self, moves: int, counters: dict[str, float]) -> None:
    self._moves, self._counters = moves, counters

  def progress(self) -> tuple[int, dict[str, float]]:
    if self._loop is None:
      return 0, {}
    return self._loop.step, dict(self._loop.latest)

  def request_stop(self) -> None:
    self._stop.set()

  def stop(self) -> None:
    self._loop.stop()

  def final_evaluation(self) -> dict[str, float]:
    return self._loop.final_evaluation()

  def finish(self, moves: int, final: dict[str, float], ended: str) -> dict[str, Any]:
    return self._loop.finish(moves, final, ended)

  def where(self) -> tuple[int, str]:
    """This learner's process id and Ray node id (for tests and logs)."""
    import ray
    return os.getpid(), ray.get_runtime_context().get_node_id()


class _SelfPlay:
  """The actor role: `actor_loop.run_actor` in a Ray actor; `stop` and `moves` come in on a second thread."""

  def __init__(self, cfg: TrainConfig, actor_fn):
    self._cfg, self._actor_fn = cfg, actor_fn
    self._stop = threading.Event()
    self._moves = 0
    # A Ctrl-C at the terminal reaches a private cluster's processes too: the driver alone stops actors.
    with contextlib.suppress(ValueError):  # off the main thread, where handlers cannot be set
      signal.signal(signal.SIGINT, signal.SIG_IGN)

  def run(self, address: str, actor_id: int, start_step: int) -> None:
    from actors import actor_loop
    actor_fn = self._actor_fn or actor_loop.run_actor
    self._stop.clear()
    actor_fn(self._cfg, address, actor_id, start_step, self._stop.is_set, self._report)

  def _report(self, moves: int) -> None:
    self._moves = moves

  def moves(self) -> int:
    return self._moves

  def stop(self) -> None:
    self._stop.set()

  def where(self) -> tuple[int, str]:
    """This actor's process id and Ray node id (for tests and logs)."""
    import ray
    return os.getpid(), ray.get_runtime_context().get_node_id()


class _Actor:
  """One self-play actor seen from the driver: its handle, its running loop and its counts."""

  def __init__(self, handle, actor_id: int):
    self.handle, self.id = handle, actor_id
    self.run_ref = None  # its loop, while it runs
    self.back_ref = None  # after a death: answers once Ray has re-created it
    self.restarts = 0
    self.moves_before = 0  # moves of its earlier lives
    self.moves_now = 0
    self.moves_ref = None
    self.given_up: str | None = None

  @property
  def moves(self) -> int:
    return self.moves_before + self.moves_now


class _Run:
  """The driver's view of a run on Ray: starts the roles, watches them, restarts them, stops them."""

  def __init__(self, cfg: TrainConfig, run_dir: pathlib.Path, evaluator, actor_fn, resume: bool):
    self.cfg, self.run_dir = cfg, run_dir
    # Named, so that `ray list actors` (and a test) can find a run's parts: stratago-TOKEN-learner, ...
    self.name = f"stratago-{uuid.uuid4().hex[:8]}"
    self._handles: list = []  # every Ray actor started, for `kill`
    self.learner_restarts = 0
    self.learner_ref = None
    self._progress_ref = None
    self._server_ref = None
    try:
      self._start_roles(evaluator, actor_fn, resume)
    except BaseException:
      self.kill()
      raise
    self.step, self.latest = self.start_step, {}

  def _start_roles(self, evaluator, actor_fn, resume: bool) -> None:
    """The server, then the learner (restored when resuming), then the actors: each placed and started."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    cfg = self.cfg
    placed: dict[str, Any] = {}
    gpus_there = ray.cluster_resources().get("GPU", 0)
    if cfg.ray.learner_on_driver_node:
      node = ray.get_runtime_context().get_node_id()
      placed["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=False)
      gpus_there = next((n["Resources"].get("GPU", 0) for n in ray.nodes() if n["NodeID"] == node), 0)
    gpus = cfg.ray.learner_gpus if cfg.ray.learner_gpus >= 0 else float(gpus_there >= 1)
    replay_dir = str(self.run_dir / "replay") if cfg.ray.replay_checkpoint_s > 0 else None
    self.server = self._start(_ReplayServer, "replay", cfg, replay_dir, num_cpus=cfg.ray.server_cpus,
                              max_restarts=-1, max_concurrency=4, **placed)
    self.address = _placed(self.server.address.remote(), "the Reverb server", cfg.ray.server_cpus, 0)
    self.learner = self._start(_Learner, "learner", cfg, str(self.run_dir), evaluator, num_cpus=cfg.ray.learner_cpus,
                               num_gpus=gpus, max_restarts=cfg.ray.learner_restarts, max_concurrency=2, **placed)
    self.start_step = _placed(self.learner.start.remote(self.address, resume), "the learner",
                              cfg.ray.learner_cpus, gpus)
    # Spread over the nodes, so that a lost node takes as few actors with it as it can.
    self.actors = [_Actor(self._start(_SelfPlay, f"actor-{i}", cfg, actor_fn, num_cpus=cfg.ray.actor_cpus,
                                      max_restarts=cfg.ray.actor_restarts, max_concurrency=2,
                                      runtime_env={"env_vars": dict(ACTOR_ENV)}, scheduling_strategy="SPREAD"), i)
                   for i in range(cfg.actors.num_actors)]

  def _start(self, cls, role: str, *args, **options):
    import ray
    handle = ray.remote(cls).options(name=f"{self.name}-{role}", **options).remote(*args)
    self._handles.append(handle)
    return handle

  # --- running ---

  def start(self) -> None:
    for actor in self.actors:
      actor.run_ref = actor.handle.run.remote(self.address, actor.id, self.start_step)
    self.learner_ref = self.learner.run.remote()

  def moves(self) -> int:
    return sum(a.moves for a in self.actors)

  def counters(self) -> dict[str, float]:
    return {"actor_restarts": float(sum(a.restarts for a in self.actors)),
            "learner_restarts": float(self.learner_restarts)}

  def poll(self) -> str | None:
    """One look at the run: restarts what died; returns how the learner ended, or None while it runs."""
    import ray
    refs = [r for a in self.actors for r in (a.run_ref, a.back_ref) if r is not None] + [self.learner_ref]
    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=_POLL_S)
    for actor in self.actors:
      if actor.run_ref is not None and actor.run_ref in ready:
        self._actor_ended(actor)
      elif actor.back_ref is not None and actor.back_ref in ready:
        self._actor_back(actor)
    self._update_counts()
    self._watch_server()
    if self.learner_ref in ready:
      return self._learner_ended()
    return None

  def _actor_ended(self, actor: _Actor) -> None:
    """An actor's loop ended (its process died, or the loop raised): restarts it, or gives it up."""
    import ray
    try:
      ray.get(actor.run_ref)
      cause = "its loop returned"
    except ray.exceptions.RayActorError as e:
      cause = f"its process died ({type(e).__name__})"
    except ray.exceptions.RayTaskError as e:
      cause = describe(e.cause) if e.cause is not None else type(e).__name__
    actor.run_ref = None
    if actor.restarts >= self.cfg.ray.actor_restarts:
      self._give_up(actor, cause)
      return
    actor.restarts += 1
    actor.moves_before, actor.moves_now, actor.moves_ref = actor.moves, 0, None
    log.warning("actor %d restarted (%s); restart %d of %d", actor.id, cause, actor.restarts,
                self.cfg.ray.actor_restarts)
    actor.back_ref = actor.handle.where.remote()  # its loop starts again once Ray has the actor back

  def _actor_back(self, actor: _Actor) -> None:
    import ray
    try:
      ray.get(actor.back_ref)
    except ray.exceptions.ActorUnavailableError:  # still being re-created: ask again
      time.sleep(0.2)
      actor.back_ref = actor.handle.where.remote()
      return
    except ray.exceptions.RayError as e:  # Ray gave it up (no restarts left, or nowhere to place it)
      actor.back_ref = None
      self._give_up(actor, f"it could not be re-created ({type(e).__name__})")
      return
    actor.back_ref = None
    actor.run_ref = actor.handle.run.remote(self.address, actor.id, self.step)

  def _give_up(self, actor: _Actor, cause: str) -> None:
    """Stops counting on `actor`; raises RunFailed once no actor is left."""
    actor.given_up = cause
    alive = sum(a.given_up is None for a in self.actors)
    log.warning("actor %d given up after %d restarts (%s); %d of %d still playing", actor.id, actor.restarts,
                cause, alive, len(self.actors))
    if not alive:
      causes = "; ".join(dict.fromkeys(a.given_up for a in self.actors))
      raise RunFailed(f"all {len(self.actors)} actors died: {causes}")

  def _learner_ended(self) -> str | None:
    """The learner's loop ended: how, or None once the learner runs again from its checkpoint.

    It runs again after its process died, or after its loop failed because
    the replay server it read from died (Ray re-creates the server, which
    reloads its own checkpoint, at a new address).
    """
    import ray
    try:
      return ray.get(self.learner_ref)
    except ray.exceptions.RayActorError as e:
      why_ = f"died ({type(e).__name__})"
    except ray.exceptions.RayTaskError as e:
      if not self._server_moved():
        raise e.as_instanceof_cause() from None
      why_ = "lost its replay server"
    if self.learner_restarts >= self.cfg.ray.learner_restarts:
      raise RunFailed(f"the learner {why_} after {self.learner_restarts} restarts") from None
    self.learner_restarts += 1
    step = _call_when_back(self.learner, "start", self.address, True)
    log.warning("learner %s; restarted from its checkpoint at step %d (restart %d of %d)", why_, step,
                self.learner_restarts, self.cfg.ray.learner_restarts)
    self.step = step
    self.learner_ref = self.learner.run.remote()
    return None

  def _server_moved(self, address: str | None = None) -> bool:
    """Whether the replay server came back at another address (after its process died).

    If it did, the run adopts the new address and restarts the actors, whose
    clients point at the old server (where a call may wait for ever); Ray
    re-creates them and `_actor_ended` starts their loops again.
    """
    import ray
    address = address or _call_when_back(self.server, "address")
    if address == self.address:
      return False
    size = _call_when_back(self.server, "size")
    log.warning("replay server restarted at %s with %d items from its checkpoint", address, size)
    self.address = address
    for actor in self.actors:
      if actor.given_up is None:
        ray.kill(actor.handle, no_restart=False)
    return True

  def _watch_server(self) -> None:
    """Notices, without waiting, a replay server that Ray re-created; the learner then restarts against it."""
    import ray
    if self._server_ref is not None:
      ready, _ = ray.wait([self._server_ref], timeout=0)
      if not ready:
        return
      try:
        address = ray.get(self._server_ref)
      except ray.exceptions.RayError:  # down, or being re-created: ask again
        address = None
      self._server_ref = None
      if address is not None and self._server_moved(address):
        ray.kill(self.learner, no_restart=False)  # `_learner_ended` resumes it against the new server
    self._server_ref = self.server.address.remote()

  def _update_counts(self) -> None:
    """Collects the actors' move counts and the learner's progress without waiting; reports to the learner."""
    import ray
    for actor in self.actors:
      if actor.moves_ref is not None:
        ready, _ = ray.wait([actor.moves_ref], timeout=0)
        if ready:
          with contextlib.suppress(ray.exceptions.RayError):
            actor.moves_now = ray.get(actor.moves_ref)
          actor.moves_ref = None
      if actor.moves_ref is None and actor.given_up is None:
        actor.moves_ref = actor.handle.moves.remote()
    if self._progress_ref is not None:
      ready, _ = ray.wait([self._progress_ref], timeout=0)
      if ready:
        with contextlib.suppress(ray.exceptions.RayError):
          self.step, self.latest = ray.get(self._progress_ref)
        self._progress_ref = None
    if self._progress_ref is None:
      self._progress_ref = self.learner.progress.remote()
    self.learner.report.remote(self.moves(), self.counters())

  # --- stopping ---

  def stop_learner(self, now: threading.Event) -> None:
    """Asks the learner to stop, waits (up to LEARNER_STOP_S) for its loop, then has it save a checkpoint."""
    import ray
    self.learner.request_stop.remote()
    if self.learner_ref is not None:
      _wait([self.learner_ref], LEARNER_STOP_S, now)
    with contextlib.suppress(ray.exceptions.RayError):
      ray.get(self.learner.stop.remote(), timeout=LEARNER_STOP_S)

  def stop_actors(self, now: threading.Event) -> None:
    """Tells the actors to stop; kills those still running after ACTOR_STOP_S (or at once if `now`)."""
    import ray
    for actor in self.actors:
      actor.handle.stop.remote()
    running = [a.run_ref for a in self.actors if a.run_ref is not None]
    _wait(running, ACTOR_STOP_S, now)
    self._update_counts()
    for actor in self.actors:
      ray.kill(actor.handle, no_restart=True)

  def kill(self) -> None:
    """Kills every Ray actor of the run, not to be restarted."""
    import ray
    for handle in self._handles:
      with contextlib.suppress(Exception):
        ray.kill(handle, no_restart=True)


class _KeepInterrupt:
  """Keeps the exception a stop signal's handler raised, which Ray replaces.

  A handler that raises inside `ray.wait` or `ray.get` comes out of them as a
  new, plain KeyboardInterrupt; the CLI's SIGTERM handler raises a subclass
  that makes the command exit 143. While open, each stop signal's Python
  handler is wrapped so that its exception is kept in `raised`.
  """

  def __init__(self):
    self.raised: BaseException | None = None
    self._previous: dict[int, Any] = {}

  def __enter__(self) -> "_KeepInterrupt":
    if threading.current_thread() is threading.main_thread():
      for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if callable(handler):
          self._previous[signum] = signal.signal(signum, self._wrap(handler))
    return self

  def _wrap(self, handler):
    def keep(signum, frame):
      try:
        handler(signum, frame)
      except BaseException as e:
        self.raised = self.raised or e
        raise
    return keep

  def __exit__(self, *exc) -> None:
    for signum, handler in self._previous.items():
      signal.signal(signum, handler)

  def original(self, e: BaseException) -> BaseException:
    """`e`, or the handler's own exception if Ray put a plain KeyboardInterrupt in its place."""
    return self.raised if isinstance(e, KeyboardInterrupt) and self.raised is not None else e


# Seconds a role may wait for the cluster to find it a place and start it (JAX and Reverb imports included).
PLACE_S = 300.0


def _placed(ref, what: str, cpus: float, gpus: float):
  """The result of a role's first call; a one-line UserError if the cluster never placed the role."""
  import ray
  try:
    return ray.get(ref, timeout=PLACE_S)
  except ray.exceptions.RayTaskError as e:  # e.g. a checkpoint that does not load: its own one-line error
    raise e.cause from None
  except ray.exceptions.GetTimeoutError:
    raise UserError(f"{what} (cpus={cpus:g}, gpus={gpus:g}) did not start within {PLACE_S:.0f} s: the cluster "
                    "has no node with those resources free (ray status shows them; see the config's ray section)"
                    ) from None


def _call_when_back(handle, method: str, *args, timeout: float = 300.0):
  """`handle.method(*args)`, asked again while Ray re-creates the actor (for up to `timeout` seconds)."""
  import ray
  deadline = time.monotonic() + timeout
  while True:
    try:
      return ray.get(getattr(handle, method).remote(*args))
    except ray.exceptions.ActorUnavailableError:
      if time.monotonic() > deadline:
        raise
      time.sleep(0.5)


def _wait(refs: list, seconds: float, now: threading.Event) -> None:
  """Waits until `refs` are all ready, `seconds` have passed, or `now` is set."""
  import ray
  deadline = time.monotonic() + seconds
  while refs and time.monotonic() < deadline and not now.is_set():
    _, refs = ray.wait(refs, num_returns=len(refs), timeout=0.2)


@contextlib.contextmanager
def _ray(address: str | None, cfg: TrainConfig):
  """Connected to the cluster at `address`, or to a private instance on loopback, shut down afterwards.

  A private instance's servers start with SIGINT and SIGTERM blocked (the
  mask passes to every process they start), so a Ctrl-C at the terminal,
  which reaches the whole process group, stops the run the driver's way
  rather than killing Ray under it.
  """
  if address is None:  # read when Ray is imported: a private instance listens on loopback alone
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
  import ray
  if ray.is_initialized():
    yield
    return
  sigterm = signal.getsignal(signal.SIGTERM)  # ray.init replaces it with its own; ours exits 143
  with contextlib.ExitStack() as stack:
    kwargs: dict[str, Any] = dict(logging_level=logging.ERROR, log_to_driver=False, configure_logging=False)
    if address is None:
      temp = stack.enter_context(tempfile.TemporaryDirectory(prefix="stratago-ray-"))
      need = cfg.actors.num_actors * cfg.ray.actor_cpus + cfg.ray.learner_cpus + cfg.ray.server_cpus
      kwargs.update(num_cpus=max(os.cpu_count() or 1, int(need + 0.999)), include_dashboard=False,
                    _temp_dir=temp)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS) if address is None else None
    try:
      with warnings.catch_warnings():
        # JAX warns of any fork once it runs; Ray's servers start by fork and exec, which is safe.
        warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
        ray.init(address=address, **kwargs)
    except (ConnectionError, ValueError, RuntimeError) as e:
      raise UserError(f"cannot connect to the Ray cluster at {address}: {str(e).splitlines()[0]}") from None
    finally:
      if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
      if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, sigterm)
    stack.callback(ray.shutdown)
    yield


def train(cfg: TrainConfig, run_dir: str | pathlib.Path, resume: bool = False, progress: bool = True,
          evaluator: Callable[[Any], Callable[..., dict[str, float]]] | None = None,
          address: str | None = None, actor_fn=None) -> dict[str, Any]:
  """Trains R-NaD with its roles as Ray actors; returns the summary also written to RUN_DIR/summary.json.

  Args:
    cfg: the run's config; `cfg.ray` holds the resources and restart budgets.
    run_dir: the run folder, as for `actors.local.train`.
    resume: continue from RUN_DIR's last checkpoint.
    progress: show a tqdm progress bar.
    evaluator: as for `actors.local.train`; it is pickled to the learner's process.
    address: a running Ray cluster's address (`ray start --head` prints it);
      None starts a private instance on this machine.
    actor_fn: what each actor runs, with `actors.actor_loop.run_actor`'s
      arguments (None: that function).

  Raises:
    RunFailed: the actors were all given up, or the learner died too often (after the run was saved).
    KeyboardInterrupt: on Ctrl-C or a handled SIGTERM (after the run was saved).
  """
  import ray
  from tqdm import tqdm

  run_dir = pathlib.Path(run_dir).absolute()
  if address is not None:
    from core import doctor
    doctor.reach_ray(address)  # a wrong address: one line now, not minutes of ray.init's retries
  learner_loop.check_run(cfg, run_dir, resume)
  with _ray(address, cfg):
    run: _Run | None = None
    ended: BaseException | None = None
    how = None
    with _KeepInterrupt() as kept:
      try:
        run = _Run(cfg, run_dir, evaluator, actor_fn, resume)
        run.start()
        timed = cfg.run.max_minutes > 0  # then steps and rate, not an ETA toward a step total not reached
        bar = tqdm(total=None if timed else cfg.run.max_learner_steps, initial=run.start_step,
                   disable=not progress, unit="step", dynamic_ncols=True, desc="rnad (ray)")
        try:
          while how is None:
            how = run.poll()
            bar.update(run.step - bar.n)
            bar.set_postfix({k: f"{run.latest[k]:.3g}" for k in ("actor_moves_per_s", "loss", "nashconv",
                                                                  "win_rate_vs_random") if k in run.latest})
        finally:
          bar.close()
      except BaseException as e:  # noqa: BLE001  (a signal, the actors gone, or a bug: raised again once saved)
        ended = kept.original(e)
    if run is None:
      raise ended
    summary: dict[str, Any] = {}
    with Signals() as signals:
      try:
        quiet = ended is not None and not isinstance(ended, KeyboardInterrupt)
        log.log(logging.DEBUG if quiet else logging.INFO, "stopping: %s", why(ended))
        run.stop_learner(signals.now)
        run.stop_actors(signals.now)
        final: dict[str, float] = {}
        if ended is None and how == "budget" and not signals.now.is_set():
          with contextlib.suppress(KeyboardInterrupt, ray.exceptions.RayError), signals.interruptible():
            final = ray.get(run.learner.final_evaluation.remote())
        status = "interrupted" if ended is None and signals.received else why(ended)
        try:
          summary = ray.get(run.learner.finish.remote(run.moves(), final, status))
        except ray.exceptions.RayActorError:  # a learner past its restarts: its last checkpoint is what is left
          log.error("the learner is gone: no policy.npz or summary.json; %s keeps its last checkpoint", run_dir)
          if ended is None:
            raise RunFailed("the learner died while the run stopped") from None
      finally:
        run.kill()
  if ended is not None:
    raise ended
  signals.deliver()
  return summary
