"""`stratago train`: config layering (preset < file < --set) and one-line user errors."""

import pytest

from actors.config import EvalPolicy, TrainConfig
from cli import main as cli_main
from cli.train import build_train_config


def test_presets_then_file_then_overrides(tmp_path):
  cfg = build_train_config("leduc_poker", None, [])
  assert cfg == TrainConfig.leduc_poker()
  path = tmp_path / "c.yaml"
  path.write_text("learner:\n  eta: 0.1\n  adam:\n    learning_rate: 0.01\n")
  cfg = build_train_config("leduc_poker", str(path), ["learner.eta=0.3", "eval.policy=online"])
  assert cfg.learner.eta == 0.3                                  # --set beats the file
  assert cfg.learner.adam.learning_rate == 0.01                  # the file beats the preset
  assert cfg.learner.trajectory_max == TrainConfig.leduc_poker().learner.trajectory_max  # preset kept
  assert cfg.eval.policy is EvalPolicy.ONLINE


def test_stratego_preset_is_barrage():
  cfg = build_train_config("stratego", None, [])
  assert cfg.game.startswith("stratego(variant=barrage")
  assert build_train_config("stratego(variant=barrage)", None, []).game == "stratego(variant=barrage)"


@pytest.mark.parametrize("argv, message", [
    (["train", "--game", "no_such_game", "--out", "{tmp}/r"], "cannot train on game 'no_such_game'"),
    (["train", "--game", "kuhn_poker(players=3)", "--out", "{tmp}/r"], "two players"),
    (["train", "--resume", "{tmp}/missing"], "nothing to resume"),
    (["train", "--game", "kuhn_poker", "--out", "{tmp}/r", "--set", "learner.etaa=1"], "did you mean"),
    (["train", "--game", "kuhn_poker", "--out", "{tmp}/r", "--set", "actors.chunk_size=7"], "multiple"),
    (["train", "--game", "kuhn_poker"], "--out"),
    (["train", "--game", "leduc_poker", "--out", "{tmp}/r", "--set", "actors.explore=1"], "explore must be in [0, 1)"),
    (["train", "--game", "kuhn_poker", "--out", "{tmp}/r", "--set", "actors.explore_deployment=0.5"],
     "kuhn_poker has none"),
    # Tic-tac-toe has 549,946 histories: the tree actor refuses it before anything starts.
    (["train", "--game", "tic_tac_toe", "--out", "{tmp}/r", "--set", "actors.tabular=true"], "too many to enumerate"),
])
def test_user_mistakes_are_one_line_errors(tmp_path, capsys, argv, message):
  code = cli_main.main([a.format(tmp=tmp_path) for a in argv])
  err = capsys.readouterr().err
  assert code == 2
  assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("leftover", ["metrics.jsonl", "checkpoints/latest.npz"])
def test_a_new_run_refuses_a_run_dir_that_is_not_empty(tmp_path, capsys, leftover):
  # A folder with metrics and no checkpoint was once appended to; now any leftover refuses the run.
  run = tmp_path / "r"
  (run / leftover).parent.mkdir(parents=True, exist_ok=True)
  (run / leftover).write_text('{"step": 7}\n')
  code = cli_main.main(["train", "--game", "kuhn_poker", "--out", str(run)])
  err = capsys.readouterr().err
  assert code == 2 and len(err.strip().splitlines()) == 1
  assert f"{run} is not empty; use --resume {run}" in err
  assert sorted(p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()) == [leftover]
  assert (run / leftover).read_text() == '{"step": 7}\n'    # Untouched: no config.yaml, no appended row.
