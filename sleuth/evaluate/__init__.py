"""Evaluation: load BEIR queries and qrels, score runs with trec_eval's metrics, compare systems.

- :mod:`sleuth.evaluate.beir`: ``queries.jsonl`` and ``qrels/<split>.tsv``.
- :mod:`sleuth.evaluate.metrics`: nDCG@k, recall@k, MRR@k, P@k and MAP via pytrec_eval.
- :mod:`sleuth.evaluate.runfile`: TREC run files, to evaluate with trec_eval itself.
- :mod:`sleuth.evaluate.significance`: paired tests between two systems' per-query scores.

Nothing is re-exported here, so that importing one module (say, the BEIR loader in the CLI)
does not pay for pytrec_eval and scipy.
"""
