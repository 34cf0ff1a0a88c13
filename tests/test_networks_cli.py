"""`stratago model`: the printed counts are the counter's; mistakes are one line and exit 2."""

import pyspiel
import pytest

from agents.networks import Backbone, NetworkConfig, counting
from cli import main


@pytest.mark.parametrize("backbone", [b.value for b in Backbone])
def test_model_prints_counter_figures_and_layout(backbone, capsys):
  assert main.main(["model", "--backbone", backbone, "--preset", "tiny", "--game", "go(board_size=9)"]) == 0
  out = capsys.readouterr().out
  c = counting.count(NetworkConfig.from_preset(backbone, "tiny"), pyspiel.load_game("go(board_size=9)"))
  assert f"parameters: {c.params:,}" in out
  assert f"({c.flops_forward:,})" in out and f"({c.flops_forward_backward:,})" in out
  assert ("read as one flat vector, 82 actions" if backbone == "mlp" else "81 tokens (9x9), 82 actions") in out
  for layer in c.layers:
    assert f"{layer.params:,}" in out and layer.description in out


def test_model_set_overrides_the_preset(capsys):
  assert main.main(["model", "--backbone", "transformer", "--preset", "tiny", "--game", "tic_tac_toe",
                    "--set", "depth=5", "--set", "attention.pattern=[global]"]) == 0
  out = capsys.readouterr().out
  assert "depth 5" in out and "block_4" in out and "local" not in out


@pytest.mark.parametrize("argv,message", [
    (["--game", "go_fishy"], "did you mean go_fish?"),
    (["--set", "depthh=3"], "did you mean 'depth'"),
    (["--set", "attention.num_kv_heads=3"], "multiple of num_kv_heads"),
    (["--game", "kuhn_poker", "--set", "head.policy=squares"], "SQUARES head needs a board game"),
])
def test_model_user_mistakes_are_one_line_exit_2(argv, message, capsys):
  assert main.main(["model", "--preset", "tiny", *argv]) == 2
  err = capsys.readouterr().err
  assert message in err and err.count("\n") == 1


def test_model_on_stratego_uses_its_from_to_table(capsys):
  assert main.main(["model", "--backbone", "resnet", "--preset", "tiny", "--game", "stratego(variant=barrage)"]) == 0
  out = capsys.readouterr().out
  assert "100 tokens (10x10), 1840 actions, policy head from_to" in out
