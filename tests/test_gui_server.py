"""`stratago play`'s server, driven over its WebSocket by Starlette's test client: whole games, the guards,
bad requests, and the hidden-information check over every message of whole Stratego games."""

import json

import numpy as np
import pyspiel
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import games  # noqa: F401  (registers stratego)
from games import go
from games.stratego import notation, observation, pieces, record
from games.stratego import testing as st
from gui import server, session

HOST = "127.0.0.1:8765"
ORIGIN = {"origin": f"http://{HOST}"}
TOKEN = "test-token"


def client(game: str, agent: str = "random", **kwargs) -> TestClient:
  app = server.make_app(server.Options(game=game, agent=agent, **kwargs), TOKEN)
  return TestClient(app, base_url=f"http://{HOST}")


def connect(c: TestClient, token: str = TOKEN, headers=ORIGIN):
  return c.websocket_connect(f"ws://{HOST}/ws?token={token}", headers=headers)


def until_state(ws, sent: list | None = None) -> dict:
  """Reads events up to the `state` where the person acts next (or the game is over), past the
  agent's `thinking` and moves; keeps every event in `sent`."""
  while True:
    event = ws.receive_json()
    if sent is not None:
      sent.append(event)
    assert event["type"] != "error", event
    if event["type"] == "state" and (event["phase"] in ("setup", "over") or event["to_move"] == event["you"]):
      return event


# --- the guards ------------------------------------------------------------------------------


def test_every_request_needs_the_token_and_this_host():
  c = client("go(board_size=9)")
  assert c.get("/").status_code == 403
  assert c.get("/?token=wrong").status_code == 403
  assert c.get("/static/app.js").status_code == 403
  page = c.get(f"/?token={TOKEN}")
  assert page.status_code == 200 and f"app.js?token={TOKEN}" in page.text
  assert c.get("/static/app.js").status_code == 200  # the page's cookie carries the token
  assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
  # DNS rebinding: a page on attacker.example resolved to 127.0.0.1 sends its own Host.
  rebound = TestClient(c.app, base_url="http://attacker.example:8765")
  assert rebound.get(f"/?token={TOKEN}").status_code == 400
  # Another site's page in the same browser: its Origin is not ours.
  assert c.get(f"/?token={TOKEN}", headers={"origin": "http://attacker.example"}).status_code == 403


@pytest.mark.parametrize("token,headers", [
    ("wrong", ORIGIN),
    (TOKEN, {"origin": "http://attacker.example"}),
    (TOKEN, {"origin": "null"}),
    (TOKEN, {}),  # a browser always sends Origin on a WebSocket; a script without one is not the page
])
def test_websocket_refused_without_token_or_with_a_foreign_origin(token, headers):
  c = TestClient(client("go(board_size=9)").app, base_url=f"http://{HOST}")
  with pytest.raises(WebSocketDisconnect) as refused:
    with connect(c, token, headers) as ws:
      ws.receive_json()
  assert refused.value.code == 1008


# --- Go ----------------------------------------------------------------------------------------


def test_go_game_against_a_passer_is_scored_by_hand():
  """One black stone on an empty 9x9 board owns all 81 points: B+73.5 with komi 7.5."""
  with connect(client("go(board_size=9,komi=7.5)", "py:agents_testing:always_pass")) as ws:
    hello = ws.receive_json()
    assert hello == {"type": "hello", "game": "go", "name": "go(board_size=9,komi=7.5)",
                     "agent": "py:agents_testing:always_pass", "mode": "play"}
    first = until_state(ws)
    assert first["to_move"] == 0 and len(first["legal"]) == 81 and first["stones"] == [0] * 81
    ws.send_json({"type": "move", "point": "E5"})
    after = until_state(ws)
    assert after["moves"] == ["E5", "pass"] and after["stones"][4 * 9 + 4] == 1
    ws.send_json({"type": "pass"})
    over = until_state(ws)
  assert over["phase"] == "over"
  assert over["result"]["text"] == "B+73.5" and over["result"]["winner"] == 0 and over["result"]["dead"] == []
  record = go_sgf(over["sgf"])
  assert record.moves == ((0, 40), (1, 81), (0, 81)) and record.result == "B+73.5"


def test_an_engine_that_resigns_loses_by_resignation():
  """A GTP opponent that answers `resign` sets `resigned` and passes (agents.gtp.opponent): the game ends."""
  import agents_testing
  s = session.session_for(pyspiel.load_game("go(board_size=9)"), agents_testing.Resigner(), human=0)
  s.human({"type": "move", "point": "E5"})
  s.agent_move()
  over = s.view()
  assert over["phase"] == "over" and over["moves"] == ["E5"]
  assert over["result"] == {"winner": 0, "text": "B+R", "how": "resignation", "dead": [], "score": None}
  assert go_sgf(over["sgf"]).result == "B+R"


def test_a_resigned_stratego_record_says_who_won():
  game = pyspiel.load_game("stratego(variant=barrage)")
  from agents.specs import make_agent
  s = session.session_for(game, make_agent("random", game, 0), human=0)
  s.human({"type": "setup", "setup": SETUP})
  while s.agent_to_move():
    s.agent_move()
  s.human({"type": "resign"})
  view = s.view()
  assert view["result"]["text"] == "Blue wins (Red resigned) — the agent wins"
  assert view["record"]["returns"] == [-1.0, 1.0] and view["record"]["end"] == "Red resigned"


def go_sgf(text):
  from games import sgf
  return sgf.parse_sgf(text.encode())


def test_go_whole_game_against_random_captures_and_undo():
  rng = np.random.default_rng(0)
  with connect(client("go(board_size=9)", "random")) as ws:
    ws.receive_json()
    view = until_state(ws)
    ws.send_json({"type": "undo"})
    assert ws.receive_json() == {"type": "error", "message": "nothing to undo"}
    ws.send_json({"type": "move", "point": "C3"})
    view = until_state(ws)
    assert view["moves"][0] == "C3" and len(view["moves"]) == 2
    ws.send_json({"type": "undo"})
    view = until_state(ws)
    assert view["moves"] == [] and view["stones"] == [0] * 81 and view["to_move"] == 0
    for turn in range(400):
      if view["phase"] == "over":
        break
      if turn < 40 and view["legal"]:
        ws.send_json({"type": "move", "point": str(rng.choice(view["legal"]))})
      else:
        ws.send_json({"type": "pass"})
      view = until_state(ws)
  assert view["phase"] == "over"
  # The view's board and captures agree with OpenSpiel's replay of the move list.
  state = pyspiel.load_game("go(board_size=9)").new_initial_state()
  captures = [0, 0]
  for i, vertex in enumerate(view["moves"]):
    before = go.board_of(state)
    state.apply_action(go.gtp_to_action(vertex, 9))
    enemy = -1 if i % 2 == 0 else 1
    captures[i % 2] += int(np.sum((before == enemy) & (go.board_of(state) != enemy)))
  assert view["stones"] == go.board_of(state).reshape(-1).tolist()
  assert view["captures"] == captures
  assert view["moves"][-2:] == ["pass", "pass"]


# --- bad requests ------------------------------------------------------------------------------

BAD_GO = [
    ("not json", "a request is one JSON object"),
    ("[1, 2]", "a request is a JSON object with a string 'type'"),
    ('{"point": "D4"}', "a request is a JSON object with a string 'type'"),
    ('{"type": 7}', "a request is a JSON object with a string 'type'"),
    ('{"type": "x' + "y" * 5000 + '"}', "request over 4096 characters"),
    ("[" * 4000, "a request is one JSON object"),  # nested past Python's recursion limit
    ('{"type": "fly"}', "unknown request 'fly' in a Go game"),
    ('{"type": "move"}', "'point' must be a string of 1 to 4 characters"),
    ('{"type": "move", "point": 44}', "'point' must be a string of 1 to 4 characters"),
    ('{"type": "move", "point": "../../etc/passwd"}', "'point' must be a string of 1 to 4 characters"),
    ('{"type": "move", "point": "Z9"}', "'Z9' is not a vertex"),
    ('{"type": "move", "point": "J10"}', "'J10' is off a 9x9 board"),
    ('{"type": "move", "point": "I5"}', "'I5' is not a vertex"),
    ('{"type": "move", "point": "pass"}', 'send a pass as {"type": "pass"}'),
    ('{"type": "move", "point": "E5"}', "E5 is not a legal move here (an occupied point, suicide or a repeated position)"),
    ('{"type": "new", "side": 2}', "side must be 0 (Red, Black) or 1 (Blue, White)"),
    ('{"type": "new", "side": "1"}', "side must be 0 (Red, Black) or 1 (Blue, White)"),
]


def test_bad_go_requests_get_an_error_and_change_nothing():
  with connect(client("go(board_size=9)", "py:agents_testing:always_pass")) as ws:
    ws.receive_json()
    until_state(ws)
    ws.send_json({"type": "move", "point": "E5"})
    before = until_state(ws)
    for text, error in BAD_GO:
      ws.send_text(text)
      assert ws.receive_json() == {"type": "error", "message": error}, text
    ws.send_bytes(b"\x00\x01")
    assert ws.receive_json() == {"type": "error", "message": "requests are JSON text"}
    ws.send_json({"type": "view"})
    assert until_state(ws) == before


BAD_STRATEGO = [
    ('{"type": "move", "from": "a4", "to": "a5"}', "set up your pieces first"),
    ('{"type": "setup", "setup": "M"}', "bad setup: a setup has 40 letters, got 1"),
    ('{"type": "setup", "setup": "' + "M" * 40 + '"}', "bad setup: barrage setup needs 1 bomb (B), got 0"),
    ('{"type": "setup", "setup": "' + "z" * 40 + '"}', "bad setup: bad letter 'z' at position 1; a setup uses A-M"),
    ('{"type": "setup", "setup": ["M"]}', "'setup' must be a string of 1 to 64 characters"),
    ('{"type": "undo"}', "unknown request 'undo' in a Stratego game"),
]
SETUP = "MLKDDCBE" + "A" * 32  # flag a4, marshal b4, general c4, scouts d4 e4, spy f4, bomb g4, miner h4


def test_bad_stratego_requests_get_an_error_and_change_nothing():
  with connect(client("stratego(variant=barrage)", "random")) as ws:
    ws.receive_json()
    assert ws.receive_json()["type"] == "setup"
    view = until_state(ws)
    for text, error in BAD_STRATEGO:
      ws.send_text(text)
      assert ws.receive_json() == {"type": "error", "message": error}, text
    ws.send_json({"type": "view"})
    assert until_state(ws) == view
    ws.send_json({"type": "setup", "setup": SETUP})
    view = until_state(ws)
    assert view["phase"] == "play" and view["to_move"] == 0
    for text, error in [
        ('{"type": "setup", "setup": "' + SETUP + '"}', "your pieces are already set up"),
        ('{"type": "move", "from": "a4", "to": "a5"}', "a4-a5 is not a legal move"),  # the flag
        ('{"type": "move", "from": "d4", "to": "d9"}', "d4-d9 is not a legal move"),  # through the lake d5
        ('{"type": "move", "from": "e4", "to": "f5"}', "'e4-f5': the squares are not on one row or column"),
        ('{"type": "move", "from": "k4", "to": "k5"}', "bad square 'k4': want a file a-j and a rank 1-10, like e4"),
        ('{"type": "move", "from": "e4", "to": "e11"}', "bad square 'e11': rank must be 1-10"),
    ]:
      ws.send_text(text)
      assert ws.receive_json() == {"type": "error", "message": error}, text
    ws.send_json({"type": "view"})
    assert until_state(ws) == view


# --- Stratego ----------------------------------------------------------------------------------

VIEW_KEYS = {"type", "game", "phase", "you", "variant", "to_move", "board", "lakes", "legal", "refused", "moves",
             "last", "attack", "captured", "num_moves", "since_attack", "result"}


def play_barrage(human: int, seed: int) -> list[dict]:
  """A whole barrage game over the WebSocket, the person moving at random; every event the page got."""
  rng = np.random.default_rng(seed)
  sent: list[dict] = []
  with connect(client("stratego(variant=barrage)", "random", seed=seed)) as ws:
    sent.append(ws.receive_json())
    if human:
      ws.send_json({"type": "new", "side": 1})
    view = until_state(ws, sent)
    if human:
      view = until_state(ws, sent)
    ws.send_json({"type": "setup", "setup": SETUP})
    view = until_state(ws, sent)
    while view["phase"] == "play":
      src = str(rng.choice(sorted(view["legal"])))
      ws.send_json({"type": "move", "from": src, "to": str(rng.choice(view["legal"][src]))})
      view = until_state(ws, sent)
  return sent


@pytest.mark.parametrize("human,seed", [(0, 1), (1, 2)])
def test_stratego_page_never_learns_an_unrevealed_enemy_piece(human, seed):
  """Replays the finished game's record move by move: at every message before the end, each enemy
  piece the attacks have not revealed is sent as "?" (or not at all while the agent deploys)."""
  sent = play_barrage(human, seed)
  last_setup = max(i for i, e in enumerate(sent) if e["type"] == "setup")
  assert sent[last_setup]["you"] == human
  states = [e for e in sent[last_setup:] if e["type"] == "state"]
  final = states[-1]
  assert final["phase"] == "over" and final["result"]["winner"] in (0, 1, None)
  rec = final["record"]
  enemy = 1 - human
  checked = 0
  for view in states[:-1]:
    assert set(view) == VIEW_KEYS, set(view) ^ VIEW_KEYS
    assert view["you"] == human
    truth = record.replay({**rec, "moves": rec["moves"][:len(view["moves"])]})
    board, revealed, _ = observation.absolute_view(truth.engine_state)
    for sq in range(100):
      code = int(board[sq])
      if code in (pieces.EMPTY, pieces.LAKE) or (code > pieces.BLUE_OFFSET) != bool(enemy):
        continue
      cell = view["board"][sq]
      if view["phase"] == "setup" or not revealed[sq]:
        assert cell is None or cell["piece"] == "?", (sq, cell, view["phase"])
        checked += 1
      else:
        assert cell["piece"] == pieces.letter(code - pieces.BLUE_OFFSET * enemy)
    # Moves are asked of own pieces only.
    own = {notation.square_name(sq) for sq in range(100)
           if int(board[sq]) not in (pieces.EMPTY, pieces.LAKE) and (int(board[sq]) > pieces.BLUE_OFFSET) == bool(human)}
    assert set(view["legal"]) <= own and set(view["refused"]) <= own
    # The move list names pieces only where an attack revealed them, and truly; the trays hold what attacks took.
    captured = ([], [])
    for i, move in enumerate(view["moves"]):
      assert set(move) == {"side", "move", "from", "to", "attack"}
      if move["attack"] is None:
        continue
      attack = move["attack"]
      before = observation.absolute_view(record.replay({**rec, "moves": rec["moves"][:i]}).engine_state)[0]
      for role, square in (("attacker", move["from"]), ("defender", move["to"])):
        code = int(before[notation.parse_square(square)])
        assert attack[role] == {"side": int(code > pieces.BLUE_OFFSET),
                                "piece": pieces.letter(code - pieces.BLUE_OFFSET * (code > pieces.BLUE_OFFSET))}
      lost = {"attacker wins": ["defender"], "defender wins": ["attacker"],
              "both removed": ["attacker", "defender"]}[attack["result"]]
      for role in lost:
        captured[attack[role]["side"]].append(attack[role]["piece"])
    assert view["captured"] == [captured[0], captured[1]]
    assert view["attack"] == (view["moves"][-1]["attack"] if view["moves"] else None)
  assert checked > 100
  # The end shows everything, and the record replays to the final board.
  assert [m["move"] for m in final["moves"]] == rec["moves"]
  assert all(cell is None or cell["piece"] != "?" for cell in final["board"])


def test_attack_reveals_both_pieces_and_fills_the_trays():
  """Red's scout (D) on e4 attacks Blue's miner (E as Blue's Q) on e7: the miner wins."""
  board = st.board({"a1": "M", "e4": "D", "j1": "B", "a10": "Y", "e7": "Q", "j10": "P", "b10": "N"})
  game = st.game(board)
  from agents.specs import make_agent
  s = session.session_for(game, make_agent("random", game, 0), human=0)
  view = s.view()
  assert view["phase"] == "play" and view["board"][64] == {"side": 1, "piece": "?", "moved": False}
  assert view["legal"] == {"e4": ["a4", "b4", "c4", "d4", "f4", "g4", "h4", "i4", "j4",
                                  "e1", "e2", "e3", "e5", "e6", "e7"]}
  s.human({"type": "move", "from": "e4", "to": "e7"})
  view = s.view()
  assert view["attack"] == {"square": "e7", "attacker": {"side": 0, "piece": "D"},
                            "defender": {"side": 1, "piece": "E"}, "result": "defender wins"}
  assert view["captured"] == [["D"], []]
  assert view["board"][64] == {"side": 1, "piece": "E", "moved": False, "revealed": True}
  assert view["moves"][-1]["move"] == "e4-e7"


def test_two_squares_rule_refusal_says_why():
  """Red's scout shuttles a4-a5-a4-a5; the fourth crossing, a5-a4, is refused by the two-squares rule."""
  board = st.board({"j1": "M", "a4": "D", "j4": "B", "a10": "Y", "i10": "N", "j9": "P"})
  game = st.game(board)
  from agents.specs import make_agent
  s = session.session_for(game, make_agent("py:agents_testing:first_legal", game, 0), human=0)
  for src, dst in [("a4", "a5"), ("a5", "a4"), ("a4", "a5")]:
    s.human({"type": "move", "from": src, "to": dst})
    while s.agent_to_move():
      s.agent_move()
  view = s.view()
  assert "a4" not in view["legal"]["a5"]
  assert view["refused"]["a5"]["a4"].startswith("the two-squares rule")
  with pytest.raises(session.MoveError, match="two-squares rule"):
    s.human({"type": "move", "from": "a5", "to": "a4"})
  assert s.view() == view


class _Script:
  """An agent that plays Blue's moves from a list, written like `b9-b8`."""

  def __init__(self, moves):
    self.moves = list(moves)

  def step(self, state) -> int:
    from games.stratego.openspiel_game import string_to_action
    return string_to_action(1, self.moves.pop(0))

  def reset(self) -> None:
    pass


@pytest.mark.parametrize("pieces, red, blue, move, rule", [
    # Red's marshal chases Blue's sergeant from d9; c9-c8 would repeat its own chasing move's position.
    ({"d9": "L", "b9": "R"}, ["d9-c9", "c9-c8", "c8-c9"], ["b9-b8", "b8-b9", "b9-b8"], "c9-c8",
     "the more-squares rule"),
    # The same chase from c9, the marshal shuttling: both rules forbid c8-c9 and the two-squares rule is named.
    ({"c9": "L", "b8": "R"}, ["c9-c8", "c8-c9", "c9-c8"], ["b8-b9", "b9-b8", "b8-b9"], "c8-c9",
     "the two-squares rule"),
])
def test_repetition_rule_refusals_name_the_rule(pieces, red, blue, move, rule):
  game = st.game(st.board({"j1": "M", "j10": "Y", **pieces}))
  s = session.session_for(game, _Script(blue), human=0)
  for text in red:
    src, dst = text.split("-")
    s.human({"type": "move", "from": src, "to": dst})
    while s.agent_to_move():
      s.agent_move()
  view = s.view()
  src, dst = move.split("-")
  assert dst not in view["legal"][src]
  assert view["refused"] == {src: {dst: view["refused"][src][dst]}}
  assert view["refused"][src][dst].startswith(rule)
  with pytest.raises(session.MoveError, match=rule.split()[1]):
    s.human({"type": "move", "from": src, "to": dst})


def test_agent_deploys_by_its_own_policy_and_the_person_by_their_setup():
  game = pyspiel.load_game("stratego(variant=barrage)")
  from agents.specs import make_agent
  s = session.session_for(game, make_agent("py:agents_testing:first_legal", game, 0), human=1)
  assert s.agent_to_move() is False  # nothing happens before the person's setup
  s.human({"type": "setup", "setup": SETUP})
  while s.agent_to_move() and s._deploying():
    s.agent_move()
  view = s.view()
  assert view["phase"] == "play" and view["to_move"] == 0
  board = observation.absolute_view(s.state.engine_state)[0]
  letters = lambda codes: "".join(pieces.letter(int(c)) for c in codes)
  assert letters(board[99 - notation.SETUP_SQUARES] - pieces.BLUE_OFFSET * (board[99 - notation.SETUP_SQUARES] > 0)
                 ) == SETUP
  # first_legal places each piece, in the placement order, on the lowest free setup square: a4, b4, ...
  assert letters(board[notation.SETUP_SQUARES[:8]]) == letters(pieces.placement_order(pieces.Variant.BARRAGE))
  assert letters(board[notation.SETUP_SQUARES[:8]]) == "MBLKEDDC"  # flag, bomb, marshal, general, miner, scouts, spy


# --- replays -----------------------------------------------------------------------------------


def test_replay_frames_end_where_the_record_ends(tmp_path):
  from agents.specs import make_agent
  from evaluation import match
  from gui import replay
  game = pyspiel.load_game("stratego(variant=barrage,deployment=random)")
  result, state = match.play(game, [make_agent("random:1", game, 0), make_agent("random:2", game, 1)], seed=3)
  path = match.write_record(state, result, ("a", "b"), tmp_path / "g")
  name, event = replay.load_replay(path)
  assert name == str(game) and event["game"] == "stratego"
  assert len(event["frames"]) == result.moves + 1 == len(event["moves"]) + 1
  assert [m["move"] for m in event["moves"]] == json.loads(path.read_text())["moves"]
  final = observation.absolute_view(state.engine_state)
  last = event["frames"][-1]["board"]
  assert [None if c is None else c["piece"] for c in last] == [
      None if int(c) in (0, 25) else pieces.letter(int(c) - pieces.BLUE_OFFSET * (c > 12)) for c in final[0]]
  assert [bool(c and c["revealed"]) for c in last] == [bool(r) and int(c) not in (0, 25)
                                                       for c, r in zip(final[0], final[1])]

  game = pyspiel.load_game("go(board_size=9)")
  result, state = match.play(game, [make_agent("random", game, 0), make_agent("random", game, 1)], seed=3)
  path = match.write_record(state, result, ("a", "b"), tmp_path / "go")
  name, event = replay.load_replay(path)
  assert event["frames"][-1]["stones"] == go.board_of(state).reshape(-1).tolist()
  assert len(event["frames"]) == len(state.history()) + 1
  with connect(client(name, replay=event)) as ws:
    assert ws.receive_json()["mode"] == "replay"
    sent = ws.receive_json()
  assert sent["type"] == "replay" and json.dumps(sent["frames"]) == json.dumps(event["frames"])


@pytest.mark.parametrize("text,error", [
    ("", "is not a Stratego record"),
    ('{"format": "stratago.stratego.record/1", "game": "stratego(variant=barrage)", "red_setup": "M",'
     ' "blue_setup": "M", "moves": []}', "is not a Stratego record: a setup has 40 letters, got 1"),
])
def test_bad_replay_files_are_one_line(tmp_path, text, error):
  from core.errors import UserError
  from gui import replay
  path = tmp_path / "bad.json"
  path.write_text(text)
  with pytest.raises(UserError, match=error):
    replay.load_replay(path)


def test_saved_setups_reach_the_setup_editor(tmp_path):
  """Two good barrage setups and a bad line: the editor offers the two, as 40 letters each."""
  from gui import app
  other = "BMLKDDCE" + "A" * 32
  path = tmp_path / "mine.txt"
  path.write_text(f"{SETUP}\n{'M' * 40}\n{other}\n")
  lines = app.read_setups(str(path), "barrage")
  assert lines == (SETUP, other)
  with connect(client("stratego(variant=barrage)", setups=lines)) as ws:
    ws.receive_json()
    setup = ws.receive_json()
  assert setup["type"] == "setup" and setup["setups"] == [SETUP, other]
  assert setup["pieces"] == {"B": 1, "C": 1, "D": 2, "E": 1, "K": 1, "L": 1, "M": 1}
