"""`stratago doctor` against the real stack: all parts pass, and a broken part is named."""

import importlib.metadata
import json
import socket

import pytest

from core import doctor

PARTS = ["JAX", "Reverb", "ScaNN", "OpenSpiel", "Ray"]


def test_all_parts_pass(stratago):
  result = stratago("doctor", timeout=180)
  lines = result.stdout.splitlines()
  assert result.returncode == 0, result.stdout + result.stderr
  assert [line.split()[0] for line in lines[:5]] == PARTS
  assert all(line.split()[2] == "ok" for line in lines[:5]), result.stdout
  assert lines[5] == "doctor: all 5 parts ok"


def test_busy_reverb_port_fails_reverb_only(stratago):
  with socket.socket() as busy:
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    result = stratago("doctor", "--only", "jax,reverb", "--reverb-port", port, "--json")
  rows = [json.loads(line) for line in result.stdout.splitlines()[:2]]
  assert result.returncode == 1
  assert [(r["part"], r["ok"]) for r in rows] == [("JAX", True), ("Reverb", False)]
  assert f"cannot start a server on port {port} (is it in use?)" in rows[1]["detail"]
  assert result.stdout.splitlines()[2] == "doctor: 1 of 2 part(s) failed: Reverb"


def test_a_part_that_raises_or_hangs_is_reported(monkeypatch):
  def broken(cfg):
    raise OSError("disk on fire")
  def hangs(cfg):
    import time
    time.sleep(10)
  monkeypatch.setitem(doctor.CHECKS, "jax", ("jax", broken))
  monkeypatch.setitem(doctor.CHECKS, "scann", ("scann", hangs))
  lines = []
  results = doctor.run(doctor.DoctorConfig(parts=("jax", "scann"), timeout_s=0.5), report=lines.append)
  assert [(r.part, r.ok, r.detail) for r in results] == [
      ("JAX", False, "OSError: disk on fire"), ("ScaNN", False, "timed out after 0.5s")]
  jax_version = importlib.metadata.version("jax")  # the installed one, whichever it is
  assert results[0].version == jax_version
  assert lines[0].startswith(f"JAX        {jax_version:<8} FAIL OSError: disk on fire (")


@pytest.mark.parametrize("kwargs, message", [
    ({"parts": ("jax", "gpu")}, "unknown part(s) gpu"),
    ({"reverb_port": -1}, "reverb_port must be in 0..65535"),
    ({"timeout_s": 0}, "timeout_s must be positive"),
])
def test_config_validation(kwargs, message):
  with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
    doctor.DoctorConfig(**kwargs)
