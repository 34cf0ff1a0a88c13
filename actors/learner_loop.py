"""The learner's role in a run: sample, update, publish, evaluate, log, checkpoint and export.

Every launcher runs this same loop in its learner process; only how the
actor processes and the Reverb server start, stop and restart differs. Call
sequence (see `actors.local.train`):

  loop = LearnerLoop(cfg, run_dir, game, address, evaluate_fn, resume)   # publishes the first parameters
  ... start the actors ...
  try:
    loop.run(actor_moves, check_actors, progress)   # until the budget; raises on a signal or failure
  finally:
    loop.stop()                  # no more sampling; a checkpoint
    ... stop the actors and the server ...
  final = loop.final_evaluation()        # after a budget only
  summary = loop.finish(actor_moves(), final, ended="budget")   # the policy and summary.json

Liveness: while the learner waits for a batch it calls `check_actors` (which
raises once no actor is alive) every half second, and raises `RunFailed` when
no actor has written to replay for `cfg.run.actor_silence_s` of that wait.
"""

from __future__ import annotations

import functools
import json
import pathlib
import time
from typing import Any, Callable

import jax
import numpy as np
from tqdm import tqdm

from actors import actor_loop, factory, memory, reverb_replay, self_play
from actors.config import TrainConfig
from actors.prefetch import Prefetcher
from core import files, rundir
from core.errors import RunFailed, UserError
from core.metrics import MetricsWriter
from core.rundir import CHECKPOINT, POLICY, PREVIOUS_CHECKPOINT, SUMMARY
from learners.rnad import export, learning

# (probs_fn, learner step, final?) -> metrics; see `evaluation.training.evaluator_for`.
EvaluateFn = Callable[[Callable, int, bool], dict[str, float]]


class LearnerLoop:
  """The R-NaD learner of one run, reading replay at `address` and publishing parameters there.

  Args:
    cfg: the run's config.
    run_dir: the run folder (already prepared: see `core.rundir.prepare`).
    game: the pyspiel game.
    address: the Reverb server's `host:port`.
    evaluate_fn: `evaluate(probs_fn, step, final) -> metrics`, or None.
    resume: continue from the run folder's checkpoint.
  """

  def __init__(self, cfg: TrainConfig, run_dir: pathlib.Path, game, address: str,
               evaluate_fn: EvaluateFn | None = None, resume: bool = False):
    self.cfg, self.run_dir, self.game = cfg, pathlib.Path(run_dir), game
    self._evaluate_fn = evaluate_fn
    self.resume = resume
    self.net = actor_loop.make_network(cfg, game)
    example = np.zeros((1, self_play.observation_size(game)), np.float32)
    self._replay = reverb_replay.ReverbReplay(address, cfg.actors.chunk_size, slots=factory.writes_slots(cfg, game))
    self._prefetch = Prefetcher(functools.partial(self._replay.sample, cfg.learner.batch_size),
                                on_wait=self._waiting, what="sampling from replay", name="replay-prefetch")
    self._check_actors: Callable[[], None] = lambda: None
    self._inserts, self._inserts_t = -1, time.monotonic()  # replay's insert count, and when it last changed
    self.learner = learning.RNaDLearner(cfg.learner, self.net, example, self._prefetch)
    if resume:  # Only a checkpoint that loads takes the folder over: a rejected resume changes nothing.
      self.learner.restore(self.run_dir / CHECKPOINT, fallback=self.run_dir / PREVIOUS_CHECKPOINT)
      rundir.resume(self.run_dir, cfg, self.learner.version())
    self.start_step = self.step = self.learner.version()
    self.latest: dict[str, float] = {}  # the last value of each metric
    self._params = reverb_replay.ReverbParameterSource(address, self.learner.params())
    self._params.publish(self.learner.params(), self.start_step)
    # What is evaluated is what is exported: post-processed when `finetune.at_eval` says so.
    finetune = cfg.learner.finetune
    self._policy_fn = learning.make_policy_fn(self.net, finetune if finetune.at_eval else None)
    self._writer = MetricsWriter(self.run_dir)
    self._t0 = time.time()
    self._last_ckpt = self.start_step

  def _eval_params(self):
    return self.learner.state.params_target if self.cfg.eval.policy.value == "target" else self.learner.params()

  def evaluate(self, step: int, final: bool) -> dict[str, float]:
    if self._evaluate_fn is None:
      return {}
    params = self._eval_params()
    return self._evaluate_fn(lambda o, l: self._policy_fn(params, o, l), step, final)

  def checkpoint(self) -> None:
    self.learner.save(self.run_dir / CHECKPOINT, {"game": self.cfg.game},
                      previous=self.run_dir / PREVIOUS_CHECKPOINT)
    self._last_ckpt = self.learner.version()

  def export_policy(self) -> None:
    export.export(self.run_dir / POLICY, self._eval_params(), game=self.cfg.game, cfg=self.cfg.learner,
                  step=self.learner.version())

  def _waiting(self, waited_s: float) -> None:
    """While the learner waits for a batch: raises if no actor is alive, or none writes."""
    self._check_actors()
    now = time.monotonic()
    inserts = self._replay.inserts()
    if inserts != self._inserts:
      self._inserts, self._inserts_t = inserts, now
    silent = min(waited_s, now - self._inserts_t)
    if silent > self.cfg.run.actor_silence_s:
      raise RunFailed(f"no actor has written to replay for {silent:.0f} s while the learner waited "
                      f"(run.actor_silence_s={self.cfg.run.actor_silence_s:g})")

  def run(self, actor_moves: Callable[[], int], check_actors: Callable[[], None], progress: bool = True,
          counters: Callable[[], dict[str, float]] | None = None) -> None:
    """Updates until the step or time budget; `self.step` and `self.latest` follow it.

    Args:
      actor_moves: the moves all actors have made so far (for the speed metrics).
      check_actors: raises (RunFailed, naming the cause) once no actor is alive;
        called before every update and every half second of waiting for a batch.
      progress: show a tqdm progress bar.
      counters: the launcher's own counts (e.g. restarts), added to each metrics row.

    Raises:
      RunFailed: no actor is alive, or none wrote to replay for `cfg.run.actor_silence_s`.
    """
    cfg = self.cfg
    self._check_actors = check_actors
    deadline = self._t0 + 60 * cfg.run.max_minutes if cfg.run.max_minutes else None
    # Under a time budget the step budget rarely binds: show steps and rate, and the minutes left,
    # rather than an ETA computed from a step total that will not be reached.
    bar = tqdm(total=None if deadline else cfg.run.max_learner_steps, initial=self.start_step,
               disable=not progress, unit="step", dynamic_ncols=True, desc="rnad")
    step, rates_t, rates_moves, rates_step = self.start_step, time.time(), 0, self.start_step
    latest = self.latest
    try:
      if not self.resume:
        start = self.evaluate(step, final=False)
        if start:
          self._writer.write(step, start)
      while step < cfg.run.max_learner_steps and (deadline is None or time.time() < deadline):
        check_actors()
        metrics = self.learner.step()
        step += 1
        if step % cfg.run.publish_every_steps == 0:
          self._params.publish(self.learner.params(), step)
        if (step % cfg.run.log_every_steps == 0 or step % cfg.eval.every_steps == 0
            or step == cfg.run.max_learner_steps):
          row = {k: float(v) for k, v in jax.device_get(metrics).items()}
          now, total_moves = time.time(), actor_moves()
          row["learner_steps_per_s"] = (step - rates_step) / max(now - rates_t, 1e-9)
          row["actor_moves_per_s"] = (total_moves - rates_moves) / max(now - rates_t, 1e-9)
          row["actor_moves"] = total_moves
          row["wall_s"] = now - self._t0
          if counters is not None:
            row.update(counters())
          rates_t, rates_moves, rates_step = now, total_moves, step
          if step % cfg.eval.every_steps == 0:
            row.update(self.evaluate(step, final=False))
          self._writer.write(step, row)
          latest.update(row)
          postfix = {k: f"{latest[k]:.3g}" for k in ("actor_moves_per_s", "loss", "nashconv",
                                                     "win_rate_vs_random") if k in latest}
          if deadline:
            postfix["min_left"] = f"{max(0.0, deadline - now) / 60:.1f}"
          bar.set_postfix(postfix)
        if step % cfg.run.checkpoint_every_steps == 0:
          self.checkpoint()
        self.step = step
        bar.update(1)
    finally:
      bar.close()

  def stop(self) -> None:
    """Stops sampling and saves a checkpoint of the last step (step 0 included), if it has none yet."""
    self._prefetch.close()
    if self.learner.version() != self._last_ckpt or not (self.run_dir / CHECKPOINT).exists():
      self.checkpoint()

  def final_evaluation(self) -> dict[str, float]:
    """The evaluation at the end of a run that reached its budget."""
    return self.evaluate(self.learner.version(), final=True)

  def finish(self, actor_moves: int, final: dict[str, float], ended: str = "budget") -> dict[str, Any]:
    """Logs `final`, exports the policy and writes RUN_DIR/summary.json; returns the summary.

    Args:
      actor_moves: the moves all actors made.
      final: the final evaluation's metrics (empty when the run was stopped early).
      ended: how the run ended: "budget", "interrupted", or "failed: ..." / "error: ...".
    """
    step = self.learner.version()
    if final:
      self._writer.write(step, final)
    self._writer.close()
    self.export_policy()
    summary: dict[str, Any] = {"game": self.cfg.game, "start_step": self.start_step, "ended": ended}
    summary.update(final, learner_steps=step, wall_s=time.time() - self._t0, actor_moves=actor_moves,
                   policy=str(self.run_dir / POLICY), checkpoint=str(self.run_dir / CHECKPOINT))
    files.write_atomic(self.run_dir / SUMMARY, json.dumps(summary, indent=2) + "\n")
    return summary


def check_run(cfg: TrainConfig, run_dir: pathlib.Path, resume: bool):
  """The run's game, after refusing (with a one-line UserError) what cannot train; prepares a new RUN_DIR."""
  from games import game_tree
  from games.stratego.openspiel_game import StrategoGame
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
  memory.check(cfg, game)  # sizes that cannot fit: one line now, not an out-of-memory crash later
  if resume:  # RUN_DIR is written once its checkpoint has loaded (LearnerLoop).
    if not rundir.has_checkpoint(run_dir):
      raise UserError(f"nothing to resume: {run_dir / CHECKPOINT} does not exist")
  else:
    rundir.prepare(run_dir, cfg)  # a new run refuses a non-empty RUN_DIR
  return game
