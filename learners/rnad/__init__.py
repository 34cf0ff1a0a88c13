"""R-NaD (Regularised Nash Dynamics, DeepNash's learner): configs, losses, the network it builds and the update."""

from learners.rnad.config import RNaDConfig
from learners.rnad.learning import TrainingState, init_state, make_policy_fn, make_update
from learners.rnad.networks import make_network
