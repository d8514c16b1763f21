"""Retrieval pipelines over a collection, by name."""

from sleuth.retrieve.pipelines import PIPELINES, Pipeline, get_pipeline

__all__ = ["PIPELINES", "Pipeline", "get_pipeline"]
