"""Rerankers: reorder a first-stage ranking's head with a slower, more precise model."""

from sleuth.rerank.combine import rerank_scores

__all__ = ["rerank_scores"]
