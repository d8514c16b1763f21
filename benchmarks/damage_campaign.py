"""Damage campaign: flip bits in docs.sqlite and meta.json, and check that nothing changes silently.

    python benchmarks/damage_campaign.py                 # 40 flips per byte-position class, seed 0
    python benchmarks/damage_campaign.py --per-class 200 --seed 3 --meta-every 1

For every flip (one random bit of one byte, in a fresh copy of a small collection) the verdict is one of:

- **detected**: ``sleuth doctor`` reports the collection unhealthy, naming the file (and the damaged
  rows, when it can read them) — and no read served changed content meanwhile;
- **harmless**: the database's logical content (every row of every table and index, and the schema,
  read through a fresh SQLite connection) is byte-for-byte what it was, or differs only in a value that
  cannot change a result (the write-generation counter; the AUTOINCREMENT bookkeeping, given that doctor's
  binding check passed — see :func:`harmless_difference`);
- **silent** (a failure): content changed and doctor says ok;
- **served** (a failure): a search, a document read or a listing returned content that differs from
  the undamaged collection without raising an error;
- **traceback** (a failure): any exception that is not one of sleuth's own errors.

Byte positions of docs.sqlite are grouped into classes from the SQLite file format
(https://www.sqlite.org/fileformat2.html): the 100-byte database header, and for each b-tree page
kind (table/index x leaf/interior) its page header, cell-pointer array, unallocated space and cell
content; overflow pages and freelist pages are two more classes. meta.json's bytes are one class each of
keys, values and punctuation/whitespace (or every byte with ``--meta-every 1``).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from sleuth.config import Settings  # noqa: E402
from sleuth.errors import SleuthError  # noqa: E402
from sleuth.store.embedded.collection import Collection  # noqa: E402
from sleuth.store.embedded.doctor import diagnose  # noqa: E402
from sleuth.docstore.sqlite import sqlite_uri  # noqa: E402
from sleuth.types import Document  # noqa: E402

WORDS = ("bread flour water salt yeast oven crust dough rye wheat sugar eggs butter milk honey knead rise "
         "bake loaf starter sourdough barley oat spelt crumb scoring proof cool slice toast").split()
QUERIES = ("bread flour", "sourdough starter", "rye crust", "honey oat loaf")


def corpus(n: int = 60, seed: int = 0) -> list[Document]:
    """Recipes long enough that the docstore has interior pages and overflow pages."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        words = 4000 if i % 20 == 0 else rng.randint(60, 400)  # some documents overflow their page
        text = " ".join(rng.choice(WORDS) for _ in range(words)) + "."
        docs.append(Document(f"r{i}", text, f"Recipe {i} " + rng.choice(WORDS), f"recipes/{i}.txt", {"n": i}))
    return docs


def build(directory: Path) -> Path:
    with Collection.create(directory, Settings(encoder="none")) as col:
        col.ingest(corpus(), batch_size=15)
        col.delete(["r20", "r21", "r33"])  # freed pages: the freelist is a byte class too
    return directory


# -- what the collection serves, and what the file holds ---------------------------------------------


def served(directory: Path) -> dict[str, set[Any]]:
    """Everything a user can read: search hits with their passages, every document, the listing."""
    with Collection.open(directory, readonly=True) as col:
        hits = {(q, h.doc_id, h.chunk.text if h.chunk else "", h.title)
                for q in QUERIES for h in col.search(q, 10, mode="bm25")}
        listing = col.store.list_documents(limit=10**6)
        docs = [col.store.get_document(d) for d, _, _ in listing]
        return {"hits": {h[1:] for h in hits}, "listing": set(listing),
                "documents": {(d.doc_id, d.title, d.text, d.source, json.dumps(d.metadata)) for d in docs if d}}


def passages(directory: Path) -> set[Any]:
    """(doc_id, passage, title) of every passage: what a correct hit can show."""
    with Collection.open(directory, readonly=True) as col:
        return {(c.doc_id, c.text, c.title) for batch in col.store.iter_chunks() for c in batch}


def compare(got: dict[str, set[Any]], want: dict[str, set[Any]], allowed_hits: set[Any]) -> str:
    """"changed" if anything served is not what was written; "missing" if only some of it is absent."""
    if not got["hits"] <= allowed_hits or not got["listing"] <= want["listing"] or not got["documents"] <= want["documents"]:
        return "changed"
    return "same" if got == want else "missing"


def logical(path: Path) -> dict[str, Any] | None:
    """Every row of every table and index, and the schema; None when SQLite cannot read it."""
    try:
        db = sqlite3.connect(sqlite_uri(path, "ro"), uri=True)
        db.text_factory = bytes
        try:
            out: dict[str, Any] = {"schema": db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                                        "ORDER BY name").fetchall()}
            for table in ("documents", "chunks", "store_meta", "sqlite_sequence"):
                out[table] = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            out["chunks_doc"] = db.execute("SELECT doc, id FROM chunks INDEXED BY chunks_doc ORDER BY doc, id").fetchall()
            out["doc_ids"] = db.execute("SELECT doc_id FROM documents ORDER BY doc_id").fetchall()
            return out
        finally:
            db.close()
    except sqlite3.Error:
        return None


def harmless_difference(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Only the generation counter or the AUTOINCREMENT bookkeeping (``sqlite_sequence``) changed.

    The counter only tells a server to reload. ``sqlite_sequence`` only decides the next row ids, and
    this is called only when doctor found the collection healthy, which includes the binding check
    (every index's highest covered chunk id <= the ids the docstore counts as allocated): so whatever
    the damaged bookkeeping now says, new passages get ids above every id an index holds, and no old
    posting can attach to a new passage. Document row ids are never referenced outside the docstore."""
    changed = {k for k in before if before[k] != after.get(k)}
    if not changed <= {"store_meta", "sqlite_sequence"}:
        return False
    if "store_meta" in changed:
        keep = lambda rows: [r for r in rows if r[0] != b"generation"]  # noqa: E731
        if keep(before["store_meta"]) != keep(after["store_meta"]):
            return False
    return True


# -- byte-position classes ---------------------------------------------------------------------------

KINDS = {2: "index interior", 5: "table interior", 10: "index leaf", 13: "table leaf"}


def classes(path: Path) -> dict[str, list[int]]:
    data = path.read_bytes()
    size = int.from_bytes(data[16:18], "big")
    size = 65536 if size == 1 else size
    out: dict[str, list[int]] = defaultdict(list)
    out["database header"] = list(range(100))
    free = _freelist(data, size)
    for start in range(0, len(data), size):
        h = start + (100 if start == 0 else 0)
        kind = KINDS.get(data[h])
        if start // size + 1 in free:
            out["freelist page"] += range(start, start + size)
            continue
        if kind is None:
            out["overflow page"] += range(start, start + size)
            continue
        head = 12 if data[h] in (2, 5) else 8
        cells = int.from_bytes(data[h + 3 : h + 5], "big")
        content = int.from_bytes(data[h + 5 : h + 7], "big") or 65536
        pointers_end = h + head + 2 * cells
        out[f"{kind}: page header"] += range(h, h + head)
        out[f"{kind}: cell pointers"] += range(h + head, pointers_end)
        out[f"{kind}: unallocated"] += range(pointers_end, start + content)
        out[f"{kind}: cells"] += range(start + content, start + size)
    return {k: v for k, v in out.items() if v}


def _freelist(data: bytes, size: int) -> set[int]:
    """Page numbers on the freelist: trunk pages (next trunk, count, leaf numbers) and their leaves."""
    pages: set[int] = set()
    trunk = int.from_bytes(data[32:36], "big")
    while trunk and trunk not in pages and trunk * size <= len(data):
        pages.add(trunk)
        base = (trunk - 1) * size
        count = int.from_bytes(data[base + 4 : base + 8], "big")
        pages.update(int.from_bytes(data[base + 8 + 4 * i : base + 12 + 4 * i], "big") for i in range(count))
        trunk = int.from_bytes(data[base : base + 4], "big")
    return pages


# -- one flip -------------------------------------------------------------------------------------------


def verdict(directory: Path, want: tuple[dict[str, set[Any]], set[Any]], want_logical: dict[str, Any] | None) -> str:
    """detected | harmless | silent | served | traceback, for the (already damaged) collection.

    Rows that a damaged page hides are "missing": acceptable only when doctor reports the damage."""
    try:
        try:
            seen = compare(served(directory), *want)
        except SleuthError:
            seen = "same"
        report = diagnose(directory)
    except Exception:  # noqa: BLE001 - what this campaign hunts
        return "traceback"
    if seen == "changed":
        return "served"
    if not report.ok:
        return "detected"
    if seen == "missing":
        return "silent"
    now = logical(directory / "docs.sqlite") if want_logical is not None else None
    if want_logical is None or now == want_logical or (now is not None and harmless_difference(want_logical, now)):
        return "harmless"
    return "silent"


def flip(path: Path, position: int, bit: int) -> None:
    with open(path, "r+b") as f:
        f.seek(position)
        byte = f.read(1)[0]
        f.seek(position)
        f.write(bytes([byte ^ (1 << bit)]))


def docstore_campaign(per_class: int, seed: int, work: Path) -> dict[str, Counter]:
    template = build(work / "template")
    want_served, want_logical = (served(template), passages(template)), logical(template / "docs.sqlite")
    rng = random.Random(seed)
    results: dict[str, Counter] = {}
    for name, positions in sorted(classes(template / "docs.sqlite").items()):
        results[name] = Counter()
        for position in rng.sample(positions, min(per_class, len(positions))):
            trial = work / "trial"
            shutil.rmtree(trial, ignore_errors=True)
            shutil.copytree(template, trial)
            flip(trial / "docs.sqlite", position, rng.randrange(8))
            outcome = verdict(trial, want_served, want_logical)
            results[name][outcome] += 1
            if outcome in ("silent", "served", "traceback"):
                results[name][f"first {outcome} at byte"] = results[name][f"first {outcome} at byte"] or position
    return results


def meta_campaign(every: int, work: Path) -> dict[str, Counter]:
    template = work / "template"
    want = served(template), passages(template)
    raw = (template / "meta.json").read_bytes()
    kinds = _meta_classes(raw)
    results: dict[str, Counter] = {k: Counter() for k in sorted(set(kinds.values()))}
    for position in range(0, len(raw), every):
        for bit in range(8):
            trial = work / "meta-trial"
            shutil.rmtree(trial, ignore_errors=True)
            shutil.copytree(template, trial)
            flip(trial / "meta.json", position, bit)
            outcome = verdict(trial, want, None)
            if outcome == "harmless":  # a meta flip is harmless only if the parsed file is unchanged
                try:
                    same = json.loads((trial / "meta.json").read_bytes()) == json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    same = False
                outcome = "harmless" if same else "silent"
            results[kinds[position]][outcome] += 1
    return results


def _meta_classes(raw: bytes) -> dict[int, str]:
    """Each byte of meta.json: inside a key, inside a value, or structure (quotes, colons, spaces)."""
    text = raw.decode()
    out, in_string, is_key, expecting_key = {}, False, False, True
    pos = 0
    for ch in text:
        width = len(ch.encode())
        if in_string:
            kind = "key bytes" if is_key else "value bytes"
            if ch == '"':
                in_string, kind = False, "structure"
        elif ch == '"':
            in_string, is_key, kind = True, expecting_key, "structure"
        else:
            kind = "value bytes" if ch not in '{}[],: \n' else "structure"
            if ch in "{,":
                expecting_key = True
            elif ch in ":[":
                expecting_key = False
        for b in range(pos, pos + width):
            out[b] = kind
        pos += width
    return out


FAILURES = ("silent", "served", "traceback")


def table(title: str, results: dict[str, Counter]) -> list[str]:
    lines = [f"\n{title}", "| byte-position class | flips | detected | harmless | silent | served | traceback |",
             "|---|---|---|---|---|---|---|"]
    total: Counter = Counter()
    for name, c in results.items():
        n = sum(c[k] for k in ("detected", "harmless", *FAILURES))
        total.update({k: c[k] for k in ("detected", "harmless", *FAILURES)})
        lines.append(f"| {name} | {n} | {c['detected']} | {c['harmless']} | {c['silent']} | {c['served']} | "
                     f"{c['traceback']} |")
    n = sum(total.values())
    lines.append(f"| **all** | {n} | {total['detected']} | {total['harmless']} | {total['silent']} | "
                 f"{total['served']} | {total['traceback']} |")
    return lines


def run(per_class: int, seed: int, meta_every: int) -> tuple[dict[str, Counter], dict[str, Counter]]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs = docstore_campaign(per_class, seed, work)
        meta = meta_campaign(meta_every, work)
    return docs, meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-class", type=int, default=40, help="docs.sqlite flips per byte-position class")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--meta-every", type=int, default=4, help="flip all 8 bits of every N-th byte of meta.json")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    docs, meta = run(args.per_class, args.seed, args.meta_every)
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/damage_campaign.py --per-class {args.per_class} --seed {args.seed} "
          f"--meta-every {args.meta_every}   ({time.perf_counter() - t:.0f} s)")
    print("\n".join(table("docs.sqlite (one random bit per sampled byte)", docs)))
    print("\n".join(table("meta.json (all 8 bits of each sampled byte)", meta)))
    failed = sum(c[k] for r in (docs, meta) for c in r.values() for k in FAILURES)
    print(f"\n{failed} failure(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
