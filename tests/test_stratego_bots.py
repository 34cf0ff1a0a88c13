"""Built-in Stratego bots: the right move on tiny boards, no hidden information, seeded repeats, and their strength."""

import numpy as np
import pyspiel
import pytest

from agents import make_agent, parse_spec
from agents.go_baselines import HeuristicGoAgent
from agents.stratego_bots import ScoutBot, TrackerBot
from core.errors import UserError
from games import openspiel_io
from games.stratego import notation
from games.stratego import pieces as P
from games.stratego.testing import board, game, play

BARRAGE = "stratego(variant=barrage,deployment=random)"
BOTS = ["heuristic:tracker", "heuristic:scout"]
BLUE_BACK = {"h10": "R", "i10": "N", "j10": "Y"}  # unmoved blue pieces out of reach: which is the flag is unknown


def moves(agent, state, seeds=range(5)) -> set[str]:
  """The moves `agent` (a spec) picks at `state` with each of `seeds`."""
  return {state.action_to_string(make_agent(agent, state.get_game(), seed=s).step(state)) for s in seeds}


# Each board: Red to move after the plies, and the moves the bot must choose from.
def _attack_revealed_weaker():
  # Blue's lieutenant takes a red scout on f6 and shows itself next to Red's general.
  s = game(board({"f5": "K", "f6": "D", "a1": "F", "j1": "M", "f7": "S", **BLUE_BACK})).new_initial_state()
  return play(s, "a1-a2", "f7-f6")


def test_attacks_a_revealed_weaker_piece():
  s = _attack_revealed_weaker()
  assert "S" in s.observation_string(0).splitlines()[6]  # rank 6 shows the lieutenant
  for bot in BOTS:
    assert moves(bot, s) == {"f5-f6"}


def test_flees_a_revealed_stronger_piece():
  # Blue's marshal takes a red scout on f6 and shows itself next to Red's captain on f5.
  s = game(board({"f5": "H", "f6": "D", "a1": "F", "j1": "M", "f7": "X", **BLUE_BACK})).new_initial_state()
  play(s, "a1-a2", "f7-f6")
  assert moves("heuristic:tracker", s) <= {"f5-f4", "f5-e5", "f5-g5"}


def test_the_spy_takes_a_revealed_marshal():
  s = game(board({"f5": "C", "f6": "D", "a1": "F", "j1": "M", "f7": "X", **BLUE_BACK})).new_initial_state()
  play(s, "a1-a2", "f7-f6")
  for bot in BOTS:
    assert moves(bot, s) == {"f5-f6"}


def test_probes_an_unmoved_piece_with_a_scout_not_the_marshal():
  # The unmoved piece on e7 may be the bomb: the scout on a7 can reach it as well as the marshal on e6.
  s = game(board({"e6": "L", "a7": "D", "a1": "M", "e7": "N", "h10": "R", "j10": "Y"})).new_initial_state()
  assert moves("heuristic:tracker", s) == {"a7-e7"}


def test_stops_a_piece_next_to_its_flag():
  # A blue piece of unknown rank steps next to Red's flag; Red's general can take it.
  s = game(board({"e1": "M", "d2": "K", "a4": "D", "e3": "T", "j10": "Y", "i10": "U"})).new_initial_state()
  play(s, "a4-a5", "e3-e2")
  assert moves("heuristic:tracker", s) == {"d2-e2"}


def test_the_scout_bot_probes_with_scouts_else_steps_forward():
  s = game(board({"a7": "D", "e5": "H", "a1": "M", "e7": "N", "j10": "Y"})).new_initial_state()
  assert moves("heuristic:scout", s) == {"a7-e7"}
  s = game(board({"a2": "D", "e4": "H", "a1": "M", "e9": "N", "j10": "Y"})).new_initial_state()
  assert moves("heuristic:scout", s, range(20)) <= {"e4-e5", *(f"a2-a{r}" for r in range(3, 11))}


def _same_view_boards():
  """Two boards whose only difference is hidden: Blue's e7 and j10 swap a marshal and a scout; e7 then moves."""
  red = {"e4": "H", "b2": "D", "a1": "M", "h4": "C"}
  first = board({**red, "e7": "X", "j10": "P", "a10": "Y", "c9": "N"})
  second = board({**red, "e7": "P", "j10": "X", "a10": "Y", "c9": "N"})
  return [play(game(b).new_initial_state(), "b2-b3", "e7-e6", "b3-b2", "e6-e5") for b in (first, second)]


@pytest.mark.parametrize("bot", BOTS)
def test_moves_do_not_depend_on_hidden_ranks(bot):
  first, second = _same_view_boards()
  assert first.board_string() != second.board_string()
  assert first.observation_tensor(0) == second.observation_tensor(0)
  for seed in range(5):
    a, b = make_agent(bot, first.get_game(), seed=seed), make_agent(bot, second.get_game(), seed=seed)
    assert a.action_probabilities(first) == b.action_probabilities(second)
    assert a.step(first) == b.step(second)


@pytest.mark.parametrize("bot", BOTS)
def test_moves_do_not_depend_on_hidden_ranks_in_dealt_games(bot):
  """Deal barrage, play random moves, then deal again with Blue's unmoved unrevealed pieces shuffled and replay."""
  rng = np.random.default_rng(3)
  checked = 0
  for _ in range(6):
    dealt = openspiel_io.play_chance(pyspiel.load_game(BARRAGE).new_initial_state(), rng)
    start = dealt.board_string()
    g = game(start, variant="barrage")
    s, actions = g.new_initial_state(), []
    for _ in range(int(rng.integers(4, 30))):
      if s.is_terminal():
        break
      actions.append(int(rng.choice(s.legal_actions())))
      s.apply_action(actions[-1])
    if s.is_terminal() or s.current_player() != 0:
      continue
    planes = np.asarray(s.observation_tensor(0)).reshape(-1, 100)
    still = np.flatnonzero(planes[26] > 0)  # Blue's unrevealed pieces that never moved stand where they began
    cells = list(start)
    types = [cells[sq] for sq in still]
    if len(set(types)) < 2:
      continue
    shuffled = np.roll(types, 1)
    for sq, letter in zip(still, shuffled):
      cells[sq] = str(letter)
    other = game("".join(cells), variant="barrage").new_initial_state()
    for a in actions:
      other.apply_action(a)
    assert other.board_string() != s.board_string()
    assert other.observation_tensor(0) == s.observation_tensor(0)
    for seed in range(3):
      assert (make_agent(bot, g, seed=seed).step(s) == make_agent(bot, other.get_game(), seed=seed).step(other))
    checked += 1
  assert checked >= 3


def _play(game_, agents, rng, max_plies=100_000):
  state = openspiel_io.play_chance(game_.new_initial_state(), rng)
  seq = []
  while not state.is_terminal() and len(seq) < max_plies:
    agent = agents[state.current_player()]
    probs = agent.action_probabilities(state)
    assert sum(probs.values()) == pytest.approx(1.0)
    assert set(probs) <= set(state.legal_actions())
    action = agent.step(state)
    assert probs.get(action, 0) > 0
    seq.append(action)
    state.apply_action(action)
    openspiel_io.play_chance(state, rng)
  return seq, state


@pytest.mark.parametrize("bot", BOTS)
@pytest.mark.parametrize("variant", ["barrage", "classic"])
def test_plays_whole_games_legally_and_repeats_itself_with_its_seed(bot, variant):
  g = pyspiel.load_game(f"stratego(variant={variant},deployment=play,max_moves=60)")
  runs = []
  for _ in range(2):
    a, b = make_agent(bot, g, seed=4), make_agent("random", g, seed=5)
    runs.append([_play(g, [a, b], np.random.default_rng(0))[0], _play(g, [b, a], np.random.default_rng(1))[0]])
  assert runs[0] == runs[1]
  assert all(len(r) > 2 * P.num_pieces(P.Variant(variant)) for r in runs[0])
  other = make_agent(bot, g, seed=9)
  assert _play(g, [other, make_agent("random", g, seed=5)], np.random.default_rng(0))[0] != runs[0][0]


@pytest.mark.parametrize("variant,bombs_by_flag", [("classic", 3), ("barrage", 1)])
def test_setup_puts_the_flag_on_the_back_row_behind_bombs(variant, bombs_by_flag):
  g = pyspiel.load_game(f"stratego(variant={variant},deployment=play)")
  for seed in range(4):
    s = g.new_initial_state()
    bot = make_agent("heuristic:tracker", g, seed=seed)
    while s.current_player() == 0:
      s.apply_action(bot.step(s))
    cells = notation.parse_board(s.board_string())
    flag = int(np.flatnonzero(cells == P.FLAG)[0])
    assert flag // 10 == 0
    beside = [flag + 10] + ([flag - 1] if flag % 10 > 0 else []) + ([flag + 1] if flag % 10 < 9 else [])
    assert sum(cells[sq] == P.BOMB for sq in beside) == min(bombs_by_flag, len(beside))


def test_tracker_beats_random_on_barrage():
  g = pyspiel.load_game(BARRAGE)
  rng = np.random.default_rng(0)
  wins = 0
  for i in range(20):
    seats = [make_agent("heuristic:tracker", g, seed=i), make_agent("random", g, seed=100 + i)]
    _, final = _play(g, seats[:: 1 if i % 2 == 0 else -1], rng)
    wins += final.returns()[i % 2] > 0
  assert wins >= 17  # 98 of 100 in benchmarks/stratego_bots.py; random against random wins about half


@pytest.mark.parametrize("text,kind,arg", [
    ("heuristic", "heuristic", None), ("heuristic:7", "heuristic", "7"),
    ("heuristic:scout", "heuristic", "scout"), ("Heuristic:tracker:3", "heuristic", "tracker:3"),
])
def test_heuristic_spec_grammar(text, kind, arg):
  spec = parse_spec(text)
  assert (spec.kind, spec.arg) == (kind, arg)


@pytest.mark.parametrize("text,cls", [("heuristic", TrackerBot), ("heuristic:7", TrackerBot),
                                      ("heuristic:tracker", TrackerBot), ("heuristic:scout:3", ScoutBot)])
def test_heuristic_on_stratego_is_a_bot(text, cls):
  assert type(make_agent(text, pyspiel.load_game(BARRAGE))) is cls


def test_heuristic_seed_in_the_spec_wins_over_the_callers():
  s = _attack_revealed_weaker()
  a = make_agent("heuristic:scout:3", s.get_game(), seed=11)
  b = make_agent("heuristic:scout", s.get_game(), seed=3)
  assert [a.step(s) for _ in range(5)] == [b.step(s) for _ in range(5)]


def test_heuristic_on_go_keeps_its_seed_and_refuses_a_name():
  go = pyspiel.load_game("go(board_size=5)")
  assert type(make_agent("heuristic:7", go)) is HeuristicGoAgent
  with pytest.raises(UserError, match="Go has one built-in player") as e:
    make_agent("heuristic:scout", go)
  assert "\n" not in str(e.value)


@pytest.mark.parametrize("text,game_str,message", [
    ("heuristic:nosuch", BARRAGE, "no Stratego bot 'nosuch'; the built-in ones are scout, tracker"),
    ("heuristic:scout:x", None, "seed 'x' is not an integer"),
    ("heuristic:7:3", None, r"expected heuristic\[:NAME\]\[:SEED\]"),
])
def test_bad_heuristic_specs_are_one_line_user_errors(text, game_str, message):
  with pytest.raises(UserError, match=message) as e:
    make_agent(text, pyspiel.load_game(game_str)) if game_str else parse_spec(text)
  assert "\n" not in str(e.value)
