"""A trained cross-encoder reranker on onnxruntime (no torch at query time).

The model (``sleuth tune`` trains it from the packaged MiniLM weights; see ``sleuth/tune/crossencoder.py``)
reads ``[CLS] query [SEP] passage [SEP]`` (``MAX_TOKENS`` at most; the longer text is cut first, so a
long query cannot crowd the passage out) and returns one relevance logit per pair. Pairs are scored in
batches of similar token length (little padding).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.errors import ConfigError
from sleuth.index.encoders import default_threads, onnx_session

MAX_TOKENS = 192
BATCH = 8


class CrossEncoder:
    """Scores (query, passage) pairs with an int8 ONNX cross-encoder exported by ``sleuth tune``."""

    def __init__(self, model_dir: Path | str, threads: int | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.model_path = self.model_dir / "model.onnx"
        self.tokenizer_path = self.model_dir / "tokenizer.json"
        for p in (self.model_path, self.tokenizer_path, self.model_dir / "manifest.json"):
            if not p.is_file():
                raise ConfigError(
                    f"The reranker file {p} is missing.",
                    "Run `sleuth tune` again on this collection (or `sleuth tune --no-reranker` to drop it).",
                )
        self.manifest: dict[str, Any] = json.loads((self.model_dir / "manifest.json").read_text(encoding="utf-8"))
        self.threads = threads or default_threads()
        self._lock = threading.Lock()
        self._session: Any = None

    @cached_property
    def checksum(self) -> str:
        return str(self.manifest.get("files", {}).get("model.onnx", ""))[:16]

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.tokenizer_path))
            tok.enable_truncation(MAX_TOKENS, strategy="longest_first")
            tok.no_padding()
            self._tokenizer = tok
            self._session = onnx_session(self.model_path, self.threads)

    def score(self, query: str, passages: Sequence[str], batch_size: int = BATCH) -> np.ndarray:
        """One logit per passage (higher = more relevant), in input order."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        self._load()
        encs = self._tokenizer.encode_batch([(query, p) for p in passages])
        lens = np.array([len(e.ids) for e in encs])
        order = np.argsort(lens, kind="stable")
        out = np.empty(len(passages), dtype=np.float32)
        for b0 in range(0, len(order), batch_size):
            idx = order[b0 : b0 + batch_size]
            width = int(lens[idx].max())
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, i in enumerate(idx):
                e = encs[i]
                ids[row, : len(e.ids)] = e.ids
                mask[row, : len(e.ids)] = 1
                types[row, : len(e.ids)] = e.type_ids
            logits = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            out[idx] = logits.reshape(-1)
        return out
