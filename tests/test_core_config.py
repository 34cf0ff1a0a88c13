"""The config loader: defaults, YAML, dotted overrides, misspelt keys, round trips."""

import dataclasses
import enum

import pytest
import yaml

from core import config


class Algo(enum.Enum):
  RNAD = "rnad"
  SUPERVISED = "supervised"


@dataclasses.dataclass(frozen=True)
class LearnerConfig:
  batch_size: int = 256
  learning_rate: float = 5e-5
  betas: tuple[float, float] = (0.0, 0.999)

  def __post_init__(self):
    if self.batch_size <= 0:
      raise ValueError(f"batch_size must be positive, got {self.batch_size}")


@dataclasses.dataclass(frozen=True)
class ActorConfig:
  num_actors: int = 2
  game: str = "kuhn_poker"
  seed: int | None = None


@dataclasses.dataclass(frozen=True)
class RunConfig:
  algo: Algo = Algo.RNAD
  learner: LearnerConfig = LearnerConfig()
  actors: ActorConfig = ActorConfig()
  resume: bool = False
  tags: tuple[str, ...] = ()


def test_defaults():
  assert config.build(RunConfig) == RunConfig()


def test_yaml_then_overrides_in_order(tmp_path):
  path = tmp_path / "run.yaml"
  path.write_text("learner:\n  batch_size: 64\n  learning_rate: 1e-3\nactors:\n  game: leduc_poker\n")
  cfg = config.build(RunConfig, path, ["learner.batch_size=512", "algo=supervised", "tags=[a, b]"])
  assert cfg.learner.batch_size == 512  # The override wins over the file.
  assert cfg.learner.learning_rate == 1e-3  # YAML reads `1e-3` as a string; it becomes a float.
  assert cfg.learner.betas == (0.0, 0.999)  # Untouched defaults stay.
  assert cfg.actors.game == "leduc_poker"
  assert cfg.algo is Algo.SUPERVISED
  assert cfg.tags == ("a", "b")


@pytest.mark.parametrize("override, expected", [
    ("learner.learning_rate=2e-4", ("learner", "learning_rate", 2e-4)),
    ("learner.learning_rate=3", ("learner", "learning_rate", 3.0)),
    ("learner.betas=[0.9, 0.99]", ("learner", "betas", (0.9, 0.99))),
    ("actors.seed=7", ("actors", "seed", 7)),
    ("actors.seed=null", ("actors", "seed", None)),
    ("actors.game=go(board_size=9)", ("actors", "game", "go(board_size=9)")),
])
def test_override_values(override, expected):
  cfg = config.build(RunConfig, overrides=[override])
  section, key, value = expected
  got = getattr(getattr(cfg, section), key)
  assert got == value and type(got) is type(value)


def test_resume_override_bool():
  assert config.build(RunConfig, overrides=["resume=true"]).resume is True


@pytest.mark.parametrize("override, message", [
    ("learner.batch_sise=512", "unknown config key 'learner.batch_sise'; did you mean 'learner.batch_size'?"),
    ("lerner.batch_size=512", "unknown config key 'lerner'; did you mean 'learner'?"),
    ("actors.num_actor=3", "unknown config key 'actors.num_actor'; did you mean 'actors.num_actors'?"),
    ("learner.batch_size.x=1", "'learner.batch_size' has no sub-keys"),
    ("learner.batch_size", "must look like key=value"),
    ("learner.batch_size=many", "learner.batch_size: expected an integer, got 'many'"),
    ("learner.batch_size=1.5", "learner.batch_size: expected an integer, got 1.5"),
    ("learner.batch_size=-3", "learner: batch_size must be positive, got -3"),
    ("resume=maybe", "resume: expected true or false, got 'maybe'"),
    ("algo=dqn", "algo: 'dqn' is not one of rnad, supervised"),
    ("learner.betas=[1, 2, 3]", "learner.betas: expected 2 items, got 3"),
    ("actors=5", "actors: expected a mapping of ActorConfig fields, got 5"),
])
def test_bad_overrides_name_the_key(override, message):
  with pytest.raises(config.ConfigError) as e:
    config.build(RunConfig, overrides=[override])
  assert message in str(e.value)
  assert "\n" not in str(e.value)


def test_misspelt_key_in_file(tmp_path):
  path = tmp_path / "run.yaml"
  path.write_text("learner:\n  batch_sizes: 3\n")
  with pytest.raises(config.ConfigError, match=r"unknown config key 'learner.batch_sizes'; did you mean 'learner.batch_size'\?"):
    config.build(RunConfig, path)


def test_unknown_key_without_close_match_lists_valid_keys():
  with pytest.raises(config.ConfigError, match=r"unknown config key 'zzz'; valid keys: 'algo', 'learner', 'actors', 'resume', 'tags'"):
    config.build(RunConfig, overrides=["zzz=1"])


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "must hold a mapping of keys, not list"),
    ("learner: {batch_size: 3", "is not valid YAML"),
])
def test_bad_files(tmp_path, text, message):
  path = tmp_path / "bad.yaml"
  path.write_text(text)
  with pytest.raises(config.ConfigError, match=message):
    config.build(RunConfig, path)


def test_missing_file(tmp_path):
  with pytest.raises(config.ConfigError, match="cannot read config file .*nope.yaml"):
    config.build(RunConfig, tmp_path / "nope.yaml")


def test_empty_file_means_defaults(tmp_path):
  path = tmp_path / "empty.yaml"
  path.write_text("")
  assert config.build(RunConfig, path) == RunConfig()


def test_round_trip_through_written_file(tmp_path):
  cfg = config.build(RunConfig, overrides=[
      "algo=supervised", "learner.batch_size=1024", "learner.learning_rate=1e-4",
      "learner.betas=[0.5, 0.9]", "actors.seed=3", "tags=[x]", "resume=true"])
  path = config.dump(cfg, tmp_path / "run" / "config.yaml")
  assert yaml.safe_load(path.read_text()) == {
      "algo": "supervised",
      "learner": {"batch_size": 1024, "learning_rate": 1e-4, "betas": [0.5, 0.9]},
      "actors": {"num_actors": 2, "game": "kuhn_poker", "seed": 3},
      "resume": True,
      "tags": ["x"],
  }
  assert config.build(RunConfig, path) == cfg
  assert not list(path.parent.glob("*.tmp"))  # Written atomically: no leftovers.


def test_base_config_then_file_then_overrides(tmp_path):
  preset = RunConfig(algo=Algo.SUPERVISED, learner=LearnerConfig(batch_size=32, betas=(0.5, 0.5)))
  path = tmp_path / "run.yaml"
  path.write_text("learner:\n  learning_rate: 0.1\n")
  cfg = config.build(RunConfig, path, ["learner.batch_size=64"], base=preset)
  assert cfg == RunConfig(algo=Algo.SUPERVISED,
                          learner=LearnerConfig(batch_size=64, learning_rate=0.1, betas=(0.5, 0.5)))
  assert config.build(RunConfig, base=preset) == preset


@pytest.mark.parametrize("override, message", [
    ("learner.learning_rate=.nan", "learner.learning_rate: expected a number, got NaN"),
    ("learner.learning_rate=nan", "learner.learning_rate: expected a number, got NaN"),
    ("learner.learning_rate=.inf", "learner.learning_rate: expected a finite number, got inf"),
    ("learner.learning_rate=-1e999", "learner.learning_rate: expected a finite number, got -inf"),
    ("learner.betas=[.nan, 0.5]", "learner.betas[0]: expected a number, got NaN"),
    ("learner.betas=[0.1, .inf]", "learner.betas[1]: expected a finite number, got inf"),
])
def test_numbers_must_be_finite(override, message):
  # NaN compares false with every bound, so a `__post_init__` range check let it through.
  with pytest.raises(config.ConfigError) as e:
    config.build(RunConfig, overrides=[override])
  assert message in str(e.value)


def test_an_infinite_default_may_stay_infinite():
  @dataclasses.dataclass(frozen=True)
  class Cutoff:
    rho: float = float("inf")
  assert config.build(Cutoff, overrides=["rho=.inf"]).rho == float("inf")
  assert config.build(Cutoff, overrides=["rho=2"]).rho == 2.0
  with pytest.raises(config.ConfigError, match="rho: expected a number, got NaN"):
    config.build(Cutoff, overrides=["rho=.nan"])


@pytest.mark.parametrize("data, message", [
    (b"learner:\n  batch_size: 3\n bad: [\n", "bad.yaml is not valid YAML at line 3: "),
    (b"learner:\n  batch_size: 3 # caf\xe9\n", "bad.yaml is not UTF-8 text (byte 0xe9 at line 2)"),
    (b"\x00\x01\x02\xff\xfe", "bad.yaml is not UTF-8 text"),
    (b"learner: \x01\n", "bad.yaml is not valid YAML at line 1: unacceptable character #x0001"),
    (b"a: " + b"[" * 5000 + b"]" * 5000, "bad.yaml nests brackets 5000 deep"),
    ("".join(f"{' ' * i}k{i}:\n" for i in range(3000)).encode(), "bad.yaml nests too deeply"),
])
def test_bad_yaml_files_name_the_file_and_line(tmp_path, data, message):
  path = tmp_path / "bad.yaml"
  path.write_bytes(data)
  with pytest.raises(config.ConfigError) as e:
    config.build(RunConfig, path)
  assert message in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("override, message", [
    ("learner.betas=[[[[", "override 'learner.betas=[[[[' is not valid YAML at line 1"),
    ("learner.betas=" + "[" * 3000, "nests brackets 3000 deep"),
    ("learner.batch_size={a: 1", "is not valid YAML"),
])
def test_bad_yaml_in_overrides(override, message):
  with pytest.raises(config.ConfigError) as e:
    config.build(RunConfig, overrides=[override])
  assert message in str(e.value)
