"""Checks the installed stack on this node, or on every node of a Ray cluster, for real.

Each check does the smallest real piece of work that proves its part works
here (a jitted matmul, a Reverb insert and sample over loopback, a ScaNN
search, an OpenSpiel game played out, a Ray task) and reports one line.
`run_on_cluster` runs the same checks in one Ray task pinned to each alive
node of a running cluster and reports one block per node.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import logging
import pathlib
import signal
import socket
import tempfile
import threading
import time
import warnings
from typing import Callable

from core.errors import UserError


@dataclasses.dataclass(frozen=True)
class DoctorConfig:
  """What `stratago doctor` checks and how.

  Attributes:
    parts: names of the parts to check, in order.
    reverb_port: port for the Reverb check's server; 0 picks a free one.
    timeout_s: seconds one check may take before it counts as failed.
    ray_temp_dir: folder for Ray's session files; empty means a fresh temporary one.
  """
  parts: tuple[str, ...] = ("jax", "reverb", "scann", "openspiel", "ray")
  reverb_port: int = 0
  timeout_s: float = 60.0
  ray_temp_dir: str = ""

  def __post_init__(self):
    unknown = [p for p in self.parts if p not in CHECKS]
    if unknown:
      raise ValueError(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    if not 0 <= self.reverb_port < 65536:
      raise ValueError(f"reverb_port must be in 0..65535, got {self.reverb_port}")
    if self.timeout_s <= 0:
      raise ValueError(f"timeout_s must be positive, got {self.timeout_s}")


@dataclasses.dataclass(frozen=True)
class CheckResult:
  part: str
  version: str
  ok: bool
  detail: str
  seconds: float

  def line(self) -> str:
    status = "ok  " if self.ok else "FAIL"
    return f"{self.part:<10} {self.version:<8} {status} {self.detail} ({self.seconds:.1f}s)"


def _version(dist: str) -> str:
  try:
    return importlib.metadata.version(dist)
  except importlib.metadata.PackageNotFoundError:
    return "missing"


def check_jax(cfg: DoctorConfig) -> str:
  import jax
  import jax.numpy as jnp
  import numpy as np
  x = np.arange(12, dtype=np.float32).reshape(3, 4)
  got = np.asarray(jax.jit(lambda a: a @ a.T)(jnp.asarray(x)))
  if not np.allclose(got, x @ x.T):
    raise RuntimeError("jitted matmul gave a wrong result")
  devices = jax.devices()
  kinds = sorted({d.platform for d in devices})
  return f"{len(devices)} device(s): {', '.join(kinds)} ({devices[0].device_kind}); jitted matmul correct"


def serve_reverb(port: int) -> None:
  """Child-process side of the Reverb check: serves one table until stdin closes."""
  import sys
  import reverb
  table = reverb.Table(
      name="doctor", sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
      max_size=10, rate_limiter=reverb.rate_limiters.MinSize(1))
  try:
    server = reverb.Server(tables=[table], port=port)
  except (ValueError, RuntimeError) as e:
    print(f"ERROR {str(e).splitlines()[0]}", flush=True)
    return
  print("READY", flush=True)
  sys.stdin.read()
  server.stop()


def check_reverb(cfg: DoctorConfig) -> str:
  # The server runs in its own process: a client in the server's process would
  # reach the table directly and never test gRPC over loopback.
  import subprocess
  import sys
  import numpy as np
  import portpicker
  import reverb
  port = cfg.reverb_port or portpicker.pick_unused_port()
  with warnings.catch_warnings():
    # JAX warns on any fork; this one execs a fresh interpreter at once.
    warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called")
    child = subprocess.Popen(
        [sys.executable, "-c", f"from core.doctor import serve_reverb; serve_reverb({port})"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
  try:
    first = child.stdout.readline().strip()
    if first != "READY":
      reason = first.removeprefix("ERROR ") or f"server process exited with code {child.wait()}"
      raise RuntimeError(f"cannot start a server on port {port} (is it in use?): {reason}")
    client = reverb.Client(f"127.0.0.1:{port}")
    item = np.arange(8, dtype=np.float32)
    client.insert([item], priorities={"doctor": 1.0})
    sample = next(client.sample("doctor", num_samples=1))
    got = np.asarray(sample[0].data[0])
    if not np.array_equal(got, item):
      raise RuntimeError(f"sampled {got}, inserted {item}")
    size = client.server_info()["doctor"].current_size
  finally:
    child.stdin.close()
    try:
      child.wait(timeout=10)
    except subprocess.TimeoutExpired:
      child.kill()
  return f"server process on 127.0.0.1:{port}; insert and sample over gRPC round-tripped ({size} item)"


def check_scann(cfg: DoctorConfig) -> str:
  import numpy as np
  import scann
  rng = np.random.default_rng(0)
  db = rng.standard_normal((4000, 32)).astype(np.float32)
  db /= np.linalg.norm(db, axis=1, keepdims=True)
  queries = db[:50] + 0.05 * rng.standard_normal((50, 32)).astype(np.float32)
  searcher = (scann.scann_ops_pybind.builder(db, 10, "dot_product")
              .tree(num_leaves=40, num_leaves_to_search=20, training_sample_size=4000)
              .score_ah(2, anisotropic_quantization_threshold=0.2)
              .reorder(200).build())
  neighbors, _ = searcher.search_batched(queries)
  exact = np.argsort(-queries @ db.T, axis=1)[:, :10]
  recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(neighbors, exact)])
  if recall < 0.8:
    raise RuntimeError(f"recall@10 {recall:.2f} is below 0.8")
  return f"tree-AH index of 4000x32 vectors searched; recall@10 {recall:.2f}"


def check_openspiel(cfg: DoctorConfig) -> str:
  import numpy as np
  import pyspiel
  rng = np.random.default_rng(0)
  game = pyspiel.load_game("go(board_size=9)")
  state = game.new_initial_state()
  moves = 0
  while not state.is_terminal() and moves < 1000:
    state.apply_action(int(rng.choice(state.legal_actions())))
    moves += 1
  if not state.is_terminal():
    raise RuntimeError("a random 9x9 Go game did not end in 1000 moves")
  returns = state.returns()
  if abs(sum(returns)) > 1e-6:
    raise RuntimeError(f"returns {returns} do not sum to zero")
  return f"go(board_size=9) played to the end in {moves} random moves, returns {returns}"


def check_ray(cfg: DoctorConfig) -> str:
  import ray
  warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called")  # Ray forks its raylet.
  with tempfile.TemporaryDirectory(prefix="ray-", dir=cfg.ray_temp_dir or None) as tmp:
    # Unix socket paths are limited to 107 bytes: keep Ray's folder short.
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False,
             configure_logging=False, _temp_dir=str(pathlib.Path(tmp).resolve()))
    try:
      @ray.remote
      def square(x):
        return x * x
      got = ray.get([square.remote(i) for i in range(4)], timeout=30)
      if got != [0, 1, 4, 9]:
        raise RuntimeError(f"remote tasks returned {got}")
      cpus = ray.cluster_resources().get("CPU", 0)
    finally:
      ray.shutdown()
  return f"local instance started, 4 remote tasks ran on {cpus:g} CPU, stopped"


CHECKS: dict[str, tuple[str, Callable[[DoctorConfig], str]]] = {
    "jax": ("jax", check_jax),
    "reverb": ("dm-reverb", check_reverb),
    "scann": ("scann", check_scann),
    "openspiel": ("open_spiel", check_openspiel),
    "ray": ("ray", check_ray),
}

_NAMES = {"jax": "JAX", "reverb": "Reverb", "scann": "ScaNN", "openspiel": "OpenSpiel", "ray": "Ray"}


class _Timeout(Exception):
  pass


def _call_with_timeout(fn: Callable[[], str], seconds: float) -> str:
  """Calls fn, raising _Timeout after `seconds` (on the main thread; unbounded elsewhere)."""
  if threading.current_thread() is not threading.main_thread():
    return fn()
  def on_alarm(signum, frame):
    raise _Timeout()
  previous = signal.signal(signal.SIGALRM, on_alarm)
  signal.setitimer(signal.ITIMER_REAL, seconds)
  try:
    return fn()
  finally:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def run_check(part: str, cfg: DoctorConfig) -> CheckResult:
  """Runs one check with a time limit; never raises for a failing part."""
  dist, fn = CHECKS[part]
  start = time.monotonic()
  try:
    detail = _call_with_timeout(lambda: fn(cfg), cfg.timeout_s)
    ok = True
  except _Timeout:
    ok, detail = False, f"timed out after {cfg.timeout_s:g}s"
  except ImportError as e:
    ok, detail = False, f"cannot import: {e}"
  except Exception as e:  # A failing part is reported, not raised.
    ok, detail = False, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
  return CheckResult(_NAMES[part], _version(dist), ok, detail, time.monotonic() - start)


def run(cfg: DoctorConfig, report: Callable[[str], None] = print) -> list[CheckResult]:
  """Runs every configured check in order, reporting one line each as it finishes."""
  results = []
  for part in cfg.parts:
    result = run_check(part, cfg)
    report(result.line())
    results.append(result)
  return results


# Seconds `run_on_cluster` waits for the cluster's address to answer before it gives up.
CONNECT_S = 10.0
# Seconds a node's task may take beyond its checks' own limits: a worker process starts, imports, returns.
_TASK_START_S = 60.0


@dataclasses.dataclass(frozen=True)
class NodeResult:
  """The checks of one node of a Ray cluster.

  Attributes:
    node_id: the node's Ray id (hex).
    ip: the node's IP address.
    head: whether it is the cluster's head node.
    cpus: CPUs the node offers Ray.
    gpus: GPUs the node offers Ray.
    results: one per part checked there; a node whose task could not run has
      one failed "Ray" result that says why.
  """
  node_id: str
  ip: str
  head: bool
  cpus: float
  gpus: float
  results: tuple[CheckResult, ...]

  @property
  def ok(self) -> bool:
    return all(r.ok for r in self.results)

  def header(self) -> str:
    role = "head" if self.head else "worker"
    return f"node {self.node_id[:12]} {self.ip} ({role}, {self.cpus:g} CPU, {self.gpus:g} GPU)"


def _on_node(cfg: DoctorConfig) -> tuple[str, list[CheckResult], float]:
  """A Ray task's side of `run_on_cluster`: this node's Ray version, its checks of `cfg.parts`, their seconds."""
  start = time.monotonic()
  results = run(cfg, report=lambda line: None)
  return _version("ray"), results, time.monotonic() - start


def reach_ray(address: str, timeout_s: float = 10.0) -> None:
  """Raises UserError unless a Ray cluster's head answers at `address` within `timeout_s`.

  `ray.init` retries for many minutes at an address where nothing listens,
  or where something other than a Ray head's GCS does; this asks the GCS for
  the cluster's id, as `ray.init` does first, with a deadline. "auto" and
  "localhost:PORT" are resolved as `ray.init` resolves them. A Ray Client
  address (ray://...) is left to `ray.init`, which times out on its own.
  """
  if address.startswith("ray://"):
    return
  import grpc
  # Ray's own address rules, and its GCS channel and messages (with its TLS and token settings).
  from ray._private import gcs_utils, services
  from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc
  try:
    host = address.rpartition(":")[0]
    if host == "localhost" or host.startswith("127."):  # Ray would swap in this node's outside address
      resolved = address
    else:
      resolved = services.canonicalize_bootstrap_address_or_die(address)
  except (ValueError, ConnectionError) as e:
    raise UserError(f"cannot find the Ray cluster at {address!r}: {str(e).splitlines()[0]}") from None
  host, _, port = resolved.rpartition(":")
  shown = address if resolved == address else f"{address} ({resolved})"
  try:
    socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
  except (OSError, ValueError) as e:
    reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
    raise UserError(f"cannot reach the Ray cluster at {shown}: {reason}") from None
  channel = gcs_utils.create_gcs_channel(resolved)
  try:
    stub = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel)
    stub.GetClusterId(gcs_service_pb2.GetClusterIdRequest(), timeout=timeout_s)
  except grpc.RpcError as e:
    answer = (f"no Ray cluster answered within {timeout_s:g} s" if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED
              else f"what answers is not a Ray cluster's head ({e.code().name})")
    raise UserError(f"{shown} accepts connections but {answer}; give the head's GCS port, 6379 by default"
                    ) from None
  finally:
    channel.close()


def _alive_nodes() -> list[dict]:
  """`ray.nodes()` entries of the alive nodes: the head first, then by IP and id."""
  import ray
  nodes = [n for n in ray.nodes() if n.get("Alive")]
  return sorted(nodes, key=lambda n: ("node:__internal_head__" not in n["Resources"], n["NodeManagerAddress"],
                                      n["NodeID"]))


def _node_result(node: dict, results: list[CheckResult]) -> NodeResult:
  resources = node["Resources"]
  return NodeResult(node["NodeID"], node["NodeManagerAddress"], "node:__internal_head__" in resources,
                    resources.get("CPU", 0.0), resources.get("GPU", 0.0), tuple(results))


def run_on_cluster(cfg: DoctorConfig, address: str, report: Callable[[str], None] = print,
                   connect_timeout_s: float = CONNECT_S) -> list[NodeResult]:
  """Runs the checks on every alive node of the Ray cluster at `address`, reporting one block per node.

  Each node gets one task pinned to it (no CPU or GPU reserved, so it runs
  beside a training job and sees all of the node's GPUs; its worker process
  exits afterwards, so JAX's memory is given back). The "ray" part is not
  run inside a task, which cannot start a Ray instance of its own; in its
  place the task having run on that node is the Ray line.

  Args:
    cfg: what to check on each node; `cfg.timeout_s` bounds each part there.
    address: the cluster's address as `ray.init` takes it: HOST:PORT of the
      head's GCS, "auto" on a node of the cluster, or ray://HOST:PORT.
    report: called with each line (a node's header, then its parts) as a
      node's block completes, nodes in order (the head first).
    connect_timeout_s: seconds the address has to answer.

  Returns:
    One NodeResult per alive node, in the order reported.

  Raises:
    UserError: nothing answers at `address`, or it is not a Ray cluster.
  """
  reach_ray(address, connect_timeout_s)
  import ray
  from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
  node_cfg = dataclasses.replace(cfg, parts=tuple(p for p in cfg.parts if p != "ray"))
  sigterm = signal.getsignal(signal.SIGTERM)  # ray.init replaces it with its own
  try:
    ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False, configure_logging=False)
  except (ConnectionError, ValueError, RuntimeError) as e:
    raise UserError(f"cannot connect to the Ray cluster at {address}: {str(e).splitlines()[0]}") from None
  finally:
    if threading.current_thread() is threading.main_thread():
      signal.signal(signal.SIGTERM, sigterm)
  try:
    # No resources reserved; max_calls=1: the worker exits after its task, giving back what JAX took.
    task = ray.remote(num_cpus=0, max_calls=1, max_retries=0)(_on_node)
    nodes = _alive_nodes()
    refs = [task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(node_cfg)
            for n in nodes]
    deadline = time.monotonic() + len(node_cfg.parts) * cfg.timeout_s + _TASK_START_S
    start = time.monotonic()
    out = []
    for node, ref in zip(nodes, refs):
      out.append(_node_result(node, _collect(ref, deadline, "ray" in cfg.parts, start)))
      for line in [out[-1].header()] + ["  " + r.line() for r in out[-1].results]:
        report(line)
    return out
  finally:
    ray.shutdown()


def _collect(ref, deadline: float, ray_line: bool, start: float) -> list[CheckResult]:
  """A node task's checks, with its Ray line when asked for, or one failed Ray line saying why it did not run."""
  import ray
  try:
    version, results, seconds = ray.get(ref, timeout=max(0.0, deadline - time.monotonic()))
  except ray.exceptions.GetTimeoutError:
    with contextlib.suppress(Exception):
      ray.cancel(ref, force=True)
    failed = f"the task on this node did not finish within {deadline - start:.0f}s"
  except ray.exceptions.RayError as e:  # it raised, or its worker or node died, or it could not be placed
    cause = getattr(e, "cause", None)
    cause = cause if isinstance(cause, BaseException) else e
    first = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else ""
    failed = f"the task on this node did not run: {type(cause).__name__}: {first}".rstrip(": ")
  else:
    if ray_line:
      detail = "a task pinned to this node ran" + (" the checks above" if results else "")
      results = [*results, CheckResult(_NAMES["ray"], version, True, detail, seconds)]
    return results
  return [CheckResult(_NAMES["ray"], _version("ray"), False, failed, time.monotonic() - start)]
