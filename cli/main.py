"""The `stratago` command: parses arguments and calls one function per subcommand."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading

# Quiet the C++ start-up chatter of TensorFlow (under Reverb and ScaNN) and gRPC;
# set before any of them is imported. A user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from cli import _common  # noqa: E402
from core.errors import RunFailed, UserError  # noqa: E402

# Subcommand modules under cli/, each with HELP, DESCRIPTION, add_arguments(parser), run(args) -> int.
COMMANDS = ("doctor", "train", "play", "match", "tournament", "predict", "plot", "gtp", "ucc", "data", "model")


def make_parser() -> _common.Parser:
  parser = _common.Parser(
      prog="stratago",
      description="Train, play and rate game-playing agents for Stratego and Go.",
      epilog="Run 'stratago COMMAND --help' for a command's options and an example.",
      formatter_class=_common.HelpFormatter)
  parser.add_argument("--version", action=_common.VersionAction)
  parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                      help="how much to log to stderr")
  sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_common.Parser)
  for name in COMMANDS:
    module = importlib.import_module(f"cli.{name}")
    p = sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION,
                       formatter_class=_common.HelpFormatter)
    module.add_arguments(p)
    p.set_defaults(_run=module.run)
  return parser


def main(argv: list[str] | None = None) -> int:
  parser = make_parser()
  args = parser.parse_args(argv)
  if args.command is None:
    parser.print_help()
    return 2
  from core import log
  log.setup(args.log_level)
  # A scheduler's or `kill`'s SIGTERM stops a command as Ctrl-C does: training saves a checkpoint first.
  previous = None
  if threading.current_thread() is threading.main_thread():
    previous = signal.signal(signal.SIGTERM, _interrupt)
  previous_hook, sys.unraisablehook = sys.unraisablehook, _resend_dropped_interrupts(sys.unraisablehook)
  try:
    return int(args._run(args) or 0)
  except UserError as e:
    sys.stderr.write(f"stratago {args.command}: error: {_one_line(str(e))}\n")
    return 2
  except RunFailed as e:
    sys.stderr.write(f"stratago {args.command}: error: {e}\n")
    return 1
  except KeyboardInterrupt as e:
    sys.stderr.write(f"stratago {args.command}: interrupted\n")
    return 143 if isinstance(e, _Terminated) else 130
  except Exception as e:
    # A signal during a C extension's import (pyspiel's) comes out as "ImportError: initialization failed".
    interrupt = _interrupt_behind(e)
    if interrupt is None:
      raise
    sys.stderr.write(f"stratago {args.command}: interrupted\n")
    return 143 if isinstance(interrupt, _Terminated) else 130
  finally:
    sys.unraisablehook = previous_hook
    if previous is not None:
      signal.signal(signal.SIGTERM, previous)


def _one_line(message: str) -> str:
  """The message with control characters (a newline from a user's own input, say) shown escaped."""
  return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


class _Terminated(KeyboardInterrupt):
  """SIGTERM, stopping a command as Ctrl-C does; the command exits 143 (128 + SIGTERM) rather than 130."""


def _interrupt(signum, frame):
  raise _Terminated


def _interrupt_behind(e: BaseException | None) -> KeyboardInterrupt | None:
  """The KeyboardInterrupt that `e` was raised from, if any."""
  seen = set()
  while e is not None and id(e) not in seen:
    if isinstance(e, KeyboardInterrupt):
      return e
    seen.add(id(e))
    e = e.__cause__ or e.__context__
  return None


def _resend_dropped_interrupts(previous):
  """An unraisable hook that sends again a Ctrl-C or SIGTERM whose exception Python dropped.

  A signal handler's exception raised inside a garbage-collector callback or
  a `__del__` (JAX has one) is printed as "Exception ignored" and lost, and
  the command would run on. The hook sends the signal again 50 ms later from
  a thread, so its handler runs anew elsewhere (and if it is dropped again,
  the hook sends it again).
  """
  def hook(unraisable):
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
      return previous(unraisable)
    signum = signal.SIGTERM if issubclass(unraisable.exc_type, _Terminated) else signal.SIGINT
    # Later, from a thread: a handler run inside this hook would raise where Python drops it again.
    timer = threading.Timer(0.05, os.kill, args=(os.getpid(), signum))
    timer.daemon = True
    timer.start()
  return hook


if __name__ == "__main__":
  sys.exit(main())
