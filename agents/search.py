"""PUCT Monte Carlo tree search (AlphaZero's) on OpenSpiel states, its leaves evaluated in batches.

  evaluator = NetworkEvaluator(load_policy("runs/go9/policy.npz"))
  agent = SearchAgent(evaluator, SearchConfig(num_simulations=200, batch_size=8))
  action = agent.step(state)                    # the most visited root move
  result = agent.search(state)                  # visits, values, priors and principal variations

The rules are the engine's: every node holds an OpenSpiel state, legal moves
are `state.legal_actions()` and a game's end and score are `state.returns()`,
so the search plays by exactly the rules a match is judged by (for Go:
OpenSpiel's area scoring, suicide illegal, simple ko, a repeated position ends
the game as a draw).

One simulation walks down by the PUCT rule (names as in mctx and AlphaZero)

  argmax_a  Q(s, a) + c_puct * P(s, a) * sqrt(N(s)) / (1 + N(s, a))

where N(s) counts the node's own evaluation and its children's visits, and an
unvisited child's Q is the node's mean value (first-play urgency = parent's
value). It stops at a node not yet evaluated or at the game's end. Up to
`batch_size` such leaves are collected and evaluated in one network call: each
leaf's path takes a virtual loss (one visit that lost) while it waits, so the
next walk in the batch prefers other moves. A walk that reaches a leaf already
waiting in the batch takes its virtual loss back and closes the batch. With
`batch_size=1` this is plain sequential PUCT. Values are in [-1, 1], for the
player to move where they are estimated; backing up negates them per player
through the game's returns vector, so passes and any turn order work.
Dirichlet noise at the root is off unless `dirichlet_fraction` > 0 (self-play).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np
import pyspiel

from agents import base
from games import openspiel_io


@dataclasses.dataclass(frozen=True)
class SearchConfig:
  """How much to search and how.

  Attributes:
    num_simulations: leaves evaluated per move (the root's own evaluation not counted); None: no limit,
      only `max_time_s`.
    max_time_s: seconds per move; None: no limit, only `num_simulations`. With both, the first reached.
    batch_size: leaves per network call.
    c_puct: the exploration constant of the PUCT rule.
    virtual_loss: the loss a waiting leaf's path counts (one visit of value -virtual_loss).
    dirichlet_alpha, dirichlet_fraction: root noise, mixed as (1 - fraction) * P + fraction * Dir(alpha);
      fraction 0 (the default, play time) adds none.
  """
  num_simulations: int | None = 200
  max_time_s: float | None = None
  batch_size: int = 8
  c_puct: float = 1.25
  virtual_loss: float = 1.0
  dirichlet_alpha: float = 0.03
  dirichlet_fraction: float = 0.0

  def __post_init__(self):
    if self.num_simulations is None and self.max_time_s is None:
      raise ValueError("a search needs num_simulations or max_time_s")
    if self.num_simulations is not None and self.num_simulations < 1:
      raise ValueError(f"num_simulations must be >= 1, got {self.num_simulations}")
    if self.max_time_s is not None and not self.max_time_s > 0:
      raise ValueError(f"max_time_s must be > 0, got {self.max_time_s}")
    if self.batch_size < 1:
      raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
    if self.c_puct <= 0 or self.virtual_loss < 0 or not 0 <= self.dirichlet_fraction <= 1:
      raise ValueError("c_puct must be > 0, virtual_loss >= 0 and dirichlet_fraction in [0, 1]")


class Evaluator(Protocol):
  """Priors and values of many positions in one call."""

  def evaluate(self, states: Sequence[pyspiel.State]) -> tuple[np.ndarray, np.ndarray]:
    """(priors [N, A] over the game's actions, 0 on illegal ones; values [N] in [-1, 1] for the player to move)."""


class NetworkEvaluator:
  """A policy's network as an `Evaluator`: its policy head gives priors, its value head values.

  Priors are the network's raw policy (a file's DeepNash post-processing is a
  rule for sampling moves, not a prior). Batches are padded to a power of two,
  so the network compiles for a few shapes only.
  """

  def __init__(self, agent):
    """`agent`: an `agents.policy.PolicyAgent` (anything with `evaluate(obs, legal)`)."""
    self.agent = agent

  def evaluate(self, states: Sequence[pyspiel.State]) -> tuple[np.ndarray, np.ndarray]:
    n = len(states)
    padded = 1 << max(0, (n - 1).bit_length())
    obs = np.asarray([openspiel_io.observe(s) for s in states], np.float32)
    legal = np.asarray([s.legal_actions_mask() for s in states], np.float32)
    if padded > n:
      obs = np.concatenate([obs, np.repeat(obs[:1], padded - n, axis=0)])
      legal = np.concatenate([legal, np.repeat(legal[:1], padded - n, axis=0)])
    priors, values = self.agent.evaluate(obs, legal)
    return np.asarray(priors)[:n], np.asarray(values)[:n]


class _Node:
  """A position: its state and, once evaluated, per legal move the prior, visits, value sum and child."""
  __slots__ = ("state", "player", "terminal", "returns", "actions", "prior", "visits", "value_sum", "children",
               "n", "w")

  def __init__(self, state: pyspiel.State):
    self.state = state
    self.terminal = state.is_terminal()
    self.player = -1 if self.terminal else state.current_player()
    self.returns = state.returns() if self.terminal else None
    self.actions = None  # [K] legal actions, once evaluated
    self.prior = self.visits = self.value_sum = self.children = None
    self.n = 0    # the node's own evaluation plus its children's visits (virtual ones too)
    self.w = 0.0  # the sum of the values backed up through it, for `player`

  @property
  def expanded(self) -> bool:
    return self.actions is not None

  def expand(self, priors: np.ndarray) -> None:
    self.actions = np.asarray(self.state.legal_actions(), np.int64)
    p = np.asarray(priors, np.float64)[self.actions]
    total = p.sum()
    self.prior = p / total if total > 0 else np.full(len(p), 1.0 / len(p))
    self.visits = np.zeros(len(self.actions), np.int64)
    self.value_sum = np.zeros(len(self.actions), np.float64)  # for `player`
    self.children = [None] * len(self.actions)

  def select(self, c_puct: float) -> int:
    """The child index PUCT picks (lowest index among equals)."""
    v = self.visits
    fpu = self.w / self.n if self.n else 0.0
    q = (self.value_sum + fpu * (v == 0)) / np.maximum(v, 1)
    return int(np.argmax(q + (c_puct * math.sqrt(self.n)) * self.prior / (v + 1)))

  def child(self, i: int) -> "_Node":
    if self.children[i] is None:
      state = self.state.clone()
      state.apply_action(int(self.actions[i]))
      self.children[i] = _Node(state)
    return self.children[i]


def _returns(value: float, player: int, num_players: int) -> list[float]:
  """A zero-sum returns vector from one player's value (two players: [v, -v] or [-v, v])."""
  out = [-value / max(1, num_players - 1)] * num_players
  out[player] = value
  return out


@dataclasses.dataclass(frozen=True)
class MoveStats:
  """One root move after a search: value `q` in [-1, 1] for the player to move at the root."""
  action: int
  visits: int
  q: float
  prior: float
  pv: tuple[int, ...]  # the move, then the most visited replies


@dataclasses.dataclass(frozen=True)
class SearchResult:
  """What a search found at the root: moves best first (most visits, then prior)."""
  moves: tuple[MoveStats, ...]
  root_value: float  # the root's mean value, for its player to move
  simulations: int
  network_calls: int
  seconds: float

  @property
  def best_action(self) -> int:
    return self.moves[0].action


class Search:
  """One search from one state (no tree kept between moves)."""

  def __init__(self, evaluator: Evaluator, config: SearchConfig, rng: np.random.Generator | None = None):
    self.evaluator = evaluator
    self.config = config
    self.rng = rng or np.random.default_rng(0)

  def run(self, state: pyspiel.State, max_time_s: float | None = None,
          on_progress: Callable[[SearchResult], None] | None = None, progress_every_s: float = 1.0) -> SearchResult:
    """Searches `state` (not mutated) within the config's limits and `max_time_s` (the tighter wins).

    `on_progress(result)` is called about every `progress_every_s` seconds while it runs.
    """
    last = None
    for result in self.iterate(state, max_time_s, progress_every_s if on_progress else None):
      if last is not None:
        on_progress(last)
      last = result
    return last

  def iterate(self, state: pyspiel.State, max_time_s: float | None = None,
              every_s: float | None = None) -> Iterator[SearchResult]:
    """`run`, as the results so far about every `every_s` seconds (None: none) and, last, the final one."""
    cfg = self.config
    start = time.perf_counter()
    limits = [t for t in (cfg.max_time_s, max_time_s) if t is not None]
    deadline = start + min(limits) if limits else math.inf
    budget = cfg.num_simulations if cfg.num_simulations is not None else math.inf
    self._num_players = state.get_game().num_players()
    self._calls = 0
    self._sims = 0
    self.root = root = _Node(state.clone())
    if root.terminal:
      raise ValueError("cannot search a finished game")
    self._evaluate([root], [[]])
    if cfg.dirichlet_fraction > 0:
      noise = self.rng.dirichlet([cfg.dirichlet_alpha] * len(root.actions))
      root.prior = (1 - cfg.dirichlet_fraction) * root.prior + cfg.dirichlet_fraction * noise
    next_report = start + every_s if every_s is not None else math.inf
    while self._sims < budget and time.perf_counter() < deadline:
      self._simulate_batch(int(min(cfg.batch_size, budget - self._sims)))
      if time.perf_counter() >= next_report and self._sims < budget:
        yield self.result(time.perf_counter() - start)
        next_report = time.perf_counter() + every_s
    yield self.result(time.perf_counter() - start)

  def _simulate_batch(self, size: int) -> None:
    """Walks down up to `size` times; evaluates the leaves reached in one call; backs everything up."""
    vl = self.config.virtual_loss
    leaves, paths = [], []
    waiting = set()
    for _ in range(size):
      node, path = self.root, []
      while node.expanded and not node.terminal:
        i = node.select(self.config.c_puct)
        path.append((node, i))
        node.n += 1
        node.visits[i] += 1
        node.value_sum[i] -= vl
        node = node.child(i)
      if node.terminal:
        self._backup(path, node.returns, vl)
        continue
      if id(node) in waiting:  # Another walk of this batch waits on this leaf: undo this walk, evaluate now.
        for parent, i in path:
          parent.n -= 1
          parent.visits[i] -= 1
          parent.value_sum[i] += vl
        break
      waiting.add(id(node))
      leaves.append(node)
      paths.append(path)
    if leaves:
      self._evaluate(leaves, paths)

  def _evaluate(self, leaves: list[_Node], paths: list[list]) -> None:
    priors, values = self.evaluator.evaluate([leaf.state for leaf in leaves])
    self._calls += 1
    for leaf, path, p, v in zip(leaves, paths, priors, values):
      leaf.expand(p)
      returns = _returns(float(v), leaf.player, self._num_players)
      leaf.n += 1
      leaf.w += returns[leaf.player]
      if path:
        self._backup(path, returns, self.config.virtual_loss)

  def _backup(self, path: list, returns: Sequence[float], vl: float) -> None:
    """Turns the path's virtual loss into the real result (visits were counted on the way down)."""
    for node, i in path:
      node.value_sum[i] += vl + returns[node.player]
      node.w += returns[node.player]
    self._sims += 1

  def result(self, seconds: float = 0.0) -> SearchResult:
    root = self.root
    order = sorted(range(len(root.actions)), key=lambda i: (-root.visits[i], -root.prior[i], i))
    moves = []
    for i in order:
      visits = int(root.visits[i])
      q = root.value_sum[i] / visits if visits else root.w / max(1, root.n)
      moves.append(MoveStats(int(root.actions[i]), visits, float(q), float(root.prior[i]), self._pv(root, i)))
    return SearchResult(tuple(moves), float(root.w / max(1, root.n)), self._sims, self._calls, seconds)

  @staticmethod
  def _pv(node: _Node, i: int, max_len: int = 12) -> tuple[int, ...]:
    pv = [int(node.actions[i])]
    node = node.children[i]
    while node is not None and node.expanded and not node.terminal and len(pv) < max_len and node.visits.any():
      j = int(np.argmax(node.visits))
      pv.append(int(node.actions[j]))
      node = node.children[j]
    return tuple(pv)


class SearchAgent(base.Agent):
  """Plays the most visited move of a PUCT search guided by `evaluator` (deterministic, so seeds change nothing).

  `move_time_cap_s`, when set (the GTP engine sets it from the clock), caps the seconds of each search on top of
  the config's limits.

  Attributes:
    game: the game string of the policy it searches with, where it has one.
  """

  def __init__(self, evaluator: Evaluator, config: SearchConfig, game: str | None = None, seed: int = 0):
    self.evaluator = evaluator
    self.config = config
    self.game = game
    self.move_time_cap_s: float | None = None
    self._rng = np.random.default_rng(seed)

  def search(self, state: pyspiel.State, on_progress: Callable[[SearchResult], None] | None = None,
             progress_every_s: float = 1.0, config: SearchConfig | None = None) -> SearchResult:
    """A search of `state` under this agent's config (or `config`) and time cap."""
    return Search(self.evaluator, config or self.config, self._rng).run(
        state, self.move_time_cap_s, on_progress, progress_every_s)

  def analyze(self, state: pyspiel.State, every_s: float | None = None) -> Iterator[SearchResult]:
    """The results so far about every `every_s` seconds, then the final one (GTP analysis; no time cap)."""
    return Search(self.evaluator, self.config, self._rng).iterate(state, None, every_s)

  def step(self, state: pyspiel.State) -> int:
    return self.search(state).best_action

  def action_probabilities(self, state: pyspiel.State) -> dict[int, float]:
    """The root's visit counts, normalised."""
    moves = self.search(state).moves
    total = sum(m.visits for m in moves) or 1
    return {m.action: m.visits / total for m in moves}
