"""`stratago doctor --ray ADDR`: one block per node of a running cluster, and one line when nothing answers.

The cluster is a `ray.cluster_utils.Cluster` of two simulated nodes on
loopback; the command under test is the real one, in its own process, so it
connects to the cluster as a user's command would.
"""

import os
import pickle
import re
import socket
import time

import pytest

from core import doctor
from core.errors import UserError

import ray_testing

ray = pytest.importorskip("ray")

HEADER = re.compile(r"^node ([0-9a-f]{12}) (\S+) \((head|worker), (\S+) CPU, (\S+) GPU\)$")


@pytest.fixture(scope="module")
def cluster():
  with ray_testing.loopback_cluster([1, 2], connect=False) as c:
    yield c


def _blocks(stdout: str) -> list[tuple[re.Match, list[str]]]:
  """The output's node blocks: each header's match and the part lines under it."""
  blocks = []
  for line in stdout.splitlines():
    match = HEADER.match(line)
    if match:
      blocks.append((match, []))
    elif line.startswith("  "):
      blocks[-1][1].append(line.strip())
  return blocks


def test_every_node_reports_its_own_block(cluster, stratago):
  # "auto" as on a cluster's head; RAY_ADDRESS points it here rather than at the host's latest Ray instance.
  result = stratago("doctor", "--ray", "auto", "--only", "openspiel,ray", env={"RAY_ADDRESS": cluster.address},
                    timeout=120)
  assert result.returncode == 0, result.stdout + result.stderr
  blocks = _blocks(result.stdout)
  node_ids = {node.node_id for node in cluster.list_all_nodes()}
  assert len(node_ids) == 2
  # One block per node, the head first, each naming a different node of the cluster, with its CPUs.
  assert [(m[3], m[4], m[5]) for m, _ in blocks] == [("head", "1", "0"), ("worker", "2", "0")]
  named = [next(n for n in node_ids if n.startswith(m[1])) for m, _ in blocks]
  assert len(set(named)) == 2
  assert all(m[2] == "127.0.0.1" for m, _ in blocks)
  for _, lines in blocks:
    assert [line.split()[0] for line in lines] == ["OpenSpiel", "Ray"]
    assert all(line.split()[2] == "ok" for line in lines), result.stdout
    assert "a task pinned to this node ran the checks above" in lines[1]
  assert result.stdout.splitlines()[-1] == "doctor: all 2 node(s) ok"


@pytest.mark.parametrize("shadowed, part, detail", [
    # stratago's own package is not there (an old checkout, say): the task cannot run, and the Ray line says so.
    ("core/__init__.py", "Ray", "the task on this node did not run: RaySystemError: System error: broken here"),
    # stratago is, but one library is broken: that part fails on that node alone.
    ("pyspiel.py", "OpenSpiel", "cannot import: broken here"),
], ids=["stratago-missing", "pyspiel-broken"])
def test_a_broken_node_is_named_and_fails_the_command(cluster, stratago, tmp_path, shadowed, part, detail):
  # A third node whose Python finds first a module of that name that raises on import.
  elsewhere = tmp_path / "elsewhere"
  (elsewhere / shadowed).parent.mkdir(parents=True, exist_ok=True)
  (elsewhere / shadowed).write_text('raise ImportError("broken here")\n')
  path = os.pathsep.join([str(elsewhere), os.environ.get("PYTHONPATH", "")])
  node = cluster.add_node(num_cpus=1, env_vars={"PYTHONPATH": path})
  try:
    cluster.wait_for_nodes()
    result = stratago("doctor", "--ray", cluster.address, "--only", "openspiel", timeout=120)
  finally:
    cluster.remove_node(node)
  assert result.returncode == 1, result.stdout + result.stderr
  blocks = {m[1]: lines for m, lines in _blocks(result.stdout)}
  assert len(blocks) == 3
  broken = blocks.pop(node.node_id[:12])
  assert len(broken) == 1 and broken[0].split()[0] == part and broken[0].split()[2] == "FAIL", broken
  assert detail in broken[0]
  assert [lines[0].split()[:3:2] for lines in blocks.values()] == [["OpenSpiel", "ok"]] * 2, result.stdout
  assert result.stdout.splitlines()[-1] == f"doctor: 1 of 3 node(s) failed: {node.node_id[:12]} ({part})"


def test_results_cross_process_boundaries_by_pickle():
  check = doctor.CheckResult("OpenSpiel", "1.6", True, "played", 0.25)
  node = doctor.NodeResult("ab" * 28, "10.0.0.2", False, 8.0, 1.0, (check,))
  assert pickle.loads(pickle.dumps(node)) == node
  assert node.header() == f"node {'ab' * 6} 10.0.0.2 (worker, 8 CPU, 1 GPU)"


def test_nothing_listening_is_one_line_and_exit_2(stratago):
  with socket.socket() as s:  # a port just freed: nothing listens there
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
  start = time.monotonic()
  result = stratago("doctor", "--ray", f"127.0.0.1:{port}", timeout=60)
  assert result.returncode == 2, result.stdout + result.stderr
  assert result.stderr.splitlines() == [
      f"stratago doctor: error: cannot reach the Ray cluster at 127.0.0.1:{port}: Connection refused"]
  assert result.stdout == ""
  assert time.monotonic() - start < 30


def test_a_port_that_is_not_ray_is_refused_within_the_timeout():
  # Something listens but never speaks Ray's protocol: `ray.init` alone would retry there for minutes.
  with socket.socket() as silent:
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    address = f"127.0.0.1:{silent.getsockname()[1]}"
    start = time.monotonic()
    with pytest.raises(UserError, match=f"^{address} accepts connections but no Ray cluster answered within 1 s; "):
      doctor.run_on_cluster(doctor.DoctorConfig(parts=("openspiel",)), address, connect_timeout_s=1)
  assert time.monotonic() - start < 10
  assert not ray.is_initialized()


def test_a_grpc_server_that_is_not_ray_is_refused_at_once():
  # Another gRPC server (Ray Client's port 10001, say) answers, but not as a cluster's head.
  import grpc
  from concurrent import futures
  server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
  port = server.add_insecure_port("127.0.0.1:0")
  server.start()
  try:
    with pytest.raises(UserError, match=r"what answers is not a Ray cluster's head \(UNIMPLEMENTED\); give the head's"):
      doctor.run_on_cluster(doctor.DoctorConfig(parts=("openspiel",)), f"127.0.0.1:{port}", connect_timeout_s=5)
  finally:
    server.stop(None)
  assert not ray.is_initialized()
