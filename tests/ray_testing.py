"""Ray for tests: a simulated cluster on loopback, and a check that no Ray process outlives it.

tests/conftest.py sets RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before any test
imports Ray (Ray reads it at import): every node then binds loopback alone.
"""

import contextlib
import logging
import subprocess
import time


def ray_processes(marker: str) -> list[str]:
  """Command lines of running processes that mention `marker` (a cluster's GCS address, a temp folder)."""
  out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout
  return [line for line in out.splitlines()[1:] if marker in line and "ps -ww" not in line]


def assert_none_left(marker: str, timeout: float = 20.0) -> None:
  """Waits up to `timeout` for the processes mentioning `marker` to go; fails if any is still there."""
  deadline = time.monotonic() + timeout
  while ray_processes(marker) and time.monotonic() < deadline:
    time.sleep(0.2)
  assert not ray_processes(marker), f"Ray processes outlived their cluster: {ray_processes(marker)}"


@contextlib.contextmanager
def loopback_cluster(cpus: list[int], connect: bool):
  """A `ray.cluster_utils.Cluster` with one node per entry of `cpus` (the head first), shut down after.

  With `connect`, this process is its driver (`ray.init`) while it is open.
  """
  import ray
  from ray.cluster_utils import Cluster
  cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": cpus[0], "include_dashboard": False})
  address = cluster.address
  try:
    for n in cpus[1:]:
      cluster.add_node(num_cpus=n)
    cluster.wait_for_nodes()
    if connect:
      ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    yield cluster
  finally:
    if connect:
      ray.shutdown()
    cluster.shutdown()
  assert_none_left(address)
