"""A multilayer perceptron over the flat observation: the small baseline, and R-NaD's default network.

A ReLU torso, a linear policy head and a linear value head. With a FROM_TO
head (`head.policy`; the game needs an action -> (from, to) table, as
Stratego has) each move's logit also gets the pairwise term of
`heads.from_to_scores`: a query read off the square it leaves dotted with a
key read off the square it reaches, each a linear map of that square's own
inputs plus a learned embedding of the square plus a map of the torso's
output. One set of weights then scores "this piece onto that square" on
every square, which a linear head over the torso has to learn square by
square. `logits(..., action_ids=...)` computes that term for the asked
actions only, not for all S x S square pairs.
"""

from __future__ import annotations

import haiku as hk
import jax.numpy as jnp
import numpy as np

from agents.networks import heads


class MlpInputs:
  """What the MLP reads off a game's flat observation.

  Attributes:
    features: int [F], the observation entries read (None: all); the MLP also
      takes observations already cut to them.
    squares: int [S, C], the indices, in what the MLP reads, of square s's C inputs.
    from_to: int [A, 2], each action's (from, to) square, (-1, -1) for no move.
  """

  def __init__(self, features=None, squares=None, from_to=None):
    self.features = None if features is None else np.asarray(features, np.int32)
    self.squares = None if squares is None else np.asarray(squares, np.int32)
    self.from_to = None if from_to is None else np.asarray(from_to, np.int32)


def forward(hidden: tuple[int, ...], from_to_dim: int, num_actions: int, inputs: MlpInputs, obs,
            action_ids=None):
  """(logits, value [..., 1]) of observations [..., O] (or [..., F], cut to `inputs.features`).

  Unmasked logits: [..., A], or [..., K] for the K actions `action_ids` names
  (an entry < 0 reads action 0). A haiku function (call it inside a transform);
  `from_to_dim` 0 leaves the pairwise term out.
  """
  features = inputs.features
  if features is not None and obs.shape[-1] != len(features):
    obs = jnp.take(obs, features, axis=-1)
  torso = hk.nets.MLP(list(hidden), activate_final=True, name="torso")(obs)
  logits = hk.Linear(num_actions, name="policy")(torso)
  value = hk.Linear(1, name="value")(torso)
  if from_to_dim:
    q, k = _square_embeddings(from_to_dim, obs[..., inputs.squares], torso)
    table = jnp.asarray(inputs.from_to)
  if action_ids is not None:
    ids = jnp.maximum(action_ids, 0)
    logits = jnp.take_along_axis(logits, ids, axis=-1)
    if from_to_dim:  # only the K actions' pairs
      frm, to = table[ids, 0], table[ids, 1]
      scores = heads.from_to_scores(q, k, jnp.maximum(frm, 0), jnp.maximum(to, 0))
      logits += jnp.where(frm >= 0, scores, 0.0)
  elif from_to_dim:
    moves = np.flatnonzero(inputs.from_to[:, 0] >= 0)
    src, dst = inputs.from_to[moves, 0], inputs.from_to[moves, 1]
    if np.array_equal(moves, np.arange(moves[0], moves[-1] + 1)):
      moves = slice(int(moves[0]), int(moves[-1]) + 1)  # Stratego's: a slice, not a scatter
    logits = logits.at[..., moves].add(heads.from_to_scores(q, k, src, dst))
  return logits, value


def _square_embeddings(dim: int, square_inputs, torso):
  """Query and key [..., S, dim] of every square, from [..., S, C] square inputs and the [..., H] torso."""
  num_squares = square_inputs.shape[-2]
  init = hk.initializers.TruncatedNormal(0.02)

  def embed(name):
    position = hk.get_parameter(f"{name}_square", (num_squares, dim), init=init)
    context = hk.Linear(dim, with_bias=False, name=f"{name}_context")(torso)[..., None, :]
    return hk.Linear(dim, name=name)(square_inputs) + position + context

  with hk.name_scope("from_to"):
    return embed("query"), embed("key")
