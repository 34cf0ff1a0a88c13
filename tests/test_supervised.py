"""The supervised Go learner: symmetries, the split by game, overfitting a tiny dataset, `stratago predict`."""

import json
import math

import jax
import numpy as np
import pyspiel
import pytest

from actors import supervised_loop
from agents import networks
from agents import policy as policy_lib
from agents.networks.config import NetworkConfig
from cli import main as cli_main
from games import go, sgf
from learners.supervised import inputs, learning
from learners.supervised.config import SupervisedConfig
from retrieval import dataset as dataset_lib


def write_dataset(folder, records):
  paths = [sgf.write_sgf(r, folder / "sgf" / f"{i:03d}.sgf") for i, r in enumerate(records)]
  return dataset_lib.write_positions(paths, folder / "data", root=folder / "sgf").path


def test_symmetries_of_a_2x2_board_by_hand():
  # Points: 0 A1 (bottom left), 1 B1, 2 A2, 3 B2; pass 4 stays put.
  perms = go.symmetry_permutations(2)
  assert perms.tolist() == [
      [0, 1, 2, 3, 4],   # identity
      [1, 3, 0, 2, 4],   # a quarter turn anticlockwise: A1 -> B1 -> B2 -> A2 -> A1
      [3, 2, 1, 0, 4],   # a half turn
      [2, 0, 3, 1, 4],   # three quarters
      [1, 0, 3, 2, 4],   # mirror left-right
      [3, 1, 2, 0, 4],   # mirror, then a quarter turn
      [2, 3, 0, 1, 4],   # mirror, then a half turn: upside down
      [0, 2, 1, 3, 4],   # mirror, then three quarters: the A1-B2 diagonal
  ]
  assert sorted(map(tuple, perms)) == sorted(set(map(tuple, perms)))  # 8 distinct


@pytest.mark.parametrize("k,stone,move", [
    (0, "A1", "C1"),
    (1, "C1", "C3"),   # quarter turn anticlockwise: A1 -> C1, C1 -> C3
    (2, "C3", "A3"),
    (4, "C1", "A1"),   # mirror left-right
])
def test_a_move_turns_with_its_board(k, stone, move):
  """A black stone on A1 and the move C1 of a 3x3 position, under symmetry k."""
  planes = np.zeros((1, 2, 3, 3), np.uint8)
  planes[0, 0, 0, 0] = 1  # the side to move's stone on A1
  rows = {"planes": planes, "move": np.array([go.gtp_to_action("C1", 3)]), "to_play": np.array([0]),
          "value": np.array([1])}
  perms = go.symmetry_permutations(3)[[k]]  # a random choice among one
  batch = inputs.make_batch(rows, 3, perms, np.random.default_rng(0))
  obs = batch["obs"].reshape(4, 3, 3)
  assert np.flatnonzero(obs[0].reshape(-1)).tolist() == [go.gtp_to_action(stone, 3)]  # Black's plane
  assert batch["move"].tolist() == [go.gtp_to_action(move, 3)]
  assert batch["legal"][0].sum() == 9 and not batch["legal"][0][go.gtp_to_action(stone, 3)]


def test_observations_are_openspiels():
  record = sgf.GoRecord(board_size=5, moves=((0, 12), (1, 7), (0, 13), (1, 25), (0, 6)), result="B+3")
  rows = dataset_lib.record_positions(record)
  rows["planes"] = dataset_lib.unpack_planes(rows["planes"], 5)
  batch = inputs.make_batch(rows, 5, None, None)
  state = pyspiel.load_game("go(board_size=5)").new_initial_state()
  for i, (_, action) in enumerate(record.moves):
    np.testing.assert_array_equal(batch["obs"][i], np.asarray(state.observation_tensor(0)))
    state.apply_action(action)
  assert batch["value"].tolist() == [1, -1, 1, -1, 1]


def _games(n, size=5):
  rng = np.random.default_rng(0)
  out = []
  for g in range(n):
    moves = rng.choice(size * size, size=6, replace=False)
    out.append(sgf.GoRecord(board_size=size, moves=tuple((i % 2, int(a)) for i, a in enumerate(moves)),
                            result="B+1" if g % 2 else "W+1"))
  return out


def test_the_split_by_game_leaks_no_game(tmp_path):
  data = dataset_lib.PositionDataset(write_dataset(tmp_path, _games(10)))
  assert data.games == [f"{i:03d}.sgf" for i in range(10)]
  held = dataset_lib.split_by_game(data.games, 0.3, seed=4)
  assert 0 < held.sum() < 10
  train_rows, val_rows = supervised_loop._rows_of(data, ~held), supervised_loop._rows_of(data, held)
  train_games = set(np.asarray(data.column(0, "game"))[train_rows[0]].tolist())
  val_games = set(np.asarray(data.column(0, "game"))[val_rows[0]].tolist())
  assert train_games.isdisjoint(val_games)
  assert val_games == set(np.flatnonzero(held).tolist()) and train_games == set(np.flatnonzero(~held).tolist())
  assert len(train_rows[0]) + len(val_rows[0]) == len(data) == 60
  # A game keeps its side when games are added; another seed splits otherwise.
  more = dataset_lib.split_by_game(data.games + [f"{i:03d}.sgf" for i in range(10, 1000)], 0.3, seed=4)
  assert (more[:10] == held).all()
  assert 0.25 < more.mean() < 0.35
  assert not (dataset_lib.split_by_game(data.games, 0.3, seed=5) == held).all()


def test_the_training_stream_serves_each_training_row_once_an_epoch(tmp_path):
  """60 positions in one shard, two games' 12 held out: an epoch is 48 / 8 = 6 batches through the prefetcher."""
  import collections
  from actors.prefetch import Prefetcher
  data = dataset_lib.PositionDataset(write_dataset(tmp_path, _games(10)))
  held = np.zeros(10, bool)
  held[[2, 7]] = True
  rows = supervised_loop._rows_of(data, ~held)
  assert [len(r) for r in rows] == [48]
  batches = supervised_loop.TrainingBatches(data, rows, 8, augment=False, seed=3)
  stream = Prefetcher(batches, depth=2)  # at most 7 + 2 + 1 batches made: the second epoch is not done

  def key(batch, i):
    return batch["obs"][i].tobytes(), int(batch["move"][i])

  epoch = [next(stream) for _ in range(6)]
  whole = inputs.make_batch(data.take(0, rows[0]), 5, None, None)
  assert (collections.Counter(key(b, i) for b in epoch for i in range(8))
          == collections.Counter(key(whole, i) for i in range(48)))
  next(stream)  # the second epoch's first batch: the first epoch is complete
  assert stream.close(wait_s=5)
  assert batches.epochs == 1


def test_a_tiny_network_overfits_a_tiny_dataset_to_every_move(tmp_path):
  record = sgf.GoRecord(board_size=5, moves=((0, 12), (1, 7), (0, 13), (1, 17), (0, 11), (1, 6), (0, 16), (1, 8)),
                        result="W+2")
  data = dataset_lib.PositionDataset(write_dataset(tmp_path, [record]))
  rows = data.take(0, np.arange(len(data)))
  batch = inputs.make_batch(rows, 5, None, None)
  cfg = SupervisedConfig(network=NetworkConfig.from_preset("mlp", "tiny"), batch_size=8, learning_rate=1e-2,
                         warmup_steps=1, weight_decay=0.0, augment=False)
  game = pyspiel.load_game("go(board_size=5)")
  from learners.supervised import networks as sl_networks
  net = sl_networks.make_network(cfg, game)
  learner = learning.SupervisedLearner(cfg, net, sl_networks.init(net, game, 0))
  for _ in range(300):
    learner.update(batch)
  figures = learner.evaluate(batch)
  assert figures["top1"].tolist() == [1.0] * 8
  assert figures["cross_entropy"].mean() < 0.05


def _uniform_policy(path, size):
  """A policy file whose network is all zeros: uniform over the legal moves, value 0."""
  game = pyspiel.load_game(f"go(board_size={size},komi=7.5)")
  cfg = NetworkConfig.from_preset("mlp", "tiny")
  net = networks.for_game(cfg, game)
  params = net.init(jax.random.PRNGKey(0), np.zeros((1, game.observation_tensor_size()), np.float32),
                    np.ones((1, game.num_distinct_actions()), bool))
  zeros = jax.tree.map(np.zeros_like, params)
  return policy_lib.save_policy(path, zeros, game=str(game), network=cfg, step=0)


def test_predict_gives_the_hand_computed_figures(tmp_path, capsys):
  """3x3, Black A1, White B1, Black C3, White A2; Black won. A uniform policy's first choice is the lowest
  empty point (ties go to the lower action): right at moves 1 and 2, wrong at 3 (A2 over C3) and 4 (C1
  over A2). Top 5 holds A2 at move 4, not C3 at move 3. Cross-entropy: ln of the legal moves (empties
  and pass) 10, 9, 8 and 7; the value 0 misses each +1/-1 outcome by 1."""
  record = sgf.GoRecord(board_size=3, moves=((0, 0), (1, 1), (0, 8), (1, 3)), result="B+2")
  data = write_dataset(tmp_path, [record])
  path = _uniform_policy(tmp_path / "uniform.npz", 3)
  assert cli_main.main(["predict", "--agent", f"policy:{path}", "--data", str(data), "--json"]) == 0
  figures = json.loads(capsys.readouterr().out)
  assert figures["positions"] == 4 and figures["games"] == 1
  assert figures["top1"] == 0.5 and figures["top5"] == 0.75
  assert figures["cross_entropy"] == pytest.approx((math.log(10) + math.log(9) + math.log(8) + math.log(7)) / 4)
  assert figures["value_mse"] == pytest.approx(1.0)


def test_predict_refuses_what_is_not_a_network_of_this_board(tmp_path, capsys):
  data = write_dataset(tmp_path, _games(2))
  path = _uniform_policy(tmp_path / "five.npz", 5)
  assert cli_main.main(["predict", "--agent", f"policy:{path},sims=8", "--data", str(data)]) == 2
  assert "predict scores the network alone" in capsys.readouterr().err
  assert cli_main.main(["predict", "--agent", "random", "--data", str(data)]) == 2
  assert "give policy:PATH or run:RUN_DIR" in capsys.readouterr().err
  path = _uniform_policy(tmp_path / "nine.npz", 9)
  assert cli_main.main(["predict", "--agent", f"policy:{path}", "--data", str(data)]) == 2
  assert "the dataset is Go on 5x5" in capsys.readouterr().err


def test_train_resume_and_play_the_result(tmp_path, capsys):
  data = write_dataset(tmp_path, _games(12))
  run = tmp_path / "run"
  common = ["--no-progress", "--set", "learner.batch_size=8", "--set", "run.log_every_steps=5",
            "--set", "data.validate_every_steps=10", "--set", "data.validation_fraction=0.2",
            "--set", "learner.network.hidden=[32]", "--network", "mlp:tiny"]
  assert cli_main.main(["train", "--algo", "supervised", "--data", str(data), "--out", str(run),
                        "--set", "run.max_learner_steps=20", *common]) == 0
  first = json.loads((run / "summary.json").read_text())
  held = dataset_lib.split_by_game([f"{i:03d}.sgf" for i in range(12)], 0.2, seed=0)
  assert first["learner_steps"] == 20
  assert (first["train_games"], first["validation_games"]) == (int((~held).sum()), int(held.sum()))
  assert 0 <= first["val_top1"] <= 1
  assert cli_main.main(["train", "--resume", str(run), "--no-progress", "--set", "run.max_learner_steps=30"]) == 0
  second = json.loads((run / "summary.json").read_text())
  assert second["start_step"] == 20 and second["learner_steps"] == 30
  steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
  assert steps == sorted(set(steps)) and steps[-1] == 30
  # The exported policy and the run both play Go.
  from agents.specs import make_agent
  game = pyspiel.load_game("go(board_size=5,komi=7.5)")
  state = game.new_initial_state()
  for spec in (f"policy:{run / 'policy.npz'}", f"run:{run}"):
    assert make_agent(spec, game).step(state) in state.legal_actions()
