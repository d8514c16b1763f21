"""Rerankers: reorder a first-stage ranking's head with a slower, more precise model."""
