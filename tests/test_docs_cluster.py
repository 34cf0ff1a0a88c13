"""docs/cluster.md and its example cluster files: Ray's own schema accepts the `ray up` file, and every
`stratago` command they show parses. No cluster runs here; this catches misspelt keys and flags."""

import pathlib
import re
import shlex

import pytest
import yaml

from cli import main as cli_main
from test_readme import command_lines  # tests/ is on the path

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"
ONPREM = DOCS / "cluster" / "onprem.yaml"
RAYJOB = DOCS / "cluster" / "rayjob.yaml"


def _rayjob() -> tuple[dict, dict]:
  job, claim = yaml.safe_load_all(RAYJOB.read_text())
  return job, claim


def _entrypoint_commands() -> list[str]:
  """The `stratago ...` commands of the RayJob's shell entrypoint."""
  entrypoint = _rayjob()[0]["spec"]["entrypoint"]
  assert "\n" not in entrypoint, "a line break in the folded entrypoint would end a command early"
  parts = re.split(r"&&|;|\bthen\b|\belse\b|\bfi\b", entrypoint)
  return [p.strip() for p in parts if p.strip().startswith("stratago ")]


def test_the_ray_up_file_passes_rays_own_schema():
  ray_util = pytest.importorskip("ray.autoscaler._private.util")
  config = ray_util.prepare_config(yaml.safe_load(ONPREM.read_text()))  # fills in Ray's defaults, as `ray up` does
  ray_util.validate_config(config)  # raises on a misspelt or misplaced key
  assert config["provider"]["type"] == "local"
  assert len(config["provider"]["worker_ips"]) == config["max_workers"]
  assert any("ray start --head --port=6379" in c for c in config["head_start_ray_commands"])
  assert any("pip install --quiet -c requirements/constraints.txt -e ." in c for c in config["setup_commands"])


def test_the_rayjob_keeps_its_runs_on_the_claim_the_head_mounts():
  job, claim = _rayjob()
  assert (job["apiVersion"], job["kind"], claim["kind"]) == ("ray.io/v1", "RayJob", "PersistentVolumeClaim")
  head = job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]
  (volume,) = head["volumes"]
  assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
  (mount,) = head["containers"][0]["volumeMounts"]
  workdir = re.match(r"cd (\S+) &&", job["spec"]["entrypoint"])[1]
  assert mount["name"] == volume["name"] and mount["mountPath"] == f"{workdir}/runs"
  # Every run folder the entrypoint names is on the volume, and the image's checkout is where it goes.
  run_dirs = {a for c in _entrypoint_commands() for f, a in zip(shlex.split(c), shlex.split(c)[1:])
              if f in ("--out", "--resume")}
  assert run_dirs == {"runs/barrage"}
  assert f"WORKDIR {workdir}" in (DOCS / "cluster" / "Dockerfile").read_text().splitlines()
  assert job["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["groupName"] == "actors"


COMMANDS = command_lines((DOCS / "cluster.md").read_text()) + _entrypoint_commands()


def test_the_doc_shows_the_doctor_and_a_ray_training():
  assert "stratago doctor --ray auto" in COMMANDS
  assert "stratago train --game stratego --out runs/barrage --backend ray --ray-address auto" in COMMANDS
  assert len(_entrypoint_commands()) == 3


@pytest.mark.parametrize("line", COMMANDS)
def test_each_stratago_command_parses(line, capsys):
  argv = shlex.split(line)[1:]
  try:
    args = cli_main.make_parser().parse_args(argv)
  except SystemExit as e:
    pytest.fail(f"does not parse (exit {e.code}): {line}\n{capsys.readouterr().err}")
  assert args.command == argv[0]
