"""Pure functions over rankings: fusing several into one and joining a reranker's scores to a first stage's."""
