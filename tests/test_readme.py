"""The README stays a short guide whose `stratago ...` lines the command's own parser accepts."""

import pathlib
import re
import shlex

import pytest

from cli import main as cli_main

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
MAX_LINES = 300


def command_lines(text: str) -> list[str]:
  """Every `stratago ...` line of the fenced code blocks, comments cut and continuations joined.

  A comment starts at two spaces and a `#`; a line ending in a backslash
  continues on the next. In a block that shows a session (some line starts
  with the prompt `$ `), only the prompted lines are commands and the rest is
  their output.
  """
  found = []
  for block in re.findall(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", text, flags=re.M | re.S):
    lines = re.sub(r"[ \t]*\\\n\s*", " ", block).splitlines()
    if any(line.startswith("$ ") for line in lines):
      lines = [line[2:] for line in lines if line.startswith("$ ")]
    for line in lines:
      line = line.split("  #")[0].strip()
      if line.startswith("stratago "):
        found.append(line)
  return found


def test_command_lines_are_found_with_comments_prompts_and_continuations():
  text = ("intro\n```sh\nstratago doctor --json   # for scripts\n"
          "stratago train --game kuhn_poker \\\n  --out runs/k  # two lines\nmake test\n```\n"
          "stratago outside a block\n"
          "```\n$ stratago plot runs/a\nstratago plot: wrote runs/a/curves.png\n```\n")
  assert command_lines(text) == ["stratago doctor --json", "stratago train --game kuhn_poker --out runs/k",
                                 "stratago plot runs/a"]


README_LINES = command_lines(README.read_text())


def test_readme_is_a_short_guide_with_commands():
  assert len(README.read_text().splitlines()) <= MAX_LINES
  assert len(README_LINES) >= 15             # 18 when this test was written
  # Every subcommand appears in at least one example.
  used = {shlex.split(line)[1] for line in README_LINES}
  assert used >= set(cli_main.COMMANDS), sorted(set(cli_main.COMMANDS) - used)


@pytest.mark.parametrize("line", README_LINES)
def test_readme_command_parses(line, capsys):
  argv = shlex.split(line)[1:]
  try:
    args = cli_main.make_parser().parse_args(argv)
  except SystemExit as e:
    pytest.fail(f"README line does not parse (exit {e.code}): {line}\n{capsys.readouterr().err}")
  assert args.command == argv[0]
