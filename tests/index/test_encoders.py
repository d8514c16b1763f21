"""The dense encoders: the shipped int8 ONNX all-MiniLM-L6-v2 against sentence-transformers references.

tests/data/encoders/reference.npy holds float32 vectors of reference_texts.json computed with
sentence-transformers + torch (see make_reference.py there), so this test needs no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sleuth.errors import ConfigError
from sleuth.index import encoders as enc_mod
from sleuth.index.encoders import ENCODERS, MINILM_DIR, get_encoder

pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")
if not (MINILM_DIR / "model.onnx").is_file() or (MINILM_DIR / "model.onnx").stat().st_size < 1_000_000:
    pytest.skip("the shipped ONNX model file is absent", allow_module_level=True)

DATA = Path(__file__).resolve().parent.parent / "data" / "encoders"
TEXTS: list[str] = json.loads((DATA / "reference_texts.json").read_text(encoding="utf-8"))
REFERENCE = np.load(DATA / "reference.npy")


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    return get_encoder("minilm")


def test_shape_dtype_unit_norm(encoder) -> None:  # type: ignore[no-untyped-def]
    v = encoder.encode_passages(TEXTS)
    assert encoder.dim == 384
    assert v.shape == (len(TEXTS), 384)
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_matches_sentence_transformers_fp32(encoder) -> None:  # type: ignore[no-untyped-def]
    v = encoder.encode_passages(TEXTS)
    cos = (v * REFERENCE).sum(1)
    assert cos.min() >= 0.99, cos


def test_deterministic(encoder) -> None:  # type: ignore[no-untyped-def]
    a = encoder.encode_passages(TEXTS)
    b = encoder.encode_passages(TEXTS)
    np.testing.assert_array_equal(a, b)


def test_order_preserved_under_length_sorting(encoder) -> None:  # type: ignore[no-untyped-def]
    # Lengths deliberately out of order, with a batch size that splits them across batches: each row
    # must come back at its input position, i.e. match its own reference vector best. (int8 activations
    # are quantised per batch, so a text's vector moves by a hair with its batch-mates: compare with a
    # tolerance, not for equality.)
    perm = [6, 5, 3, 0, 2, 1, 4]
    got = encoder.encode_passages([TEXTS[i] for i in perm], batch_size=3)
    sims = got @ REFERENCE.T
    assert list(sims.argmax(1)) == perm
    assert min(sims[row, i] for row, i in enumerate(perm)) >= 0.99


def test_batch_size_one_is_batch_independent(encoder) -> None:  # type: ignore[no-untyped-def]
    one = encoder.encode_passages(TEXTS, batch_size=1)
    alone = np.stack([encoder.encode_passages([t], batch_size=1)[0] for t in reversed(TEXTS)])[::-1]
    np.testing.assert_allclose(one, alone, atol=1e-6)


def test_paraphrase_beats_unrelated(encoder) -> None:  # type: ignore[no-untyped-def]
    q, para, other = encoder.encode_queries(
        [
            "How many people live in Berlin?",
            "What is the population of Berlin?",
            "Recipes for chocolate chip cookies",
        ]
    )
    assert float(q @ para) > float(q @ other) + 0.3


def test_queries_and_passages_share_a_space(encoder) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(
        encoder.encode_queries(TEXTS[:2]), encoder.encode_passages(TEXTS[:2]), atol=1e-6
    )


def test_empty_input(encoder) -> None:  # type: ignore[no-untyped-def]
    assert encoder.encode_passages([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.encode_passages("one string")


def test_checksum_and_manifest(encoder) -> None:  # type: ignore[no-untyped-def]
    assert len(encoder.checksum) == 16
    int(encoder.checksum, 16)
    encoder.verify()  # model.onnx matches manifest.json
    assert encoder.model_id.startswith("sentence-transformers/all-MiniLM-L6-v2")


def test_registry() -> None:
    assert {"minilm", "minilm-torch"} <= set(ENCODERS.names())
    with pytest.raises(ConfigError, match="Did you mean 'minilm'"):
        get_encoder("minlm")


def test_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sleuth.extras

    real = sleuth.extras.importlib.util.find_spec
    monkeypatch.setattr(
        sleuth.extras.importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"pip install torch==2\.13\.0"):
        enc_mod.MiniLMTorchEncoder()


def test_placeholder_model_file_is_explained(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_text("version https://git-lfs.github.com/spec/v1\n")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ConfigError, match="placeholder"):
        enc_mod.MiniLMOnnxEncoder(tmp_path)
