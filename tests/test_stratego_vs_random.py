"""The batched JAX match against random counts games as the OpenSpiel one does."""

import numpy as np
import pytest

from evaluation import stratego_vs_random, vs_random
from games import openspiel_io
from games.stratego.testing import board, game as board_game


def uniform(obs, legal):
  return legal / legal.sum(axis=-1, keepdims=True)


def highest_action(obs, legal):
  """A deterministic policy: the legal action with the largest id."""
  probs = np.zeros_like(legal)
  probs[np.arange(len(legal)), legal.shape[1] - 1 - np.argmax(legal[:, ::-1] > 0, axis=1)] = 1
  return probs


def test_a_side_that_cannot_move_loses_at_its_first_turn():
  # Red: flag a1, scout e4. Blue: flag a10, bomb j10, nothing that moves. Red moves first, then Blue is stuck
  # and loses, so the agent wins every game it plays as Red (even games) and loses every one as Blue.
  g = board_game(board({"a1": "M", "e4": "D", "a10": "Y", "j10": "N"}))
  res = stratego_vs_random.play_vs_random(g, uniform, num_games=7, seed=3)
  assert (res.games, res.wins, res.draws, res.losses) == (7, 4, 0, 3)
  assert res.mean_return == pytest.approx(1 / 7)
  assert res.ends == {"won: no legal move": 4, "lost: no legal move": 3}


# Each board ends every game the same way: (pieces, game parameters, games, expected `MatchResult.ends`).
ENDINGS = {
    # Red's sergeant j9 can only take Blue's flag j10 (its bombs block i9 and j8): Red wins at once.
    "flag": ({"a1": "M", "j9": "F", "i9": "B", "j8": "B", "j10": "Y"}, {}, 7,
             {"won: flag captured": 4, "lost: flag captured": 3}),
    # Flags and bombs only: neither side can move, a draw before the first move.
    "stuck": ({"a1": "M", "b1": "B", "a10": "Y", "j10": "N"}, {}, 5, {"drawn: neither can move": 5}),
    # Two sergeants, a2 and j9, too far apart to meet (or attack) in two moves.
    "moves": ({"a1": "M", "a2": "F", "j10": "Y", "j9": "R"}, {"max_moves": 2}, 4, {"drawn: move limit": 4}),
    "no attack": ({"a1": "M", "a2": "F", "j10": "Y", "j9": "R"}, {"max_moves": 10, "max_moves_since_attack": 2}, 4,
                  {"drawn: no-attack limit": 4}),
}


def results(ends):
  """(wins, draws, losses) of an expected `ends` table."""
  return tuple(sum(v for k, v in ends.items() if k.startswith(r)) for r in ("won:", "drawn:", "lost:"))


@pytest.mark.parametrize("name", ENDINGS)
def test_the_match_counts_how_games_ended(name):
  pieces, params, n, ends = ENDINGS[name]
  res = stratego_vs_random.play_vs_random(board_game(board(pieces), **params), uniform, num_games=n, seed=0)
  assert res.ends == ends
  assert (res.games, (res.wins, res.draws, res.losses)) == (n, results(ends))


def test_agrees_with_the_openspiel_match_on_a_small_board():
  layout = board({"a1": "M", "b2": "D", "e4": "D", "j1": "L", "a10": "Y", "c9": "P", "f7": "P", "j10": "X"})
  g = board_game(layout, max_moves=30)
  n = 300
  jax_res = stratego_vs_random.play_vs_random(g, highest_action, n, seed=1, greedy=True)
  ref = vs_random.play_vs_random(g, highest_action, n, seed=1, greedy=True)
  # Same games in distribution: the counts agree within sampling error (4 standard deviations of a difference).
  for a, b in ((jax_res.wins, ref.wins), (jax_res.draws, ref.draws), (jax_res.losses, ref.losses)):
    p = (a + b) / (2 * n)
    assert abs(a - b) / n <= 4 * np.sqrt(2 * p * (1 - p) / n) + 1e-9, (jax_res, ref)


@pytest.mark.parametrize("deployment, placing_turns", [("play", 16), ("random", 0)])
def test_games_where_the_players_or_chance_deploy(deployment, placing_turns):
  # Each game is deployed, by the players (8 pieces each, 16 turns) or by chance; then Red makes one move
  # and the move limit, which does not count placing, draws it. A single move takes a flag only where a
  # scout faces the other side's flag on an open file; this seed deals no such game.
  seen = []  # the legal actions the agent's policy is shown at each turn: 0..39 place a piece, 40.. move
  def recording_uniform(obs, legal):
    seen.append(legal.copy())
    return uniform(obs, legal)
  g = openspiel_io.load_game(f"stratego(variant=barrage,deployment={deployment},history=0,max_moves=1)")
  res = stratego_vs_random.play_vs_random(g, recording_uniform, num_games=6, seed=0)
  assert len(seen) == placing_turns + 1
  assert all(legal[:, :40].any(axis=1).all() and not legal[:, 40:].any() for legal in seen[:-1])
  assert not seen[-1][:, :40].any() and seen[-1][:, 40:].any(axis=1).all()
  assert res.ends == {"drawn: move limit": 6}
  assert (res.wins, res.draws, res.losses, res.mean_return) == (0, 6, 0, 0.0)


def test_setups_from_a_file_are_refused(tmp_path):
  import pyspiel
  path = tmp_path / "setups.txt"
  path.write_text("AAAAALAAKAAAAAAEAACADAAAAAAAABDAAAAAAAAM\n")  # one barrage setup
  g = pyspiel.load_game("stratego", {"variant": "barrage", "deployment": "file", "setups_file": str(path)})
  assert not stratego_vs_random.supports(g)
  with pytest.raises(ValueError, match="initial_board"):
    stratego_vs_random.play_vs_random(g, uniform, 2)


def test_a_game_that_is_not_stratego_is_named_as_such():
  # A Kuhn policy's game was once told that "the JAX rules need deployment=play or random".
  with pytest.raises(ValueError, match=r"kuhn_poker\(\) is not Stratego"):
    stratego_vs_random.play_vs_random(openspiel_io.load_game("kuhn_poker"), uniform, 2)
