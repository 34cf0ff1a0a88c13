"""Floor 3: expert data: the GNU Go self-play corpus and memory-mapped position datasets."""

from retrieval.corpus import GnuGoCorpusConfig, generate_gnugo_games  # GNU Go corpus (issue 4).
from retrieval.dataset import PositionDataset, write_positions  # Go position datasets (issue 4).
