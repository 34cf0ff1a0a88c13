"""`stratago --help` stays fast: building the parser imports no heavy library (issue 24, part 6).

A test of imports, not of time: timing is benchmarks/startup.py's job.
"""

import json
import os
import pathlib
import subprocess
import sys

from cli import model as cli_model

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Each costs from tens of milliseconds (yaml, numpy) to most of a second (jax, tensorflow).
HEAVY = ("jax", "jaxlib", "haiku", "optax", "chex", "tensorflow", "reverb", "scann", "ray", "pyspiel",
         "matplotlib", "tensorboardX", "numpy", "yaml")

_PROBE = """
import contextlib, io, json, sys
import cli.main
cli.main.make_parser()
for command in (None, *cli.main.COMMANDS):
  argv = ["--help"] if command is None else [command, "--help"]
  with contextlib.redirect_stdout(io.StringIO()):
    try:
      cli.main.make_parser().parse_args(argv)
    except SystemExit:
      pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1:]))))
"""


def test_parser_and_every_help_import_no_heavy_library():
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
  result = subprocess.run([sys.executable, "-c", _PROBE, *HEAVY], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)
  assert result.returncode == 0, result.stderr
  loaded = json.loads(result.stdout.splitlines()[-1])
  assert loaded == [], f"building the parser or printing a help imported {loaded}; import them inside run()"


def test_model_choices_are_the_network_enums():
  from agents.networks.config import Backbone, Preset
  assert cli_model.BACKBONES == tuple(b.value for b in Backbone)
  assert cli_model.PRESETS == tuple(p.value for p in Preset)

