"""The embedded launcher: a Reverb server, the R-NaD learner and actor processes on one machine.

`train(cfg, run_dir)` starts a Reverb server on loopback in this process,
`cfg.actors.num_actors` actor processes (fresh interpreters, one thread of XLA
each) that play self-play games and write them to Reverb, and runs the learner
here: it samples batches, updates, publishes parameters with their version,
evaluates, logs metrics (JSON lines and TensorBoard), writes atomic
checkpoints and finally exports the policy. On the step or time budget, on an
error, on Ctrl-C or on SIGTERM, it saves a checkpoint, stops the actors (they
ignore SIGINT and SIGTERM, which a terminal or a scheduler sends to the whole
process group, and leave on a shared stop event), stops the server and joins
everything. `train(cfg, run_dir, resume=True)` continues from the checkpoint.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import multiprocessing as mp
import os
import pathlib
import queue
import signal
import threading
import time
from typing import Any, Callable, Iterator

from actors.config import TrainConfig
from core import files, rundir
from core.errors import UserError

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoints/latest.npz"
POLICY = "policy.npz"
SUMMARY = "summary.json"
_ACTOR_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def default_network(cfg: TrainConfig, num_actions: int):
  """The network both learner and actors build, from `cfg.learner.network`. Any picklable factory works."""
  del num_actions  # The game says it.
  from games import openspiel_io
  from learners.rnad import networks
  return networks.for_game(cfg.learner.network, openspiel_io.load_game(cfg.game))


def _actor_main(cfg: TrainConfig, address: str, actor_id: int, start_step: int, stop, moves,
                network_factory: Callable) -> None:
  """An actor process: plays self-play games until `stop` is set."""
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
  import jax
  import numpy as np
  from actors import factory, reverb_replay, self_play
  game = self_play.load_game(cfg.game)
  net = network_factory(cfg, game.num_distinct_actions())
  template = net.init(jax.random.PRNGKey(0), np.zeros((1, self_play.observation_size(game)), np.float32))
  params_source = reverb_replay.ReverbParameterSource(address, template)
  replay = reverb_replay.ReverbReplay(address, cfg.actors.chunk_size, slots=factory.writes_slots(cfg, game))
  seed = cfg.actors.seed + 1000 * actor_id + start_step
  actor = factory.make_actor(cfg, game, net, cfg.actors.games_per_actor, cfg.actors.chunk_size, replay, seed)
  try:
    params, version = params_source.latest()
    n = 0
    while not stop.is_set():
      if n % cfg.actors.param_sync_every == 0:
        params, version = params_source.latest()
      actor.run_step(params, version)
      moves[actor_id] = actor.moves
      n += 1
  except Exception:  # noqa: BLE001  (a server stopped under a blocked call is the normal way out)
    if not stop.is_set():
      raise
  finally:
    with contextlib.suppress(Exception):
      replay.close()


class _Prefetcher:
  """Samples the next batches from replay in a thread while the learner updates."""

  def __init__(self, replay, batch_size: int, depth: int = 2):
    self._queue: queue.Queue = queue.Queue(maxsize=depth)
    self._stop = threading.Event()
    self._error: list[BaseException] = []

    def work():
      try:
        while not self._stop.is_set():
          batch = replay.sample(batch_size)
          while not self._stop.is_set():
            try:
              self._queue.put(batch, timeout=0.1)
              break
            except queue.Full:
              continue
      except BaseException as e:  # noqa: BLE001
        if not self._stop.is_set():
          self._error.append(e)

    self._thread = threading.Thread(target=work, daemon=True, name="replay-prefetch")
    self._thread.start()

  def __iter__(self) -> Iterator:
    return self

  def __next__(self):
    while True:
      if self._error:
        raise RuntimeError(f"sampling from replay failed: {self._error[0]}") from self._error[0]
      try:
        return self._queue.get(timeout=0.5)
      except queue.Empty:
        continue

  def close(self) -> None:
    self._stop.set()


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
          network_factory: Callable = default_network,
          evaluator: Callable[[Any], Callable[..., dict[str, float]]] | None = None) -> dict[str, Any]:
  """Trains R-NaD with the embedded launcher; returns the summary also written to RUN_DIR/summary.json.

  Args:
    cfg: the run's config (written to RUN_DIR/config.yaml).
    run_dir: output folder: config, metrics.jsonl, tb/, checkpoints/, policy.npz, summary.json.
    resume: continue from RUN_DIR's last checkpoint (its learner steps count toward the budget).
    progress: show a tqdm progress bar.
    network_factory: `(cfg, num_actions) -> Network`, a module-level function (actors get it by pickle).
    evaluator: `game -> evaluate(probs_fn, step, final) -> metrics`, run every
      `cfg.eval.every_steps` and at the end, e.g.
      `evaluation.training.evaluator_for(cfg.eval)`; None logs no evaluation.
  """
  import jax
  import numpy as np
  import portpicker
  from tqdm import tqdm

  from actors import factory, reverb_replay, self_play
  from core.metrics import MetricsWriter
  from games import game_tree
  from games.stratego.openspiel_game import StrategoGame
  from learners.rnad import export, learning

  run_dir = pathlib.Path(run_dir)
  try:
    game = self_play.load_game(cfg.game)
    self_play.check_game(game)
  except Exception as e:  # pyspiel raises plain errors for unknown games and bad parameters.
    raise UserError(f"cannot train on game '{cfg.game}': {str(e).splitlines()[0]}") from None
  if cfg.actors.explore_deployment is not None and not isinstance(game, StrategoGame):
    raise UserError(f"actors.explore_deployment is for Stratego's placing actions; {cfg.game} has none")
  if factory.actor_kind(cfg, game) == "tabular":  # refuse a game too large here, once, not in every actor
    try:
      game_tree.build(game)
    except ValueError as e:
      raise UserError(f"actors.tabular: {e}; set actors.tabular=false") from None
  ckpt_path = run_dir / CHECKPOINT
  if resume and not ckpt_path.exists():
    raise UserError(f"nothing to resume: {ckpt_path} does not exist")
  rundir.prepare(run_dir, cfg, resume=resume)  # a new run refuses a non-empty RUN_DIR
  net = network_factory(cfg, game.num_distinct_actions())
  obs_size = self_play.observation_size(game)
  example = np.zeros((1, obs_size), np.float32)

  port = cfg.replay.port or portpicker.pick_unused_port()
  try:
    server = reverb_replay.make_server(cfg.replay, port)
  except (RuntimeError, ValueError) as e:
    raise UserError(f"cannot start the Reverb server on port {port}: {str(e).splitlines()[0]}") from None
  address = f"localhost:{port}"
  replay = reverb_replay.ReverbReplay(address, cfg.actors.chunk_size, slots=factory.writes_slots(cfg, game))
  prefetch = _Prefetcher(replay, cfg.learner.batch_size)
  learner = learning.RNaDLearner(cfg.learner, net, example, prefetch)
  if resume:
    learner.restore(ckpt_path)
  start_step = learner.version()
  params_source = reverb_replay.ReverbParameterSource(address, learner.params())
  params_source.publish(learner.params(), start_step)

  ctx = mp.get_context("spawn")
  stop = ctx.Event()
  moves = ctx.Array("q", cfg.actors.num_actors, lock=False)
  procs = [ctx.Process(target=_actor_main, name=f"rnad-actor-{i}", daemon=True,
                       args=(cfg, address, i, start_step, stop, moves, network_factory))
           for i in range(cfg.actors.num_actors)]
  with _env(XLA_FLAGS=_ACTOR_XLA_FLAGS, JAX_PLATFORMS="cpu"):
    for p in procs:
      p.start()

  evaluate_fn = evaluator(game) if evaluator is not None else None
  # What is evaluated is what is exported: post-processed when `finetune.at_eval` says so.
  finetune = cfg.learner.finetune
  policy_fn = learning.make_policy_fn(net, finetune if finetune.at_eval else None)
  writer = MetricsWriter(run_dir)
  summary: dict[str, Any] = {"game": cfg.game, "start_step": start_step}
  t0 = time.time()
  deadline = t0 + 60 * cfg.run.max_minutes if cfg.run.max_minutes else None
  last_ckpt = start_step

  def eval_params():
    return learner.state.params_target if cfg.eval.policy.value == "target" else learner.params()

  def evaluate(step: int, final: bool) -> dict[str, float]:
    if evaluate_fn is None:
      return {}
    params = eval_params()
    return evaluate_fn(lambda o, l: policy_fn(params, o, l), step, final)

  def checkpoint() -> None:
    nonlocal last_ckpt
    learner.save(ckpt_path, {"game": cfg.game})
    last_ckpt = learner.version()

  def export_policy() -> None:
    export.export(run_dir / POLICY, eval_params(), game=cfg.game, cfg=cfg.learner, obs_size=obs_size,
                  num_actions=game.num_distinct_actions(), step=learner.version())

  # Under a time budget the step budget rarely binds: show steps and rate, and the minutes left,
  # rather than an ETA computed from a step total that will not be reached.
  bar = tqdm(total=None if deadline else cfg.run.max_learner_steps, initial=start_step,
             disable=not progress, unit="step", dynamic_ncols=True, desc="rnad")
  step, rates_t, rates_moves, rates_step = start_step, time.time(), 0, start_step
  latest: dict[str, float] = {}
  finished = False
  try:
    if not resume:
      start = evaluate(step, final=False)
      if start:
        writer.write(step, start)
    while step < cfg.run.max_learner_steps and (deadline is None or time.time() < deadline):
      for p in procs:
        if not p.is_alive():
          raise RuntimeError(f"actor process {p.name} exited with code {p.exitcode}")
      metrics = learner.step()
      step += 1
      if step % cfg.run.publish_every_steps == 0:
        params_source.publish(learner.params(), step)
      if (step % cfg.run.log_every_steps == 0 or step % cfg.eval.every_steps == 0
          or step == cfg.run.max_learner_steps):
        row = {k: float(v) for k, v in jax.device_get(metrics).items()}
        now, total_moves = time.time(), int(sum(moves))
        row["learner_steps_per_s"] = (step - rates_step) / max(now - rates_t, 1e-9)
        row["actor_moves_per_s"] = (total_moves - rates_moves) / max(now - rates_t, 1e-9)
        row["actor_moves"] = total_moves
        row["wall_s"] = now - t0
        rates_t, rates_moves, rates_step = now, total_moves, step
        if step % cfg.eval.every_steps == 0:
          row.update(evaluate(step, final=False))
        writer.write(step, row)
        latest.update(row)
        postfix = {k: f"{latest[k]:.3g}" for k in ("actor_moves_per_s", "loss", "nashconv",
                                                   "win_rate_vs_random") if k in latest}
        if deadline:
          postfix["min_left"] = f"{max(0.0, deadline - now) / 60:.1f}"
        bar.set_postfix(postfix)
      if step % cfg.run.checkpoint_every_steps == 0:
        checkpoint()
      bar.update(1)
    finished = True
  finally:
    bar.close()
    stop.set()
    prefetch.close()
    with contextlib.suppress(Exception):
      if learner.version() != last_ckpt:
        checkpoint()
    if not finished:  # Interrupted or failed: still leave a loadable policy behind.
      with contextlib.suppress(Exception):
        export_policy()
    time.sleep(0.2)
    server.stop()  # Unblocks actors waiting on the rate limiter.
    for p in procs:
      p.join(timeout=20)
      if p.is_alive():
        log.warning("actor %s did not stop in 20 s; killing it", p.name)
        p.kill()  # It ignores SIGTERM.
        p.join(timeout=5)
    if not finished:
      writer.close()
  step = learner.version()
  final = evaluate(step, final=True)
  if final:
    writer.write(step, final)
  writer.close()
  export_policy()
  summary.update(final, learner_steps=step, wall_s=time.time() - t0, actor_moves=int(sum(moves)),
                 policy=str(run_dir / POLICY), checkpoint=str(ckpt_path))
  files.write_atomic(run_dir / SUMMARY, json.dumps(summary, indent=2) + "\n")
  return summary
