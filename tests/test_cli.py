"""The `stratago` command: help with examples, one-line errors, exit codes."""

import pytest

from cli import main as cli_main


def _lines(text):
  return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("args, message", [
    (["frobnicate"], "stratago: error: argument COMMAND: invalid choice: 'frobnicate'"),
    (["--bogus"], "stratago: error: unrecognized arguments: --bogus"),
    (["doctor", "--bogus"], "stratago: error: unrecognized arguments: --bogus"),
    (["doctor", "--reverb-port", "abc"], "stratago doctor: error: argument --reverb-port: invalid int value: 'abc'"),
    (["--log-level", "loud", "doctor"], "stratago: error: argument --log-level: invalid choice: 'loud'"),
    (["doctor", "--set", "reverb_prot=1"], "stratago doctor: error: unknown config key 'reverb_prot'; did you mean 'reverb_port'?"),
    (["doctor", "--set", "timeout_s=-1"], "stratago doctor: error: DoctorConfig: timeout_s must be positive, got -1.0"),
    (["doctor", "--reverb-port", "70000"], "stratago doctor: error: DoctorConfig: reverb_port must be in 0..65535, got 70000"),
    (["doctor", "--only", "jax,tensorflow"], "stratago doctor: error: DoctorConfig: unknown part(s) tensorflow; choose from jax, reverb, scann, openspiel, ray"),
    (["doctor", "--config", "missing.yaml"], "stratago doctor: error: cannot read config file missing.yaml: No such file or directory"),
])
def test_errors_are_one_line_with_exit_2(stratago, args, message):
  result = stratago(*args)
  assert result.returncode == 2
  assert _lines(result.stderr) == [_lines(result.stderr)[0]]
  assert result.stderr.startswith(message), result.stderr
  assert "Traceback" not in result.stderr + result.stdout


def test_bad_config_file(stratago, tmp_path):
  (tmp_path / "d.yaml").write_text("parts: [jax]\nzebra: 3\n")
  result = stratago("doctor", "--config", "d.yaml")
  assert result.returncode == 2
  assert result.stderr == "stratago doctor: error: unknown config key 'zebra'; valid keys: 'parts', 'reverb_port', 'timeout_s', 'ray_temp_dir'\n"


def test_no_command_prints_help_and_exits_2(stratago):
  result = stratago()
  assert result.returncode == 2
  assert "COMMAND" in result.stdout and "doctor" in result.stdout


@pytest.mark.parametrize("command", cli_main.COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
  with pytest.raises(SystemExit) as e:
    cli_main.main([command, "--help"])
  assert e.value.code == 0
  out = capsys.readouterr().out
  assert "examples:" in out
  assert f"stratago {command}" in out.split("examples:")[1]


def test_version(capsys):
  with pytest.raises(SystemExit) as e:
    cli_main.main(["--version"])
  assert e.value.code == 0
  assert capsys.readouterr().out.strip() == "stratago 0.1.0"
