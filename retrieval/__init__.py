"""Floor 3: expert datasets, embeddings, the ScaNN index and neighbour lookup."""
