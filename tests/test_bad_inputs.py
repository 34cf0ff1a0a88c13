"""Every subcommand against a corpus of bad inputs: exit 2, one line on stderr, no existing file changed.

The cases run in-process (`cli.main.main`), so the table costs imports once;
each case fails before any work starts (no training, no games), which is the
point: bad input is refused at the edge.
"""

import hashlib
import os
import pathlib
import shutil

import pytest

from cli import main as cli_main
from games.stratego.testing import board

TESTDATA = pathlib.Path(__file__).parent / "testdata"
KUHN_POLICY = TESTDATA / "policy_v1_kuhn_mlp.npz"
TWO_FLAGS = board({"a1": "M", "b1": "M", "e4": "L", "j10": "Y", "e7": "X"})
NO_PIECES = board({})


def _workspace(w: pathlib.Path) -> None:
  """The corpus: damaged policies, bad YAML, a file where a folder belongs, and run folders."""
  from test_core_checkpoint import damage  # tests/ is on the path
  from test_run_folders import fake_run
  (w / "afile").write_text("not a folder\n")
  policy = KUHN_POLICY.read_bytes()
  (w / "empty.npz").write_bytes(b"")
  (w / "truncated.npz").write_bytes(policy[:len(policy) // 2])
  (w / "random.npz").write_bytes(os.urandom(2000))
  (w / "badcrc.npz").write_bytes(policy)
  damage(w / "badcrc.npz", "bad crc")
  (w / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
  (w / "binary.yaml").write_bytes(bytes(range(256)) * 4)
  (w / "latin1.yaml").write_bytes("learner:\n  eta: 0.2  # café\n".encode("latin-1"))
  (w / "badline.yaml").write_text("run:\n  max_minutes: 1\n bad: [\n")
  (w / "list.yaml").write_text("- 1\n- 2\n")
  fake_run(w / "run")
  fake_run(w / "broken")
  for name in ("checkpoints/latest.npz", "checkpoints/previous.npz"):
    (w / "broken" / name).write_bytes(b"")
  (w / "killed").mkdir()                      # killed before its first checkpoint
  shutil.copy(w / "run" / "config.yaml", w / "killed" / "config.yaml")
  (w / "killed" / "metrics.jsonl").write_text('{"step": 0, "nashconv": 0.9}\n')
  (w / "sgf").mkdir()
  (w / "sgf" / "g.sgf").write_text("(;GM[1]FF[4]SZ[9]KM[7.5];B[ee];W[cc])")


TRAIN = ["train", "--game", "kuhn_poker", "--no-progress", "--out", "{w}/new"]
MATCH = ["match", "--game", "kuhn_poker", "--games", "2", "--no-progress", "--agents"]
TOURNEY = ["tournament", "--game", "kuhn_poker", "--games", "2", "--no-progress"]

CASES = [
    # train: numbers, YAML, folders, resumes, games
    (TRAIN + ["--set", "learner.adam.learning_rate=.nan"], "expected a number, got NaN"),
    (TRAIN + ["--set", "learner.eta=.nan"], "learner.eta: expected a number, got NaN"),
    (TRAIN + ["--set", "run.max_minutes=.nan"], "run.max_minutes: expected a number, got NaN"),
    (TRAIN + ["--set", "run.max_minutes=.inf"], "expected a finite number"),
    (TRAIN + ["--set", "learner.gamma=-1e999"], "expected a finite number"),
    (TRAIN + ["--config", "{w}/deep.yaml"], "nests brackets 5000 deep"),
    (TRAIN + ["--config", "{w}/binary.yaml"], "binary.yaml is not UTF-8 text"),
    (TRAIN + ["--config", "{w}/latin1.yaml"], "latin1.yaml is not UTF-8 text (byte 0xe9 at line 2)"),
    (TRAIN + ["--config", "{w}/badline.yaml"], "badline.yaml is not valid YAML at line 3"),
    (TRAIN + ["--config", "{w}/list.yaml"], "must hold a mapping"),
    (TRAIN + ["--config", "{w}/missing.yaml"], "cannot read config file"),
    (TRAIN + ["--set", "learner.eta=[[[["], "is not valid YAML at line 1"),
    (TRAIN + ["--set", "learner.eta=\x07"], "unacceptable character #x0007"),
    (TRAIN + ["--set", "learner.eta=1\n2"], "learner.eta: expected a number"),
    # Sizes no machine holds: refused from an estimate before anything is allocated.
    (TRAIN + ["--set", "actors.games_per_actor=1000000000000"], "of it for the actors' games"),
    (TRAIN + ["--set", "learner.batch_size=1000000000000", "--set", "actors.chunk_size=1"],
     "of it for the learner's batches"),
    (TRAIN + ["--set", "learner.network.hidden=[10000000, 10000000]"], "of it for the network's parameters"),
    (["train", "--game", "kuhn_poker", "--out", "{w}/afile"], "afile is a file, not a folder"),
    (["train", "--game", "kuhn_poker", "--out", "{w}/afile/run"], "is under {w}/afile, which is a file"),
    (["train", "--game", "kuhn_poker", "--out", "{w}/run"], "is not empty; use --resume"),
    (TRAIN + ["--backend", "ray", "--ray-address", "127.0.0.1:1"], "cannot reach the Ray cluster at 127.0.0.1:1"),
    (TRAIN + ["--ray-address", "127.0.0.1:1"], "--ray-address is for --backend ray"),
    (["train", "--algo", "supervised", "--data", "{w}/sgf", "--out", "{w}/new", "--backend", "ray"],
     "--backend ray is for self-play training"),
    (TRAIN + ["--backend", "ray", "--set", "ray.actor_restarts=-1"], "actor_restarts and learner_restarts must be"),
    (TRAIN + ["--backend", "ray", "--set", "ray.learner_gpus=-2"], "learner_gpus must be -1 (auto) or >= 0"),
    (["train", "--game", "kuhn_poker", "--out", "{w}/killed"], "is not empty; use --resume"),
    (["train", "--resume", "{w}/killed"], "nothing to resume"),
    (["train", "--resume", "{w}/afile"], "nothing to resume"),
    (["train", "--resume", "{w}/run", "--no-progress", "--set", "learner.network.hidden=[32]"], "does not fit"),
    (["train", "--resume", "{w}/broken", "--no-progress"], "latest.npz is empty"),
    (["train", "--game", "stratego(max_moves=1000000000000)", "--out", "{w}/new"], "max_moves=1000000000000 is too large"),
    (["train", "--game", "stratego(max_moves=5000000)", "--out", "{w}/new"], "max_moves must be in 1..1000000"),
    (["train", "--game", f"stratego(initial_board={TWO_FLAGS})", "--out", "{w}/new"], "Red has 2 flags"),
    (["train", "--game", f"stratego(initial_board={NO_PIECES})", "--out", "{w}/new"], "Red has 0 flags"),
    # match
    (MATCH + ["policy:{w}/empty.npz", "random"], "empty.npz is not an exported policy: it is empty"),
    (MATCH + ["policy:{w}/truncated.npz", "random"], "truncated.npz is not an exported policy: it is damaged"),
    (MATCH + ["policy:{w}/random.npz", "random"], "random.npz is not an exported policy: it is not an .npz"),
    (MATCH + ["policy:{w}/badcrc.npz", "random"], "badcrc.npz is damaged or truncated (Bad CRC-32"),
    (MATCH + ["py:os:sep", "random"], "os:sep is a str, not an agent factory"),
    (MATCH + ["py:os:getcwd", "random"], "os:getcwd is not an agent factory"),
    (MATCH + ["random:-1", "random"], "seed -1 is out of range"),
    (MATCH + ["random:99999999999999999999999", "random"], "is not a small integer"),
    (MATCH + ["random:1", "random", "--seed", "-5"], "seed '-5' is out of range"),
    (MATCH + ["random:1", "random", "--out", "{w}/afile"], "afile is a file, not a folder"),
    (MATCH + ["random:1", "random", "--out", "{w}/afile/m"], "which is a file"),
    (MATCH + ["random:1", "random", "--sprt", "nan,5"], "must be finite"),
    (MATCH + ["run:{w}/broken", "random"], "broken/checkpoints/latest.npz is empty"),
    (["match", "--game", "stratego(variant=barrage)", "--games", "2", "--agents", f"policy:{KUHN_POLICY}",
      "random"], "was trained on kuhn_poker"),
    # tournament
    (TOURNEY + ["--agents", "random:1", "random", "--out", "{w}/afile"], "afile is a file, not a folder"),
    (TOURNEY + ["--agents", "random:1", "random", "--out", "{w}/afile/t"], "which is a file"),
    (TOURNEY + ["--agents", "random:1", "random", "--out", "{w}/t", "--anchor", "random=nan"], "expected SPEC=ELO"),
    (TOURNEY + ["--agents", "policy:{w}/truncated.npz", "random", "--out", "{w}/t"], "damaged or truncated"),
    (TOURNEY + ["--agents", "random:1", "random", "--out", "{w}/t", "--seed", "-1"], "out of range"),
    # gtp
    (["gtp", "--komi", "nan"], "'nan' is not a finite number"),
    (["gtp", "--komi=-inf"], "'-inf' is not a finite number"),
    (["gtp", "--seed", "-1"], "out of range"),
    (["gtp", "--agent", "policy:{w}/truncated.npz"], "damaged or truncated"),
    (["gtp", "--agent", "py:os:sep"], "not an agent factory"),
    (["gtp", "--agent", "run:{w}/broken"], "plays kuhn_poker, not Go"),
    (["gtp", "--size", "100000"], "--size must be in"),
    # ucc
    (["ucc", "--agent", "policy:{w}/random.npz"], "not an exported policy"),
    (["ucc", "--agent", "random:-3"], "out of range"),
    (["ucc", "--seed", "4294967296"], "out of range"),
    (["ucc", "--agent", "run:{w}/killed"], "is not a training run with a checkpoint"),
    (["ucc", "--agent", "run:{w}/broken"], "play classic Stratego, not kuhn_poker"),
    # plot
    (["plot", "{w}/afile"], "has no metrics.jsonl"),
    (["plot", "{w}/sgf"], "has no metrics.jsonl"),
    # model
    (["model", "--set", "depth=.nan"], "expected an integer, got nan"),
    (["model", "--set", "depth=[[[["], "is not valid YAML"),
    (["model", "--game", "no_such_game"], "unknown game"),
    # doctor
    (["doctor", "--config", "{w}/binary.yaml"], "is not UTF-8 text"),
    (["doctor", "--config", "{w}/deep.yaml"], "nests brackets"),
    (["doctor", "--set", "reverb_port=.nan"], "expected an integer"),
    (["doctor", "--only", "nothing"], "unknown part"),
    (["doctor", "--ray", "127.0.0.1:1"], "cannot reach the Ray cluster at 127.0.0.1:1: Connection refused"),
    (["doctor", "--ray", "head-without-port"], "Invalid address format"),
    # data
    (["data", "gnugo", "--games", "1", "--out", "{w}/afile"], "afile is a file, not a folder"),
    (["data", "gnugo", "--games", "1", "--out", "{w}/afile/g"], "which is a file"),
    (["data", "gnugo", "--games", "1", "--out", "{w}/g", "--komi", "nan"], "not a finite number"),
    (["data", "gnugo", "--games", "1", "--out", "{w}/g", "--seed", "-1"], "out of range"),
    (["data", "gnugo", "--out", "{w}/g", "--config", "{w}/latin1.yaml"], "is not UTF-8 text"),
    (["data", "positions", "{w}/sgf", "--out", "{w}/afile"], "afile is a file, not a folder"),
    (["data", "positions", "{w}/sgf", "--out", "{w}/afile/d"], "{w}/afile is a file, not a folder"),
    (["data", "positions", "{w}/nowhere", "--out", "{w}/d"], "nowhere"),
    # play: checked before the server starts
    (["play", "--no-browser", "--game", "kuhn_poker"], "the GUI plays stratego(...) and go(...), not kuhn_poker"),
    (["play", "--no-browser", "--game", "go(board_size=99)"], "board_size must be in 2..19, got 99"),
    (["play", "--no-browser", "--game", "go(board_size=9)", "--agent", "policy:{w}/missing.npz"], "missing.npz"),
    (["play", "--no-browser", "--replay", "{w}/run/config.yaml"], "is neither a Stratego record (.json) nor an SGF"),
    (["play", "--no-browser", "--replay", "{w}/sgf"], "--replay: no file"),
    # predict: a network over a Go dataset
    (["predict", "--agent", "random", "--data", "{w}/sgf"], "is not a position dataset"),
    (["predict", "--agent", "policy:{w}/missing.npz", "--data", "{w}/sgf"], "is not a position dataset"),
    (["predict", "--agent", "random", "--data", "{w}/sgf", "--batch", "0"], "--max-positions must be >= 0 and --batch >= 1"),
]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
  w = tmp_path_factory.mktemp("bad_inputs")
  _workspace(w)
  return w


def _digest(folder: pathlib.Path) -> dict[str, str]:
  return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
          for p in sorted(folder.rglob("*")) if p.is_file()}


def _id(case):
  argv, _ = case
  return " ".join(argv)[:70]


@pytest.mark.parametrize("argv, message", CASES, ids=[_id(c) for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(workspace, capsys, argv, message):
  before = _digest(workspace)
  argv = [a.replace("{w}", str(workspace)) for a in argv]
  try:
    code = cli_main.main(argv)
  except SystemExit as e:  # argparse's own errors
    code = e.code
  err = capsys.readouterr().err
  assert code == 2, err
  assert len(err.strip().splitlines()) == 1, err
  assert message.replace("{w}", str(workspace)) in err, err
  assert _digest(workspace) == before


def test_the_table_covers_every_subcommand():
  assert {argv[0] for argv, _ in CASES} == set(cli_main.COMMANDS)
