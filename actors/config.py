"""The config of a training run: game, learner, actors, replay, schedule and evaluation."""

from __future__ import annotations

import dataclasses
import enum

from learners.rnad.config import (AdamConfig, Centring, EntropyScheduleConfig, FinetuneConfig, NetworkConfig,
                                  NeurdConfig, RNaDConfig)


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
  """
  max_learner_steps: int = 2000
  max_minutes: float = 0.0
  checkpoint_every_steps: int = 500
  log_every_steps: int = 50
  publish_every_steps: int = 1

  def __post_init__(self):
    if self.max_learner_steps < 1 or self.max_minutes < 0:
      raise ValueError("max_learner_steps must be positive and max_minutes >= 0")
    if min(self.checkpoint_every_steps, self.log_every_steps, self.publish_every_steps) < 1:
      raise ValueError("checkpoint_every_steps, log_every_steps and publish_every_steps must be positive")


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
    """Leduc: a wider network, batch 512, longer iterations, a slower target average, packed rows, a decay, exploration.

    The online network's policy is noisy (NashConv 1.0 to 1.6 where its target
    average is at 0.5 to 0.9), so the target network (the evaluated policy and
    the next regularisation policy) averages over about 3,300 learner steps
    (target_network_avg 0.0003) and each iteration lasts 3,000 steps. Rows of
    16 steps hold several whole games (`pack_games`), which gave a lower
    curve: in `benchmarks/rnad_nashconv.py --games leduc_poker --minutes 15`
    on the quiet 2-core machine NashConv was 0.44 at step 10,000, lowest
    0.369 at 35,500 and 0.50 at the end (39,583 steps), where one game per
    8-step row had its lowest at 0.47 and ended at 0.76. With the learning
    rate falling from 1e-3 to 1e-4 over 36,000 steps and moves below
    probability 0.02 dropped at evaluation, the same benchmark gave 0.44 at
    step 10,000, lowest 0.311 at 30,000 and 0.36 at the end (40,715 steps).
    Batch 512 instead of 256 (the decay over 18,000 steps, as the run makes
    half the steps) went below 0.3 at step 11,250 (8.2 minutes) and stayed
    there: lowest 0.233, 0.264 at the end (20,381 steps); a second run stayed
    just above it (lowest 0.306, 0.309 at the end). Alternatives that did
    worse, packed: learning rate 5e-4 (0.66 at step 9,000, then 0.40-0.52 from
    22,000 to 29,700), NeuRD beta 3 (0.50-0.52 at steps 13,500-14,500) and
    beta 6 (rose to 1.5-1.8); unpacked: learning rate 3e-4, 3,000-step
    iterations with a target average of 0.001, a 64x64 network, eta 1.0, 1
    actor with samples_per_insert 16. `benchmarks/neurd_beta_floor.py`
    estimates that beta 2 alone keeps Leduc's NashConv above about 0.16.

    The actors mix a tenth of uniform play over the legal moves into their
    policy (`actors.explore`). Run to 20,000 learner steps (what the quiet
    machine makes in the benchmark's 15 minutes), NashConv fell at every
    step count and kept falling: 0.825 at step 5,000, 0.293 at 10,000, 0.249
    at 15,000 and 0.238 at the end, where the same preset without it had
    1.02, 0.34, 0.327 and, after a low of 0.30 near step 13,000, 0.374.

    A 96x96 torso (2026-11-27) made 13,362-14,673 learner steps in the
    benchmark's 15 minutes on a slow VM where 128x128 made 10,095-10,280, but
    with the two seed pairs run with both torsos it was worse per step (0.398
    and 0.391 at step 9,000 against 0.32 and 0.317) and stalled at 0.35-0.38;
    below 0.3 within 15 minutes it was in two runs of four (one seed pair), 128x128
    in one of two (lowest 0.295 and 0.308). So the preset keeps 128x128.

    The actors play on the game's enumerated tree (`tabular`, twice the moves
    per second of the OpenSpiel actor, the same games) and pull parameters
    every 8 moves: pulling on every move cost each actor process two thirds
    of its CPU, on the cores the learner shares with them (measured before
    `ReverbParameterSource.latest` skipped unchanged parameters). With both, the
    benchmark's 15 minutes held 12,627-14,202 learner steps where they had
    held 10,095-10,951; all four seed pairs run went below 0.3 at 10.2-11.1
    minutes, and three stayed below. Three more runs (seventh session) went
    below at 9.4-11.1 minutes; over the seven, six ended below (docs/rnad.md).
    """
    learner = dataclasses.replace(
        _small_game_learner(trajectory_max=16), batch_size=512, network=NetworkConfig(hidden=(128, 128)),
        adam=AdamConfig(learning_rate=1e-3, decay_steps=18_000, end_learning_rate=1e-4),
        finetune=FinetuneConfig(threshold=0.02, discretization=0, at_eval=True),
        target_network_avg=0.0003, entropy_schedule=EntropyScheduleConfig(sizes=(3000,), repeats=(1,)))
    actors = ActorConfig(pack_games=True, explore=0.1, tabular=True, param_sync_every=8)
    return cls(game="leduc_poker", learner=learner, actors=actors, eval=EvalConfig(every_steps=500))

  @classmethod
  def stratego_barrage(cls) -> "TrainConfig":
    """The README's main job: barrage Stratego on 2 CPU cores in under an hour, then 200 games vs random.

    The players place their own pieces (`deployment=play`; the random player
    places at random, which is `deployment=random`'s setup). A game that runs
    past the end of its packed row is blanked there, placement included, so
    the placements the learner sees lean towards shorter games. Sized for the
    CPU: no move-history planes, one actor process on the
    batched JAX rules beside the learner, games packed into rows of 256 steps
    (`pack_games`), legal actions stored in 52 slots instead of 1,840 (see
    `Trajectories`), and an MLP with a from-to term on its move logits
    (`from_to_dim`). Measured in 12-minute runs: eta 0.2, learning rate 3e-4
    to 2e-3 and a 1,024-game replay left the policy near uniform (37-47% wins
    against random after 300-500 steps); eta 0.05, learning rate 1e-3, gamma
    0.995, a faster target average and a 256-game replay reached 65% after
    842 steps (shared machine). On the quiet machine, judged on 512 games
    against random: the plain MLP about 61% after 11 minutes (the main job's
    curve), NeuRD beta 6 instead of 2 58.6%; packing with the from-to term
    77.9% (690 steps of batch 16) and 78.1% (1,329 steps of batch 8), all
    with random deployment; with the agent placing its pieces 81.8% (863
    steps), and with a hidden layer over each square's and its neighbours'
    planes feeding the from-to term 79.5% (639 steps; not kept).

    The evaluated and exported policy drops moves below probability 0.1
    (`finetune.at_eval`, no discretisation): on the constant-rate main job's
    policy, 1,000 games each, 83.1% raw, 86.7-87.7% with threshold 0.1, 86.8%
    with 0.03, 87.4% with 0.05 (0.03 with DeepNash's 1/32 discretisation was
    no better and ten times slower on the CPU). The learning rate falls from
    1e-3 to 2e-4 over 4,000 steps; the main job with it ended at 85.5% (1,000
    games, post-processed), no measurable change. With the slotted learner
    the main job makes 8,680 steps: 90.0% in its 200 games, 87.9% in 1,000.
    Twelve-minute trials judged on 1,000 games (post-processed, raw in
    brackets): batch 32 85.2% (82.3%) after 524 steps, and with the slotted
    learner (twice the updates a minute) 84.6% (81.1%) after 993 steps; batch
    32 with a 256x256 torso and `from_to_dim` 32 (slotted), 84.8% (80.0%)
    after 602 steps. Neither more steps, a bigger batch nor a wider network
    moved the plateau, so the preset keeps batch 16 and 128x128. Fine-tuning
    from the first step (`finetune.from_learner_steps=0`) fell to 75.1%
    (71.8%); gamma 0.98 83.2% (82.5%), eta 0.02 83.4% (78.8%), eta 0.1
    85.3% (83.7%), NeuRD beta 8 60.5% (67.7%). Beta 4 gave 85.9% (82.9%) in 12
    minutes, but a main job with it ended at 80.2% over 1,000 games, so the
    preset keeps beta 2. A main job with eta 0.1 scored 88.0% over 1,000
    games, as eta 0.05 does.

    NeuRD centres the logits as the reference did (`neurd.centring=all`: the
    legal sum over all 1,840 actions, nearly the raw logits), not on the
    legal actions' mean, which stopped NeuRD from raising any move past about
    0.2 probability with 20-30 legal moves. A 12-minute trial with it reached
    90.7% (1,000 games, seed 7; 82.6% raw) where every trial above stayed at
    83-86%, and the main job with it 91.5% over 1,000 games (90.2% with seed
    7, 86.4% raw; 88.5% in its own 200); a second main job 88.7% (90.0%
    with seed 7; 88.5% in its own 200), and a third, on a slower VM with
    5,350 learner steps instead of about 9,000, 90.2% (89.2% with seed 7;
    93.5% in its own 200), and a fourth, as slow, 91.4% (92.5% with seed 7;
    91.5% in its own 200), and a fifth, as slow, 90.9% (93.2% with seed 7;
    94.0% in its own 200): 90.8% over all 10,000 games.

    Half of each placing move is uniform play (`actors.explore_deployment`
    0.5), so self-play meets varied setups as random's are. Two main jobs
    with it (2026-11-28, a VM as slow as the fifth's): 93.1% and 90.6% over
    1,000 games (91.0% and 90.6% with seed 7; 92.5% and 92.0% in their own
    200), 91.3% over the 4,000: within the noise of the 90.8% above, but
    with fewer losses by running out of pieces (39-45 a thousand games in
    the four evaluations, 55-59 in the three earlier runs counted).
    """
    return cls(
        game="stratego(variant=barrage,deployment=play,history=0)",
        learner=RNaDConfig(batch_size=16, trajectory_max=256, eta=0.05, gamma=0.995, target_network_avg=0.05,
                           neurd=NeurdConfig(centring=Centring.ALL),
                           adam=AdamConfig(learning_rate=1e-3, decay_steps=4000, end_learning_rate=2e-4),
                           entropy_schedule=EntropyScheduleConfig(sizes=(250,), repeats=(1,)),
                           finetune=FinetuneConfig(threshold=0.1, discretization=0, at_eval=True),
                           network=NetworkConfig(hidden=(128, 128), from_to_dim=16)),
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
      network=NetworkConfig(hidden=(64, 64)))
