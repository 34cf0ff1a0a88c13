"""Agent specs: one string grammar, parsed here, that names a player for every command that takes one.

  random[:SEED]        uniform over the legal moves (on Go: moves that fill no own eye)
  heuristic[:NAME][:SEED]
                       the game's built-in player: on Go the one-ply captures and
                       ataris player (no NAME); on Stratego the bot NAME of
                       `agents.stratego_bots` (scout, tracker; default tracker).
                       An argument of digits only is a seed: heuristic:7
  policy:PATH          an exported policy (`policy.npz`), any backbone
  run:RUN_DIR          the latest checkpoint of a training run
  policy:PATH,sims=200 / run:RUN_DIR,time=1.5
                       the same network guiding a PUCT search (`agents.search`)
                       of N simulations and/or SECONDS per move; also batch=N
                       (leaves per network call, default 8) and c_puct=X.
                       Without options the network plays alone
  py:MODULE:CALLABLE   a plug-in: CALLABLE(game, seed) returns an object with
                       step(state) -> action, and optionally reset(), close()
                       and action_probabilities(state)
  gtp:COMMAND          any GTP engine, started with COMMAND (Go)
  gnugo[:LEVEL]        GNU Go at LEVEL 0-10 (default 1) (Go)
  ucc:COMMAND          a bot of the 2012 UCC Stratego competition's protocol,
                       started with COMMAND (classic Stratego; `agents.ucc`)

  agent = make_agent("policy:runs/go9/policy.npz", pyspiel.load_game("go(board_size=9)"), seed=0)

A spec that does not parse, a missing file, a file that is not a policy or a
policy of another game raises `UserError` with one line that says what was
expected; the CLI prints it and exits 2.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import shlex
from typing import TYPE_CHECKING, Any

from agents import base
from core.errors import UserError

if TYPE_CHECKING:  # imported where used, so that parsing a spec stays light (the CLI's help)
  import pyspiel

GRAMMAR = ("random[:SEED], heuristic[:NAME][:SEED], policy:PATH, run:RUN_DIR, py:MODULE:CALLABLE, "
           "gtp:COMMAND, gnugo[:LEVEL] or ucc:COMMAND")
KINDS = ("random", "heuristic", "policy", "run", "py", "gtp", "gnugo", "ucc")


SEARCH_OPTIONS = {"sims": "N", "time": "SECONDS", "batch": "N", "c_puct": "X"}  # policy:/run: ",KEY=VALUE"s


@dataclasses.dataclass(frozen=True)
class AgentSpec:
  """A parsed spec: its `kind` (one of KINDS), the text after the first colon (None if none) and, for
  `policy:`/`run:`, the search options after the path (`sims` -> 200, ...; empty: no search)."""
  kind: str
  arg: str | None
  text: str
  options: tuple[tuple[str, float], ...] = ()

  def __str__(self) -> str:
    return self.text


MAX_SEED = 2**32 - 1  # What NumPy's and the engines' seeds hold.


def _int(spec: str, what: str, value: str | int | None, default: int) -> int:
  if value is None or value == "":
    return default
  value = str(value)
  if len(value) > 20:  # int() of a 100k-digit string is slow, then refused.
    raise UserError(f"agent '{spec}': {what} '{value[:20]}...' is not a small integer")
  try:
    number = int(value)
  except ValueError:
    raise UserError(f"agent '{spec}': {what} '{value}' is not an integer") from None
  if what == "seed" and not 0 <= number <= MAX_SEED:
    raise UserError(f"agent '{spec}': seed {number} is out of range (0..{MAX_SEED})")
  return number


def parse_spec(text: str) -> AgentSpec:
  """Checks the grammar (not files or modules) and splits `text` into kind and argument."""
  text = text.strip()
  kind, sep, arg = text.partition(":")
  kind = kind.lower()
  if kind not in KINDS:
    raise UserError(f"unknown agent '{text}'; expected {GRAMMAR}")
  arg = arg if sep else None
  if kind == "random":
    _int(text, "seed", arg, 0)
  elif kind == "heuristic":
    _heuristic_arg(text, arg)
  elif kind == "gnugo":
    level = _int(text, "level", arg, 1)
    if not 0 <= level <= 10:
      raise UserError(f"agent '{text}': GNU Go's level must be 0-10, got {level}")
  elif kind == "py":
    module, _, fn = (arg or "").rpartition(":")
    if not module or not fn:
      raise UserError(f"agent '{text}': expected py:MODULE:CALLABLE, e.g. py:my_agents:make")
  elif not arg:
    what = {"policy": "policy:PATH", "run": "run:RUN_DIR", "gtp": "gtp:COMMAND", "ucc": "ucc:COMMAND"}[kind]
    raise UserError(f"agent '{text}': expected {what}")
  if kind in ("policy", "run"):
    arg, options = _search_options(text, arg)
    return AgentSpec(kind, arg, text, options)
  return AgentSpec(kind, arg, text)


def _search_options(spec: str, arg: str) -> tuple[str, tuple[tuple[str, float], ...]]:
  """`PATH,sims=200,time=1.5` -> (PATH, (("sims", 200), ("time", 1.5))): trailing `,KEY=VALUE`s, checked."""
  parts = arg.split(",")
  first = len(parts)
  while first > 1 and "=" in parts[first - 1]:
    first -= 1
  options = {}
  valid = ", ".join(f"{k}={v}" for k, v in SEARCH_OPTIONS.items())
  for part in parts[first:]:
    key, _, value = (p.strip() for p in part.partition("="))
    if key not in SEARCH_OPTIONS:
      raise UserError(f"agent '{spec}': unknown option '{key}'; valid options: {valid}")
    try:
      number = int(value) if SEARCH_OPTIONS[key] == "N" else float(value)
    except ValueError:
      number = None
    if number is None or not 0 < number < float("inf"):
      what = "integer" if SEARCH_OPTIONS[key] == "N" else "number"
      raise UserError(f"agent '{spec}': {key} must be a positive {what}, got '{value}'")
    options[key] = number
  return ",".join(parts[:first]), tuple(options.items())


def _heuristic_arg(spec: str, arg: str | None) -> tuple[str | None, int | None]:
  """`heuristic`'s argument -> (NAME or None, SEED or None): `7` is a seed, `scout` a name, `scout:3` both."""
  if arg is None or arg == "" or arg.isdigit():
    return None, None if not arg else int(arg)
  name, _, seed = arg.partition(":")
  if not name.isidentifier():
    raise UserError(f"agent '{spec}': expected heuristic[:NAME][:SEED], e.g. heuristic:tracker:3")
  return name, (_int(spec, "seed", seed, 0) if seed else None)


class UniformRandomAgent(base.Agent):
  """Uniform over the legal actions."""

  def __init__(self, seed: int = 0):
    import numpy as np
    self._rng = np.random.default_rng(seed)

  def step(self, state: pyspiel.State) -> int:
    return self.pick(state.legal_actions())

  def pick(self, actions) -> int:
    """The move `step` draws when the legal actions (ascending) are `actions`."""
    return int(self._rng.choice(actions))

  def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
    legal = state.legal_actions()
    return {int(a): 1.0 / len(legal) for a in legal}


class PluginAgent(base.Agent):
  """A `py:MODULE:CALLABLE` object as an `Agent`: its step, and its other methods where it has them."""

  def __init__(self, plugin: Any):
    self.plugin = plugin

  def step(self, state: pyspiel.State) -> int:
    return int(self.plugin.step(state))

  def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
    if hasattr(self.plugin, "action_probabilities"):
      return dict(self.plugin.action_probabilities(state))
    return super().action_probabilities(state)

  def reset(self) -> None:
    if hasattr(self.plugin, "reset"):
      self.plugin.reset()

  def close(self) -> None:
    if hasattr(self.plugin, "close"):
      self.plugin.close()


def _is_go(game: pyspiel.Game) -> bool:
  return game.get_type().short_name == "go"


def _check_same_game(spec: AgentSpec, agent, game: pyspiel.Game) -> None:
  from games import openspiel_io
  own = openspiel_io.load_game(agent.game)
  if (own.get_type().short_name != game.get_type().short_name
      or own.num_distinct_actions() != game.num_distinct_actions()
      or openspiel_io.observation_size(own) != openspiel_io.observation_size(game)):
    raise UserError(f"agent '{spec}' was trained on {agent.game}, which is not {game}")


def trained_game(spec: str | AgentSpec) -> str | None:
  """The game string a `policy:` or `run:` agent was trained on (read from its files); None for other kinds."""
  spec = parse_spec(spec) if isinstance(spec, str) else spec
  if spec.kind not in ("policy", "run"):
    return None
  from agents import policy
  return policy.trained_game(spec.arg, run=spec.kind == "run")


def _mixed(text: str, spec_seed: str | int | None, seed: int) -> int:
  """`seed`, or with a seed in the spec both together: `random:1` and `random:2` differ, and each differs per game."""
  if spec_seed is None or spec_seed == "":
    return seed
  import numpy as np
  return int(np.random.SeedSequence([_int(text, "seed", spec_seed, 0) % 2**32, seed % 2**32]).generate_state(1)[0])


def _searching(spec: AgentSpec, agent, game: pyspiel.Game) -> base.Agent:
  """`agent`'s network guiding a PUCT search with the spec's options."""
  import pyspiel
  from agents import search
  kind = game.get_type()
  if (kind.information != pyspiel.GameType.Information.PERFECT_INFORMATION
      or kind.dynamics != pyspiel.GameType.Dynamics.SEQUENTIAL):
    raise UserError(f"agent '{spec}': search needs a perfect-information, turn-based game like Go, "
                    f"not {kind.short_name}; drop the options to play the network alone")
  opts = dict(spec.options)
  config = search.SearchConfig(
      num_simulations=opts.get("sims", None if "time" in opts else search.SearchConfig.num_simulations),
      max_time_s=opts.get("time"), batch_size=opts.get("batch", search.SearchConfig.batch_size),
      c_puct=opts.get("c_puct", search.SearchConfig.c_puct))
  return search.SearchAgent(search.NetworkEvaluator(agent), config, game=agent.game)


def make_agent(spec: str | AgentSpec, game: pyspiel.Game, seed: int = 0) -> base.Agent:
  """The agent `spec` names, playing `game`, seeded by `seed` and the spec's own seed where it gives one.

  Raises:
    UserError: with one line, for a bad spec, a missing or wrong file, a game the agent cannot play.
  """
  spec = parse_spec(spec) if isinstance(spec, str) else spec
  if not 0 <= seed < 2**63:
    raise UserError(f"agent '{spec}': seed {seed} is out of range (0..2**63-1)")
  if spec.kind == "random":
    seed = _mixed(spec.text, spec.arg, seed)
    if _is_go(game):
      from agents.go_baselines import RandomGoAgent
      return RandomGoAgent(seed)
    return UniformRandomAgent(seed)
  if spec.kind == "heuristic":
    name, own_seed = _heuristic_arg(spec.text, spec.arg)
    seed = _mixed(spec.text, own_seed, seed)
    if _is_go(game):
      if name is not None:
        raise UserError(f"agent '{spec}': Go has one built-in player, heuristic[:SEED]; '{name}' is not a seed")
      from agents.go_baselines import HeuristicGoAgent
      return HeuristicGoAgent(seed)
    if game.get_type().short_name == "stratego":
      from agents import stratego_bots
      try:
        return stratego_bots.make_bot(name, game, seed)
      except UserError as e:
        raise UserError(f"agent '{spec}': {e}") from None
    raise UserError(f"agent '{spec}': {game.get_type().short_name} has no built-in player; Go and Stratego have")
  if spec.kind in ("policy", "run"):
    from agents import policy
    agent = policy.load_policy(spec.arg, seed) if spec.kind == "policy" else policy.load_run(spec.arg, seed)
    _check_same_game(spec, agent, game)
    return _searching(spec, agent, game) if spec.options else agent
  if spec.kind == "py":
    module_name, _, fn_name = spec.arg.rpartition(":")
    try:
      factory = getattr(importlib.import_module(module_name), fn_name)
    except (ImportError, AttributeError) as e:
      raise UserError(f"agent '{spec}': cannot load {module_name}:{fn_name}: {e}") from None
    if not callable(factory):
      raise UserError(f"agent '{spec}': {module_name}:{fn_name} is a {type(factory).__name__}, "
                      f"not an agent factory (a callable taking game and seed)")
    try:
      inspect.signature(factory).bind(game, seed)
    except TypeError as e:
      raise UserError(f"agent '{spec}': {module_name}:{fn_name} is not an agent factory "
                      f"(it cannot take game and seed: {e})") from None
    except ValueError:  # Some builtins have no signature to check; calling them will tell.
      pass
    plugin = factory(game, seed)
    if not callable(getattr(plugin, "step", None)):
      raise UserError(f"agent '{spec}': {fn_name}(game, seed) returned {type(plugin).__name__}, "
                      f"which has no step(state) method")
    return PluginAgent(plugin)
  if spec.kind == "ucc":
    from agents import ucc
    ucc.check_game(game, who=f"agent '{spec}': UCC bots")
    return ucc.UccAgent(spec.arg, game)
  if not _is_go(game):
    raise UserError(f"agent '{spec}': GTP engines play Go, not {game.get_type().short_name}")
  from agents.gtp import client, gnugo, opponent
  if spec.kind == "gnugo":
    # The game is scored as it stands, so GNU Go takes dead stones off before it passes.
    command = gnugo.gnugo_command(gnugo.require_gnugo(), level=_int(spec.text, "level", spec.arg, 1), seed=seed,
                                  capture_all_dead=True)
  else:
    command = shlex.split(spec.arg)
  return opponent.GtpAgent(client.GtpClient(command), owns_engine=True)
