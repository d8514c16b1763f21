"""Evaluation: load BEIR queries and qrels, score runs with trec_eval's metrics, compare systems.

- :mod:`sleuth.evaluate.beir` — ``queries.jsonl`` and ``qrels/<split>.tsv``.
- :mod:`sleuth.evaluate.metrics` — nDCG@k, recall@k, MRR@k, P@k, MAP via pytrec_eval.
- :mod:`sleuth.evaluate.runfile` — TREC run files, to evaluate with trec_eval itself.
- :mod:`sleuth.evaluate.significance` — paired tests between two systems' per-query scores.
"""

from sleuth.evaluate.beir import Qrels, available_splits, check_consistency, load_qrels, load_queries
from sleuth.evaluate.metrics import DEFAULT_METRICS, METRICS, Run, evaluate_run, per_query, per_query_all
from sleuth.evaluate.runfile import read_trec_run, write_trec_run
from sleuth.evaluate.significance import paired_test

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "Qrels",
    "Run",
    "available_splits",
    "check_consistency",
    "evaluate_run",
    "load_qrels",
    "load_queries",
    "paired_test",
    "per_query",
    "per_query_all",
    "read_trec_run",
    "write_trec_run",
]
