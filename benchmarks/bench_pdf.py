"""PDF extraction quality and speed: sleuth vs pypdf, pdftotext (poppler) and raw pypdfium2, in one run.

    python benchmarks/bench_pdf.py [--truth ../shared/data/pdfs/truth.jsonl] [--json]

Every extractor reads every PDF listed in the truth file in its own child process (so its peak RSS is
its own); pdftotext is Debian's poppler-utils binary and pdfminer.six (the other permissively licensed
layout extractor sleuth could have been built on) a pip package: each is skipped, and said so, when
it is not installed.
Measures, all after NFKC, plain quotes and dashes, one space and case folding (the truth file's
conventions, ``../shared/data/pdfs/README.md``):

- title / first author / year / arXiv id: sleuth's metadata equals the truth (arXiv id: on the papers
  that print one); the peers extract no metadata.
- furniture absent: share of the ``absent`` strings not found in the text (sleuth: the indexed body text).
- order pairs: share of ``order`` pairs whose first phrase is found and the second found after it.
- hyphenated whole / ligature words plain: share of those words found as whole words in the text
  (lower-cased, but without NFKC or case folding: a ligature glyph is not its letters to a search index).
- sections: share of the truth's top-level headings among sleuth's level-1 sections; references:
  papers whose parsed reference count is within 10% of the truth's; abstract: papers whose abstract
  holds the truth's first and last sentence.
- pages/s: pages of all files / wall time of extraction; peak RSS of the extractor's process.
- re-index: the truth folder indexed once, then again unchanged (every file skipped before parsing).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, machine  # noqa: E402

from sleuth.ingest.pdf.clean import comparable  # noqa: E402


def _sleuth(path: Path) -> dict[str, Any]:
    from sleuth.ingest.base import Options, Source
    from sleuth.ingest.pdf.reader import read_pdf

    doc = next(read_pdf(Source(path, path.name), Options()))
    md = doc.metadata
    return {"text": doc.text, "title": doc.title, "authors": md.get("authors", []), "year": md.get("year"),
            "arxiv_id": md.get("arxiv_id"), "sections": [s["title"] for s in md.get("sections", []) if s["level"] == 1],
            "references": len(md.get("references", [])), "abstract": md.get("abstract", "")}


def _pypdf(path: Path) -> dict[str, Any]:
    from pypdf import PdfReader

    return {"text": "\n\n".join(p.extract_text() or "" for p in PdfReader(path).pages)}


def _pdfium(path: Path) -> dict[str, Any]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    parts = []
    for i in range(len(doc)):
        page = doc[i]
        tp = page.get_textpage()
        parts.append(tp.get_text_range())
        tp.close()
        page.close()
    doc.close()
    return {"text": "\n\n".join(parts)}


def _pdftotext(path: Path) -> dict[str, Any]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return {"text": out.stdout.decode("utf-8", "replace")}


def _pdfminer(path: Path) -> dict[str, Any]:
    from pdfminer.high_level import extract_text

    return {"text": extract_text(str(path))}


EXTRACTORS = {"sleuth": _sleuth, "pypdf": _pypdf, "pdftotext": _pdftotext, "pypdfium2 raw": _pdfium,
              "pdfminer.six": _pdfminer}
OPTIONAL = {"pdftotext": ("pdftotext", "Debian: apt-get install poppler-utils"),
            "pdfminer.six": ("pdfminer", "pip install pdfminer.six")}


def _child(name: str, files: list[str], conn: Any) -> None:
    fn = EXTRACTORS[name]
    results = {}
    t = time.perf_counter()
    for f in files:
        results[f] = fn(Path(f))
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if name == "pdftotext":
        rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    conn.send((results, elapsed, rss))
    conn.close()


def run(name: str, files: list[str]) -> tuple[dict[str, Any], float, float]:
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("spawn").Process(target=_child, args=(name, files, child))
    proc.start()
    out = parent.recv()
    proc.join()
    return out


def _whole(word: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", text) is not None


def _plain(text: str) -> str:
    """Case folded and spaces collapsed, but not NFKC: a ligature glyph must not pass as its letters."""
    return " ".join(text.split()).lower()  # not casefold(): it turns "ﬁ" into "fi" too


def score(truth: list[dict[str, Any]], results: dict[str, Any], root: Path) -> dict[str, Any]:
    absent = order = hyph = lig = 0
    n_absent = n_order = n_hyph = n_lig = 0
    meta = {"title": 0, "first author": 0, "year": 0, "arxiv": 0, "sections": 0.0, "references": 0, "abstract": 0}
    n_arxiv = 0
    for t in truth:
        r = results[str(root / t["file"])]
        text = comparable(r["text"])
        for s in t["absent"]:
            n_absent += 1
            absent += comparable(s) not in text
        for a, b in t["order"]:
            n_order += 1
            i = text.find(comparable(a))
            order += i >= 0 and text.find(comparable(b), i + len(comparable(a))) >= 0
        plain = _plain(r["text"])
        for w in t["hyphenated"]:
            n_hyph += 1
            hyph += _whole(w, plain)
        for w in t["ligature_words"]:
            n_lig += 1
            lig += _whole(w, plain)
        if "title" in r:
            meta["title"] += comparable(r["title"]) == comparable(t["title"])
            meta["first author"] += bool(r["authors"]) and comparable(r["authors"][0]) == comparable(t["authors"][0])
            meta["year"] += r["year"] == t["year"]
            if t["arxiv_id"]:
                n_arxiv += 1
                meta["arxiv"] += r["arxiv_id"] == t["arxiv_id"]
            got = {comparable(s) for s in r["sections"]}
            meta["sections"] += sum(comparable(s) in got for s in t["sections"]) / max(1, len(t["sections"]))
            meta["references"] += abs(r["references"] - t["references_count"]) <= 0.1 * t["references_count"]
            ab = comparable(r["abstract"])
            meta["abstract"] += comparable(t["abstract_first"]) in ab and comparable(t["abstract_last"]) in ab
    out: dict[str, Any] = {
        "furniture absent": absent / max(1, n_absent), "order pairs": order / max(1, n_order),
        "hyphenated whole": hyph / max(1, n_hyph), "ligature words plain": lig / max(1, n_lig),
    }
    if "title" in next(iter(results.values())):
        n = len(truth)
        out.update({"title": f"{meta['title']}/{n}", "first author": f"{meta['first author']}/{n}",
                    "year": f"{meta['year']}/{n}", "arXiv id": f"{meta['arxiv']}/{n_arxiv}",
                    "sections": meta["sections"] / n, "references ±10%": f"{meta['references']}/{n}",
                    "abstract": f"{meta['abstract']}/{n}"})
    return out


def reindex(files: list[str], repeat: int = 3) -> dict[str, float]:
    """Seconds to re-index the unchanged PDFs: in-process ``ingest`` and the whole ``sleuth index``
    command (interpreter start included), best of ``repeat``, after a first full index."""
    import tempfile

    from sleuth.config import Settings
    from sleuth.ingest import read_paths
    from sleuth.store.embedded.collection import Collection

    with tempfile.TemporaryDirectory() as tmp:
        col_dir = Path(tmp) / "c"
        with Collection.create(col_dir, Settings(encoder="none")) as col:  # lexical: the first pass needs no embedding
            col.ingest(read_paths(files, ledger=col.store))
            best = float("inf")
            for _ in range(repeat):
                t = time.perf_counter()
                summary = col.ingest(read_paths(files, ledger=col.store))
                best = min(best, time.perf_counter() - t)
            assert summary.added == summary.updated == 0
        sleuth = Path(sys.executable).with_name("sleuth")
        wall = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            subprocess.run([str(sleuth), "index", *files, "-c", str(col_dir), "--no-progress"], check=True,
                           capture_output=True)
            wall = min(wall, time.perf_counter() - t)
    return {"ingest_s": best, "command_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--truth", type=Path, default=SHARED / "pdfs" / "truth.jsonl")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.truth.exists():
        sys.exit(f"No truth file at {args.truth}: pass --truth PATH (../shared/data/pdfs/truth.jsonl).")
    truth = [json.loads(line) for line in args.truth.open(encoding="utf-8") if line.strip()]
    root = args.truth.parent
    files = [str(root / t["file"]) for t in truth]
    pages = sum(t["pages"] for t in truth)
    rows: dict[str, dict[str, Any]] = {}
    for name in EXTRACTORS:
        if name in OPTIONAL:
            what, how = OPTIONAL[name]
            present = shutil.which(what) if name == "pdftotext" else importlib.util.find_spec(what)
            if not present:
                print(f"{name}: not installed ({how}); skipped", file=sys.stderr)
                continue
        results, elapsed, rss = run(name, files)
        rows[name] = {**score(truth, results, root), "pages/s": pages / elapsed, "peak RSS MB": rss}
    again = reindex(files)
    if args.json:
        print(json.dumps({"machine": machine(), "pages": pages, "files": len(files), "rows": rows,
                          "reindex_unchanged": again}, indent=2))
        return
    cols = ["title", "first author", "year", "arXiv id", "furniture absent", "order pairs", "hyphenated whole",
            "ligature words plain", "sections", "references ±10%", "abstract", "pages/s", "peak RSS MB"]
    print(f"# {len(files)} PDFs, {pages} pages; {machine()}")
    print("| extractor | " + " | ".join(cols) + " | pages/s vs pypdf |")
    print("|---" * (len(cols) + 2) + "|")
    base = rows.get("pypdf", {}).get("pages/s")
    for name, row in rows.items():
        cells = []
        for c in cols:
            v = row.get(c, "—")
            cells.append(f"{v:.2f}" if isinstance(v, float) and c not in ("pages/s", "peak RSS MB") else
                         f"{v:.0f}" if isinstance(v, float) else str(v))
        ratio = f"{row['pages/s'] / base:.2f}x" if base else "—"
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")
    print(f"\nRe-index of the unchanged folder ({len(files)} PDFs), best of 3: {again['ingest_s']:.2f} s in-process "
          f"(Collection.ingest), {again['command_s']:.2f} s for the whole `sleuth index` command.")


if __name__ == "__main__":
    main()
