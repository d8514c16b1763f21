"""Own lexical format or tantivy underneath? The effectiveness half of the measurement.

    python benchmarks/bench_engine_choice.py [--data-root ../shared/data]

tantivy 0.27 (Python binding) with title and body as two fields, English stemming, the query parsed
over both fields (BM25 per field, summed: tantivy has no BM25F), with the title boosted 2x as sleuth's
title weight; and with sleuth's own analysis (stop words, Snowball) fed to tantivy as pre-analysed
whitespace tokens, to separate the analyser from the scoring. sleuth's BM25F comes from the same
``run_beir`` the regression check uses. nDCG@10 on the test qrels; the speed half is
``benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, load_beir, machine  # noqa: E402

DATASETS = ("scifact", "cranfield", "cisi", "med", "adi", "cacm")


def tantivy_run(corpus: list[dict], queries: dict[str, str], pre_analysed: bool, title_boost: float) -> dict:
    import tantivy

    from sleuth.text import Analyzer

    an = Analyzer()
    prep = (lambda t: " ".join(an.terms(t))) if pre_analysed else (lambda t: t)
    tok = "whitespace" if pre_analysed else "en_stem"
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", tokenizer_name=tok)
    sb.add_text_field("body", tokenizer_name=tok)
    with tempfile.TemporaryDirectory() as tmp:
        index = tantivy.Index(sb.build(), path=tmp)
        w = index.writer(heap_size=100_000_000, num_threads=1)
        for d in corpus:
            w.add_document(tantivy.Document(id=d["_id"], title=prep(d.get("title", "")), body=prep(d.get("text", ""))))
        w.commit()
        w.wait_merging_threads()
        index.reload()
        searcher = index.searcher()
        run = {}
        for qid, q in queries.items():
            words = prep(q) if pre_analysed else " ".join("".join(c if c.isalnum() else " " for c in q).split())
            if not words.strip():
                run[qid] = {}
                continue
            query = index.parse_query(words, ["title", "body"], field_boosts={"title": title_boost})
            hits = searcher.search(query, 100).hits
            run[qid] = {searcher.doc(a)["id"][0]: float(s) for s, a in hits}
        return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, default=SHARED)
    a = ap.parse_args()
    from sleuth.config import Settings
    from sleuth.evaluate.experiment import run_beir
    from sleuth.evaluate.metrics import evaluate_run

    print(f"Machine: {machine()}\n")
    print("| collection | sleuth BM25F | tantivy, its en_stem | tantivy, sleuth's analysis | tantivy, sleuth's analysis, title 1x |")
    print("|---|---|---|---|---|")
    for name in DATASETS:
        data = a.data_root / name
        if not (data / "corpus.jsonl").exists():
            continue
        corpus, queries, qrels = load_beir(data)
        ours = run_beir(data, "bm25", split="test", metrics=("ndcg@10",), settings=Settings(encoder="none"))["ndcg@10"]
        cells = [f"{ours:.4f}"]
        for pre, boost in ((False, 2.0), (True, 2.0), (True, 1.0)):
            got = evaluate_run(qrels, tantivy_run(corpus, queries, pre, boost), ("ndcg@10",))["ndcg@10"]
            cells.append(f"{got:.4f} ({got - ours:+.4f})")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
