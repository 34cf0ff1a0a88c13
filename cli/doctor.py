"""`stratago doctor`: check JAX, Reverb, ScaNN, OpenSpiel and Ray on this node, or on every node of a cluster."""

from __future__ import annotations

import argparse

from cli import _common

HELP = "check that JAX, Reverb, ScaNN, OpenSpiel and Ray work on this node (or every node of a Ray cluster)"
DESCRIPTION = """\
Checks the installed stack for real and prints one line per part with its
version and ok or FAIL with a reason: JAX devices and a jitted matmul, a
Reverb server on a free loopback port with an insert and a sample, a ScaNN
index built and searched, an OpenSpiel game played out, and a local Ray
instance started and stopped. Exits 0 when every part passes, 1 otherwise.
It takes seconds.

With --ray ADDR it runs the same checks on every alive node of a running Ray
cluster, as one task pinned to each node, and prints one block per node: a
header (node id, IP, CPUs and GPUs) and then the node's lines, the Ray line
saying the task ran there. Run it on the head before a long job; it exits 2
if nothing answers at ADDR.

examples:
  stratago doctor
  stratago doctor --only reverb,scann
  stratago doctor --reverb-port 8000
  stratago doctor --ray auto                      # on the head of a cluster started with 'ray start --head'
  stratago doctor --ray 10.0.0.1:6379 --only jax  # every node's accelerators
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--only", metavar="PARTS", default=None,
                      help="comma-separated parts to check (jax, reverb, scann, openspiel, ray)")
  parser.add_argument("--reverb-port", type=int, default=None, metavar="PORT",
                      help="port for the Reverb check's server (default: a free one)")
  parser.add_argument("--ray", metavar="ADDR", default=None,
                      help="check every node of the Ray cluster at ADDR (the head's HOST:6379, or auto on a node "
                           "of it) instead of this node")
  parser.add_argument("--json", action="store_true", help="print one JSON object per part instead")
  _common.add_config_options(parser)


def run(args: argparse.Namespace) -> int:
  import json
  import dataclasses
  from core import doctor
  only = None
  if args.only is not None:
    only = "[" + ",".join(p.strip().lower() for p in args.only.split(",") if p.strip()) + "]"
  cfg = _common.build_config(doctor.DoctorConfig, args, parts=only, reverb_port=args.reverb_port)
  report = (lambda line: None) if args.json else (lambda line: print(line, flush=True))
  if args.ray is not None:
    return _run_on_cluster(cfg, args.ray, args.json, report)
  results = doctor.run(cfg, report=report)
  if args.json:
    for r in results:
      print(json.dumps(dataclasses.asdict(r)))
  failed = [r.part for r in results if not r.ok]
  if failed:
    print(f"doctor: {len(failed)} of {len(results)} part(s) failed: {', '.join(failed)}", flush=True)
    return 1
  if not args.json:
    print(f"doctor: all {len(results)} parts ok", flush=True)
  return 0


def _run_on_cluster(cfg, address: str, as_json: bool, report) -> int:
  import json
  import dataclasses
  from core import doctor
  nodes = doctor.run_on_cluster(cfg, address, report=report)
  if as_json:
    for node in nodes:
      for r in node.results:
        print(json.dumps({"node_id": node.node_id, "node_ip": node.ip, **dataclasses.asdict(r)}))
  failed = [f"{n.node_id[:12]} ({', '.join(r.part for r in n.results if not r.ok)})" for n in nodes if not n.ok]
  if failed:
    print(f"doctor: {len(failed)} of {len(nodes)} node(s) failed: {'; '.join(failed)}", flush=True)
    return 1
  if not as_json:
    print(f"doctor: all {len(nodes)} node(s) ok", flush=True)
  return 0
