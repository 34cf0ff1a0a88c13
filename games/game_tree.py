"""A small OpenSpiel game's whole tree as arrays, so self-play can walk it without calling OpenSpiel.

Kuhn poker has 58 histories and Leduc poker 9,457; enumerated once (a few
hundredths of a second), they let an actor move a batch of games by array
lookups where `actors.self_play.SelfPlayActor` makes several OpenSpiel calls
per game and move (tensor, legal mask, apply, chance, rewards). OpenSpiel's
`get_all_states` keys states by their string and keeps no edges between
them; the walk here keeps each history as its own node and records its
children, which is what an actor needs.

What a node holds is what `games.openspiel_io` reads from the state, and
`play_chance` draws chance outcomes exactly as `openspiel_io.play_chance`
does, so an actor on the tree consumes its random numbers as the OpenSpiel
actor does and, with the same seed and policy, plays the same games.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyspiel

from games import openspiel_io

CHANCE = int(pyspiel.PlayerId.CHANCE)
TERMINAL = int(pyspiel.PlayerId.TERMINAL)
# Nodes are counted as they are built, so a game too large still costs this many rows before it is
# refused: 200,000 of Go 9x9's observations (324 floats each) are about 260 MB.
DEFAULT_MAX_NODES = 200_000


@dataclasses.dataclass(frozen=True)
class GameTree:
  """Every history of a game; node 0 is the initial state.

  Attributes:
    obs: [N, O] float32, `openspiel_io.observe` at decision nodes (zeros elsewhere).
    legal: [N, A] float32, the legal-action mask at decision nodes.
    player: [N] int32, the player to move, `CHANCE` or `TERMINAL`.
    rewards: [N, P] float32, `state.rewards()` on arriving at the node.
    child: [N, A] int32, the node after action a (-1 where a is not legal).
    chance: {node: (cumulative probabilities, child nodes)} for chance nodes,
      as Python lists: `play_chance` walks them one game at a time.
  """
  obs: np.ndarray
  legal: np.ndarray
  player: np.ndarray
  rewards: np.ndarray
  child: np.ndarray
  chance: dict[int, tuple[list[float], list[int]]]

  @property
  def num_nodes(self) -> int:
    return len(self.player)

  @property
  def terminal(self) -> np.ndarray:
    return self.player == TERMINAL


def build(game: pyspiel.Game, max_nodes: int = DEFAULT_MAX_NODES) -> GameTree:
  """Enumerates `game`'s histories; ValueError if there are more than `max_nodes`."""
  openspiel_io.check_game(game)
  obs_size, num_actions = openspiel_io.observation_size(game), game.num_distinct_actions()
  obs, legal, player, rewards, children = [], [], [], [], []
  chance: dict[int, tuple[list[float], list[int]]] = {}
  zeros_obs, zeros_legal = np.zeros(obs_size, np.float32), np.zeros(num_actions, np.float32)
  states = [game.new_initial_state()]  # node i's state, dropped once its children are numbered
  node = 0
  while node < len(states):
    state, states[node] = states[node], None
    player.append(TERMINAL if state.is_terminal() else state.current_player())
    rewards.append(state.rewards())
    row = np.full(num_actions, -1, np.int32)
    if state.is_chance_node():
      cdf, kids, total = [], [], 0.0
      for action, prob in state.chance_outcomes():
        total += prob  # summed in the order, and with the rounding, of openspiel_io.play_chance
        cdf.append(total)
        kids.append(len(states))
        states.append(state.child(action))
      chance[node] = (cdf, kids)
      obs.append(zeros_obs), legal.append(zeros_legal)
    elif state.is_terminal():
      obs.append(zeros_obs), legal.append(zeros_legal)
    else:
      obs.append(np.asarray(openspiel_io.observe(state), np.float32))
      legal.append(np.asarray(state.legal_actions_mask(), np.float32))
      for action in state.legal_actions():
        row[action] = len(states)
        states.append(state.child(action))
    children.append(row)
    if len(states) > max_nodes:
      raise ValueError(f"{game.get_type().short_name} has more than {max_nodes:,} histories: "
                       f"too many to enumerate")
    node += 1
  return GameTree(obs=np.stack(obs), legal=np.stack(legal), player=np.asarray(player, np.int32),
                  rewards=np.asarray(rewards, np.float32), child=np.stack(children), chance=chance)


def play_chance(tree: GameTree, node: int, rng: np.random.Generator) -> int:
  """`openspiel_io.play_chance` on the tree: the same draws from `rng`, the same outcomes."""
  while node in tree.chance:
    cdf, kids = tree.chance[node]
    u = rng.random()
    k = 0
    while k < len(cdf) - 1 and not u < cdf[k]:
      k += 1
    node = kids[k]
  return node
