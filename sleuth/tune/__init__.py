"""``sleuth tune``: adapt retrieval to one collection on the CPU (needs the ``tune`` extra: torch).

pairs.py        training pairs from the corpus (titles, inverse cloze) and train splits; hard negatives
query_side.py   query encoder trained against the collection's frozen passage vectors
crossencoder.py cross-encoder reranker from the packaged MiniLM weights
training.py     what the trainers share: weights, schedule, time budget
export.py       int8 ONNX export (also rebuilds the shipped encoder: scripts/export_minilm_onnx.py)
runner.py       the whole job: pairs, training, export, held-out guard, adoption in meta.json
"""
