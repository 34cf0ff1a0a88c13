"""Floor 3: expert datasets, embeddings, the ScaNN index and neighbour lookup."""

from retrieval.corpus import GnuGoCorpusConfig, generate_gnugo_games  # GNU Go corpus (issue 4).
from retrieval.dataset import PositionDataset, write_positions  # Go position datasets (issue 4).
