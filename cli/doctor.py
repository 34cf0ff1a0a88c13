"""`stratago doctor`: check JAX, Reverb, ScaNN, OpenSpiel and Ray on this node."""

from __future__ import annotations

import argparse

from cli import _common

HELP = "check that JAX, Reverb, ScaNN, OpenSpiel and Ray work on this node"
DESCRIPTION = """\
Checks the installed stack for real and prints one line per part with its
version and ok or FAIL with a reason: JAX devices and a jitted matmul, a
Reverb server on a free loopback port with an insert and a sample, a ScaNN
index built and searched, an OpenSpiel game played out, and a local Ray
instance started and stopped. Exits 0 when every part passes, 1 otherwise.
Run it on every node of a cluster before a long job; it takes seconds.

examples:
  stratago doctor
  stratago doctor --only reverb,scann
  stratago doctor --reverb-port 8000
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--only", metavar="PARTS", default=None,
                      help="comma-separated parts to check (jax, reverb, scann, openspiel, ray)")
  parser.add_argument("--reverb-port", type=int, default=None, metavar="PORT",
                      help="port for the Reverb check's server (default: a free one)")
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
