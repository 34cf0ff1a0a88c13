"""Stratego: notation, setup files, the rules in JAX (batched), and the OpenSpiel game `stratego`.

The rules engine: `init_deployment` / `init_from_board` / `init_random` (and
`deal`, a batch of any of them), `step`,
`deploy_setup`, `legal_action_mask`, `observe`, `is_terminal`, `returns`, all
pure functions of one game taking a static `RulesConfig`; batch them with
`jax.vmap`. `action_from_to()` maps each action to its (from, to) squares in the
observation, for a network's factorised policy head. Importing this package
registers the OpenSpiel game `stratego`.
"""

from games.stratego.config import RulesConfig
from games.stratego.engine import NUM_ACTIONS
from games.stratego.engine import State
from games.stratego.engine import deal
from games.stratego.engine import deploy_setup
from games.stratego.engine import end_reason
from games.stratego.engine import init_deployment
from games.stratego.engine import init_from_board
from games.stratego.engine import init_random
from games.stratego.engine import is_terminal
from games.stratego.engine import legal_action_mask
from games.stratego.engine import returns
from games.stratego.engine import step
from games.stratego.notation import format_board
from games.stratego.notation import parse_board
from games.stratego.notation import parse_square
from games.stratego.notation import square_name
from games.stratego.observation import action_from_to
from games.stratego.observation import num_planes
from games.stratego.observation import observe
from games.stratego.openspiel_game import StrategoGame
from games.stratego.openspiel_game import action_to_string
from games.stratego.openspiel_game import string_to_action
from games.stratego.pieces import Variant
from games.stratego.setups import SetupFileError
from games.stratego.setups import load_setups
from games.stratego.setups import parse_setup
