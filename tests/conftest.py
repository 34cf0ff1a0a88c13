"""Shared pytest set-up: quiet TensorFlow's C++ logging, and run the real `stratago` command."""

import os
import pathlib
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
# Ray reads this when it is imported: with it, every Ray node a test starts binds loopback alone.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

STRATAGO = pathlib.Path(sys.executable).parent / "stratago"


@pytest.fixture
def stratago(tmp_path):
  """Runs the installed `stratago` console script; returns the CompletedProcess.

  HOME points at a temporary folder, so Ray's auth token and any caches stay out
  of the real home.
  """
  base_env = dict(os.environ, HOME=str(tmp_path / "home"))

  def run(*args, timeout=120, input=None, env=None):
    """`env` adds variables (e.g. PYTHONPATH for a `py:` agent's module) to the command's environment."""
    return subprocess.run([str(STRATAGO), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=dict(base_env, **(env or {})), cwd=tmp_path, input=input)
  return run
