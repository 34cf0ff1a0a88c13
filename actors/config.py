"""The config of a training run: game, learner, actors, replay, schedule and evaluation."""

from __future__ import annotations

import dataclasses
import enum

from agents.networks.config import Backbone, HeadConfig, NetworkConfig, PolicyHead
from learners.rnad.config import AdamConfig, Centring, EntropyScheduleConfig, FinetuneConfig, NeurdConfig, RNaDConfig


@dataclasses.dataclass(frozen=True)
class ReplayConfig:
  """The trajectory table.

  Attributes:
    max_size: chunks kept; the oldest go first.
    min_size: chunks needed before the learner may sample.
    samples_per_insert: the rate limiter's target of how many times each chunk
      (so each trajectory) is sampled on average.
    error_buffer: how far (in samples) the ratio may drift before one side waits.
    port: the server's port; 0 picks a free one.
  """
  max_size: int = 64
  min_size: int = 8
  samples_per_insert: float = 4.0
  error_buffer: float = 64.0
  port: int = 0

  def __post_init__(self):
    if not 1 <= self.min_size <= self.max_size:
      raise ValueError(f"need 1 <= min_size <= max_size, got {self.min_size}, {self.max_size}")
    if self.samples_per_insert <= 0:
      raise ValueError(f"samples_per_insert must be positive, got {self.samples_per_insert}")
    if self.error_buffer < 2 * max(1.0, self.samples_per_insert):
      raise ValueError(f"error_buffer must be >= 2 * max(1, samples_per_insert) = "
                       f"{2 * max(1.0, self.samples_per_insert)}, got {self.error_buffer}")
    if not 0 <= self.port < 65536:
      raise ValueError(f"port must be in 0..65535, got {self.port}")


@dataclasses.dataclass(frozen=True)
class ActorConfig:
  """Self-play actor processes.

  Attributes:
    num_actors: actor processes started by the local launcher.
    games_per_actor: games each actor plays at once (one network call per move for all).
    chunk_size: trajectory rows written to replay as one item; divides the learner's batch size.
    param_sync_every: moves between two pulls of the latest parameters.
    seed: base seed; actor i uses seed + 1000 * i + the learner step it starts at.
    pack_games: fill each trajectory row with as many whole games as fit (see
      `actors.trajectory_buffer`) instead of one game and padding.
    explore: the share of each move's policy given to a uniformly random legal
      move (0: none). Actors record the mixture as the acting policy, so the
      learner's importance weights correct for it.
    explore_deployment: the same share for the actions that place pieces
      (None: `explore`). It varies the setups that self-play meets without
      adding noise to the moves. Stratego only; it changes nothing where the
      setups are dealt (`deployment=random` or `file`) or fixed.
    tabular: play on the game's enumerated tree (`games.game_tree`) instead
      of through OpenSpiel, for games small enough to enumerate (Kuhn poker
      has 58 histories, Leduc 9,457): the same games at about twice the moves
      per second. Stratego always uses its batched JAX rules.
  """
  num_actors: int = 2
  games_per_actor: int = 128
  chunk_size: int = 32
  param_sync_every: int = 1
  seed: int = 0
  pack_games: bool = False
  explore: float = 0.0
  explore_deployment: float | None = None
  tabular: bool = False

  def __post_init__(self):
    if not 0 <= self.explore < 1:
      raise ValueError(f"explore must be in [0, 1), got {self.explore}")
    if self.explore_deployment is not None and not 0 <= self.explore_deployment < 1:
      raise ValueError(f"explore_deployment must be in [0, 1), got {self.explore_deployment}")
    if self.num_actors < 1 or self.games_per_actor < 1 or self.chunk_size < 1 or self.param_sync_every < 1:
      raise ValueError("num_actors, games_per_actor, chunk_size and param_sync_every must be positive")


@dataclasses.dataclass(frozen=True)
class RunConfig:
  """How long to train and how often to save, evaluate and log.

  Attributes:
    max_learner_steps: stop after this many learner steps (counting steps before a resume).
    max_minutes: also stop after this many wall-clock minutes of this run; 0 for no limit.
    checkpoint_every_steps: learner steps between checkpoints.
    log_every_steps: learner steps between metrics rows.
    publish_every_steps: learner steps between parameter publications to actors.
    actor_silence_s: stop the run (saved, exit status 1) when the learner has
      waited this long for a batch and no actor has written to replay in that
      time; generous, since a first chunk waits for the actors to start,
      compile and fill their rows.
  """
  max_learner_steps: int = 2000
  max_minutes: float = 0.0
  checkpoint_every_steps: int = 500
  log_every_steps: int = 50
  publish_every_steps: int = 1
  actor_silence_s: float = 600.0

  def __post_init__(self):
    if self.max_learner_steps < 1 or self.max_minutes < 0:
      raise ValueError("max_learner_steps must be positive and max_minutes >= 0")
    if min(self.checkpoint_every_steps, self.log_every_steps, self.publish_every_steps) < 1:
      raise ValueError("checkpoint_every_steps, log_every_steps and publish_every_steps must be positive")
    if not self.actor_silence_s > 0:
      raise ValueError(f"actor_silence_s must be positive, got {self.actor_silence_s}")


@dataclasses.dataclass(frozen=True)
class RayConfig:
  """Resources and restarts of a run under `stratago train --backend ray`; the local launcher ignores them.

  Attributes:
    actor_cpus: CPUs each self-play actor declares.
    learner_cpus: CPUs the learner declares.
    learner_gpus: GPUs the learner declares; -1 for one where the cluster has
      a GPU, none where it has not.
    server_cpus: CPUs the Reverb server declares.
    actor_restarts: how often each actor is restarted after its process died
      or its loop raised, before it is given up.
    learner_restarts: how often the learner is restarted from its checkpoint
      after its process died.
    replay_checkpoint_s: seconds between checkpoints of the Reverb server's
      tables (RUN_DIR/replay/), from which a restarted server reloads; 0 for none.
    learner_on_driver_node: run the learner and the Reverb server on the node
      of `stratago train`, where RUN_DIR is; false lets Ray place them on any
      node (RUN_DIR must then be on a file system that node shares).
  """
  actor_cpus: float = 1.0
  learner_cpus: float = 1.0
  learner_gpus: float = -1.0
  server_cpus: float = 1.0
  actor_restarts: int = 10
  learner_restarts: int = 3
  replay_checkpoint_s: float = 120.0
  learner_on_driver_node: bool = True

  def __post_init__(self):
    if not all(0 <= x < 1e6 for x in (self.actor_cpus, self.learner_cpus, self.server_cpus,
                                       self.replay_checkpoint_s)):
      raise ValueError("actor_cpus, learner_cpus, server_cpus and replay_checkpoint_s must be finite and >= 0")
    if not (self.learner_gpus == -1 or 0 <= self.learner_gpus < 1e6):
      raise ValueError(f"learner_gpus must be -1 (auto) or >= 0, got {self.learner_gpus}")
    if self.actor_restarts < 0 or self.learner_restarts < 0:
      raise ValueError("actor_restarts and learner_restarts must be >= 0")


class EvalPolicy(enum.Enum):
  """Which parameters are evaluated and exported."""
  TARGET = "target"  # The target network: a running average of the online one, far less noisy.
  ONLINE = "online"  # The online network, as the actors use it.


@dataclasses.dataclass(frozen=True)
class EvalConfig:
  """Evaluation during and after training.

  Attributes:
    every_steps: learner steps between evaluations (and at the end).
    nashconv: compute NashConv exactly (small games only, e.g. poker).
    vs_random_games: games against a uniformly random player at the end (0: none),
      half as each seat.
    vs_random_during: also play them at every evaluation, not just at the end.
    policy: which parameters are evaluated and exported (target: the running average).
  """
  every_steps: int = 200
  nashconv: bool = True
  vs_random_games: int = 0
  vs_random_during: bool = False
  policy: EvalPolicy = EvalPolicy.TARGET

  def __post_init__(self):
    if self.every_steps < 1 or self.vs_random_games < 0:
      raise ValueError("every_steps must be positive and vs_random_games >= 0")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """`stratago train --algo rnad`: everything one run needs; RUN_DIR/config.yaml repeats it.

  Attributes:
    game: an OpenSpiel game string, e.g. kuhn_poker, leduc_poker,
      stratego(variant=barrage,deployment=random).
  """
  game: str = "kuhn_poker"
  learner: RNaDConfig = RNaDConfig()
  actors: ActorConfig = ActorConfig()
  replay: ReplayConfig = ReplayConfig()
  run: RunConfig = RunConfig()
  eval: EvalConfig = EvalConfig()
  ray: RayConfig = RayConfig()

  def __post_init__(self):
    if self.learner.batch_size % self.actors.chunk_size:
      raise ValueError(f"learner.batch_size {self.learner.batch_size} must be a multiple of "
                       f"actors.chunk_size {self.actors.chunk_size}")

  @classmethod
  def kuhn_poker(cls) -> "TrainConfig":
    """Kuhn poker: the small-game learner on the enumerated tree, for 20,000 learner steps.

    NashConv goes below 0.05 from about step 3,000 and by 12,000-25,000 steps
    moves between about 0.016 and 0.046, near the floor that NeuRD's beta 2
    sets (about 0.021, `benchmarks/neurd_beta_floor.py`); more steps buy
    nothing, so the budget stops at 20,000 (about 3.5 minutes on 2 cores).
    Kuhn has 58 histories: the actors walk the enumerated tree (`tabular`),
    the same games at twice the moves per second. Measured runs are in
    docs/results.md.
    """
    return cls(game="kuhn_poker", learner=_small_game_learner(trajectory_max=4), actors=ActorConfig(tabular=True),
               run=RunConfig(max_learner_steps=20_000))

  @classmethod
  def leduc_poker(cls) -> "TrainConfig":
    """Leduc: a wider network, batch 512, long iterations, a slow target average, packed rows, a decay, exploration.

    - The online network's policy is noisy, so the target network (the
      evaluated policy and the next regularisation policy) averages over
      about 3,300 learner steps (`target_network_avg` 0.0003) and each
      iteration lasts 3,000 steps.
    - Rows of 16 steps hold several whole games (`pack_games`) and the batch
      is 512 rows: each gave a lower NashConv curve than one game per row or
      batch 256. 128x128 beat 96x96 per learner step.
    - The learning rate falls from 1e-3 to 1e-4 over 18,000 steps, about what
      2 cores make in 15 minutes; the evaluated policy drops moves below
      probability 0.02.
    - The actors mix a tenth of uniform play into their policy (`explore`):
      without it NashConv stalled higher and rose late in the run.
    - They play on the enumerated tree (`tabular`, twice the moves per
      second) and pull parameters every 8 moves: a pull on every move cost
      each actor two thirds of its CPU, on cores it shares with the learner.
    NeuRD's beta 2 alone keeps NashConv above about 0.16. Every run and the
    alternatives that did worse: docs/results.md.
    """
    learner = dataclasses.replace(
        _small_game_learner(trajectory_max=16), batch_size=512, network=_mlp(128, 128),
        adam=AdamConfig(learning_rate=1e-3, decay_steps=18_000, end_learning_rate=1e-4),
        finetune=FinetuneConfig(threshold=0.02, discretization=0, at_eval=True),
        target_network_avg=0.0003, entropy_schedule=EntropyScheduleConfig(sizes=(3000,), repeats=(1,)))
    actors = ActorConfig(pack_games=True, explore=0.1, tabular=True, param_sync_every=8)
    return cls(game="leduc_poker", learner=learner, actors=actors, eval=EvalConfig(every_steps=500))

  @classmethod
  def stratego_barrage(cls) -> "TrainConfig":
    """The main job: barrage Stratego on 2 CPU cores in under an hour, then 200 games vs random.

    - The players place their own pieces (`deployment=play`); half of each
      placing move is uniform play (`explore_deployment` 0.5), so self-play
      meets varied setups, as the random player's are.
    - Sized for the CPU: no move-history planes, one actor process on the
      batched JAX rules beside the learner, games packed into rows of 256
      steps (`pack_games`), legal actions stored in 52 slots instead of 1,840,
      and a 128x128 MLP with a from-to term on its move logits
      (`from_to_dim`). A game that runs past its row's end is blanked there,
      so the placements the learner sees lean towards shorter games.
    - NeuRD centres the logits as the reference did (`centring=all`): centred
      on the legal mean it could not raise a move past about 0.2 probability
      with 20-30 legal moves, and the win rate sat at 85-88%.
    - eta 0.05, gamma 0.995, a fast target average (0.05) and a small replay
      learn within the hour, where eta 0.2 with a large replay stayed near
      uniform; batch 16 and NeuRD beta 2, since bigger batches, wider
      networks and other betas did no better.
    - The evaluated and exported policy drops moves below probability 0.1
      (DeepNash's test-time rule, no discretisation): 4-5 points of win rate.
    Every main job and trial: docs/results.md.
    """
    return cls(
        game="stratego(variant=barrage,deployment=play,history=0)",
        learner=RNaDConfig(batch_size=16, trajectory_max=256, eta=0.05, gamma=0.995, target_network_avg=0.05,
                           neurd=NeurdConfig(centring=Centring.ALL),
                           adam=AdamConfig(learning_rate=1e-3, decay_steps=4000, end_learning_rate=2e-4),
                           entropy_schedule=EntropyScheduleConfig(sizes=(250,), repeats=(1,)),
                           finetune=FinetuneConfig(threshold=0.1, discretization=0, at_eval=True),
                           network=_mlp(128, 128, from_to_dim=16)),
        actors=ActorConfig(num_actors=1, games_per_actor=128, chunk_size=4, pack_games=True, explore_deployment=0.5),
        replay=ReplayConfig(max_size=64, min_size=16, samples_per_insert=2.0, error_buffer=64.0),
        run=RunConfig(max_learner_steps=1_000_000, max_minutes=54.0, checkpoint_every_steps=500,
                      log_every_steps=25),
        eval=EvalConfig(every_steps=1500, nashconv=False, vs_random_games=200, vs_random_during=True))

  @classmethod
  def for_game(cls, game: str) -> "TrainConfig":
    """The preset for a game string (a game without one gets the defaults with that game)."""
    short = game.split("(")[0]
    if short == "kuhn_poker":
      return dataclasses.replace(cls.kuhn_poker(), game=game)
    if short == "leduc_poker":
      return dataclasses.replace(cls.leduc_poker(), game=game)
    if short == "stratego":
      if game == "stratego":
        game = cls.stratego_barrage().game
      return dataclasses.replace(cls.stratego_barrage(), game=game)
    return dataclasses.replace(cls(), game=game, eval=EvalConfig(nashconv=False, vs_random_games=200))


def _small_game_learner(trajectory_max: int) -> RNaDConfig:
  return RNaDConfig(
      batch_size=256, trajectory_max=trajectory_max, eta=0.2, target_network_avg=0.001,
      adam=AdamConfig(learning_rate=1e-3),
      entropy_schedule=EntropyScheduleConfig(sizes=(200,), repeats=(1,)),
      network=_mlp(64, 64))


def _mlp(*hidden: int, from_to_dim: int = 0) -> NetworkConfig:
  """An MLP of these widths, with the from-to term of that width (0: a flat policy head)."""
  head = (HeadConfig(policy=PolicyHead.FROM_TO, from_to_dim=from_to_dim) if from_to_dim
          else HeadConfig(policy=PolicyHead.FLAT))
  return NetworkConfig(backbone=Backbone.MLP, hidden=hidden, head=head)
