"""The lexical index: BM25F over chunks, document-level results, query-ready on disk.

On disk (``DIR/lexical/``): immutable segments (:mod:`sleuth.index.postings`) opened by mmap, each
with an optional deletes file (its live rows and live document frequencies), all listed and
checksummed in ``manifest.json``. Opening reads the manifest and the segments' headers: its cost does
not grow with the collection. A query combines the segments' statistics (exact BM25F over the live
passages) and runs MaxScore (:mod:`sleuth.index.maxscore`) over them, reading only the postings it
needs. Merges happen in the writer (:func:`flush`), never at open.

The docstore stays the source of truth: chunks newer than the manifest's ``covered`` id (a crash
between the docstore commit and the segment write) are indexed in memory by a reader, and the next
writer persists them; when the docstore holds fewer chunks than the index believes live (a crash
between a docstore delete and its deletes file), the reader finds the missing rows and treats them as
deleted, so a deleted document never comes back.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from sleuth.ranking.ranking import Ranking
from sleuth.errors import CollectionError
from sleuth.index.bm25 import FieldStats
from sleuth.index.container import verify, write_arrays
from sleuth.index.manifest import empty_manifest, read_manifest, write_manifest
from sleuth.index import maxscore
from sleuth.index.maxscore import Scratch, prepare_terms, top_k
from sleuth.index.merging import pick_merge
from sleuth.index.postings import Segment, build_arrays, live_arrays, merge_arrays, open_segment, write_segment
from sleuth.index.tokens import BatchAnalyzer, term_hashes
from sleuth.docstore.store import ChunkRow, DocStore
from sleuth.text import Analyzer

if TYPE_CHECKING:
    from sleuth.config import Settings  # the collection's settings; config itself validates against index

VERSION = 2
"""Format of the manifest and segments; version 1 (scipy matrices rebuilt at every open) is rebuilt."""
MERGE_FACTOR = 8
"""Adjacent segments of one size tier merged at once (a log-structured merge, as Lucene's LogMergePolicy)."""
FLUSH_ROWS = 50_000
"""A writer commits a segment every this many new passages, so memory stays bounded and a crash loses none."""
TARGET_SEGMENTS = 4
"""Beyond this many segments, balanced neighbours are merged too: a query's cost grows with segments."""
MAX_MERGED_ROWS = 1_000_000
"""Segments are not merged beyond this size: a merge's memory stays bounded at any collection size."""
T = TypeVar("T")


def fix_message(directory: Path) -> str:
    return f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild the lexical index from the docstore."


def retry_if_replaced(directory: Path, attempt: Callable[[], T]) -> T:
    """Run ``attempt``; if a file it read vanished (or changed) because a writer published a new
    manifest and removed the old files meanwhile, try again with the new manifest. Real damage still
    raises: the same failure under an unchanged manifest. Any OSError counts (a file can vanish between
    reading the manifest and opening it); once opened, a segment's mmap outlives its removal."""
    for _ in range(20):
        before = read_manifest(directory)
        try:
            return attempt()
        except (CollectionError, OSError) as exc:
            if read_manifest(directory) != before:
                continue
            if isinstance(exc, OSError):
                raise CollectionError(
                    f"An index file in {directory} cannot be read ({exc.strerror or exc}).",
                    f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild it.",
                ) from None
            raise
    return attempt()


def current_manifest(directory: Path) -> dict:
    """The manifest, or an empty one when it is of an older format (whose files this version ignores)."""
    manifest = read_manifest(directory, VERSION)
    return manifest if int(manifest.get("version", 1)) >= VERSION else empty_manifest(VERSION)


def is_outdated(directory: Path) -> bool:
    return int(read_manifest(directory, VERSION).get("version", 1)) < VERSION


def _build(rows: list[ChunkRow], analyzer: Analyzer) -> dict[str, np.ndarray]:
    return build_arrays(np.array([r.id for r in rows], np.int64), [r.doc_id for r in rows],
                        [r.title for r in rows], [r.text for r in rows], BatchAnalyzer(analyzer))


def _tail(store: DocStore, covered: int, analyzer: Analyzer) -> Segment | None:
    rows = [c for batch in store.iter_chunks(after=covered) for c in batch]
    return Segment(_build(rows, analyzer)) if rows else None


# -- the writer ------------------------------------------------------------------------------------


def flush(directory: Path, store: DocStore, analyzer: Analyzer,
          on_progress: Callable[[int], None] | None = None) -> None:
    """Bring the index up to the docstore: deletes, new chunks (a segment per FLUSH_ROWS), merges. Writer only."""
    directory.mkdir(exist_ok=True)
    manifest = {**current_manifest(directory), "docstore": store.id}  # an older format is rebuilt
    fix = fix_message(directory)
    entries = [_apply_deletes(directory, e, store, manifest, fix) for e in manifest["segments"]]
    if entries != manifest["segments"]:
        manifest = _commit(directory, {**manifest, "segments": entries})
    pending: list[ChunkRow] = []
    for batch in store.iter_chunks(after=int(manifest["covered"]), batch=2000):
        pending += batch
        if len(pending) >= 2 * FLUSH_ROWS:  # segments of FLUSH_ROWS..2x: no small leftover after a cut
            manifest = _add_segment(directory, manifest, pending, analyzer)
            if on_progress:
                on_progress(len(pending))
            pending = []
    if pending:
        manifest = _add_segment(directory, manifest, pending, analyzer)
        if on_progress:
            on_progress(len(pending))
    manifest = _merge(directory, manifest, fix)
    if not (directory / "manifest.json").exists() or is_outdated(directory):
        manifest = _commit(directory, manifest)
    _remove_stale(directory, manifest)


def _commit(directory: Path, manifest: dict) -> dict:
    write_manifest(directory, manifest)
    return manifest


def _name(manifest: dict) -> tuple[str, dict]:
    n = int(manifest["next"])
    return f"seg-{n:06d}", {**manifest, "next": n + 1}


def _add_segment(directory: Path, manifest: dict, rows: list[ChunkRow], analyzer: Analyzer) -> dict:
    name, manifest = _name(manifest)
    entry = write_segment(directory / f"{name}.lex", _build(rows, analyzer))
    return _commit(directory, {**manifest, "covered": entry["max_chunk"], "segments": [*manifest["segments"], entry]})


def _live_rows(entry: dict) -> int:
    return int(entry.get("deletes", {}).get("live", entry["rows"]))


def _apply_deletes(directory: Path, entry: dict, store: DocStore, manifest: dict, fix: str) -> dict:
    """The entry with a new deletes file if the docstore lost chunks of this segment since the last one."""
    live_now = store.count_chunks_between(entry["min_chunk"], entry["max_chunk"])
    if live_now == _live_rows(entry):
        return entry
    seg = open_segment(directory, entry, fix)
    live = np.isin(np.asarray(seg.row_chunk), store.chunk_ids_between(entry["min_chunk"], entry["max_chunk"]))
    gen = int(entry.get("deletes", {}).get("gen", 0)) + 1
    name = f"{Path(entry['file']).stem}.del-{gen:04d}.lex"
    d = write_arrays(directory / name, live_arrays(seg, live), {"kind": "lexical-deletes"})
    return {**entry, "deletes": {**d, "gen": gen, "live": int(live.sum())}}


def _merge(directory: Path, manifest: dict, fix: str) -> dict:
    """Merge runs of MERGE_FACTOR adjacent segments of one tier, and compact mostly-deleted ones."""
    while True:
        entries = manifest["segments"]
        run = _pick_merge(entries)
        if run is None:
            return manifest
        a, b = run
        parts = []
        for e in entries[a:b]:
            verify(directory / e["file"], e, fix)  # never merge damage into a new, "valid" segment
            parts.append(open_segment(directory, e, fix))
        name, manifest = _name(manifest)
        if sum(_live_rows(e) for e in entries[a:b]):
            merged = [write_segment(directory / f"{name}.lex", merge_arrays(parts))]
        else:
            merged = []
        manifest = _commit(directory, {**manifest, "segments": [*entries[:a], *merged, *entries[b:]]})


def _pick_merge(entries: list[dict]) -> tuple[int, int] | None:
    for i, e in enumerate(entries):  # a segment more than half deleted is rewritten on its own
        if _live_rows(e) * 2 < e["rows"]:
            return i, i + 1
    return pick_merge([_live_rows(e) for e in entries], MERGE_FACTOR, MAX_MERGED_ROWS, target=TARGET_SEGMENTS)


def _remove_stale(directory: Path, manifest: dict) -> None:
    keep = {"manifest.json"}
    for e in manifest["segments"]:
        keep.add(e["file"])
        if e.get("deletes"):
            keep.add(e["deletes"]["file"])
    for stale in directory.iterdir():
        if stale.name not in keep:
            stale.unlink(missing_ok=True)


# -- the reader ------------------------------------------------------------------------------------


class LexicalIndex:
    """A query-ready view of the lexical index: the manifest's segments (mmapped) plus the unflushed tail."""

    def __init__(self, segments: list[Segment], settings: Settings, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.segments = segments
        self._local = threading.local()
        n = sum(int(s.live_stats[0]) for s in segments)
        body = sum(int(s.live_stats[1]) for s in segments)
        title = sum(int(s.live_stats[2]) for s in segments)
        self.n_chunks = n
        self.stats = FieldStats(n=n, avg_body=body / n if n else 0.0, avg_title=title / n if n else 0.0,
                                k1=settings.k1, b=settings.b, title_b=settings.title_b,
                                title_weight=settings.title_weight)

    @classmethod
    def load(cls, directory: Path, store: DocStore, settings: Settings, analyzer: Analyzer) -> LexicalIndex:
        fix = fix_message(directory)

        def attempt() -> LexicalIndex:
            manifest = current_manifest(directory)
            segments = [open_segment(directory, e, fix) for e in manifest["segments"]]
            with store.snapshot():
                tail = _tail(store, int(manifest["covered"]), analyzer)
                if tail is not None:
                    segments.append(tail)
                expected = sum(int(s.live_stats[0]) for s in segments)
                if store.count_chunks() != expected:
                    segments = _reconcile(segments, store)
            return cls(segments, settings, analyzer)

        return retry_if_replaced(directory, attempt)

    def search(self, query: str, k: int = 10) -> Ranking:
        counts = Counter(self.analyzer.terms(query))
        if not counts or k <= 0 or not self.n_chunks:
            return Ranking.empty()
        exhaustive = sum(seg.rows for seg in self.segments) <= maxscore.EXHAUSTIVE_ROWS
        terms = prepare_terms(self.segments, dict(counts), term_hashes(list(counts)), self.stats, bounds=not exhaustive)
        found = top_k(self.segments, terms, self.stats, k, self._scratch())
        segs = self.segments
        return Ranking(
            [segs[si].doc_name(int(segs[si].row_doc[row])) for _, si, row in found],
            np.array([score for score, _, _ in found]),
            np.array([int(segs[si].row_chunk[row]) for _, si, row in found], np.int64),
        )

    def search_passages(self, query: str, k: int = 10) -> Ranking:
        """The ``k`` best *passages* (several per document allowed), each with its document id."""
        counts = Counter(self.analyzer.terms(query))
        if not counts or k <= 0 or not self.n_chunks:
            return Ranking.empty()
        terms = prepare_terms(self.segments, dict(counts), term_hashes(list(counts)), self.stats, bounds=False)
        found = maxscore.top_passages(self.segments, terms, self.stats, k)
        segs = self.segments
        return Ranking(
            [segs[si].doc_name(int(segs[si].row_doc[row])) for _, si, row in found],
            np.array([score for score, _, _ in found]),
            np.array([int(segs[si].row_chunk[row]) for _, si, row in found], np.int64),
        )

    def _scratch(self) -> Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:  # one per thread: searches may run in threads (the HTTP server)
            scratch = self._local.scratch = Scratch(self.segments)
        return scratch

    def search_batch(self, queries: list[str], k: int = 10) -> list[Ranking]:
        return [self.search(q, k) for q in queries]

    def document_frequency(self, term: str) -> int:
        """Live passages holding the index term ``term`` (an analysed stem) in a weighted field."""
        found = prepare_terms(self.segments, {term: 1}, term_hashes([term]), self.stats)
        if not found:
            return 0
        return sum(int((s.df if self.stats.title_weight > 0 else s.dfb)[loc])
                   for s, loc in zip(self.segments, found[0].local.tolist()) if loc >= 0)

    def _live(self) -> Iterator[tuple[Segment, np.ndarray]]:
        for s in self.segments:
            yield s, (np.ones(s.rows, bool) if s.live is None else np.asarray(s.live))

    @property
    def chunk_ids(self) -> np.ndarray:
        """Every live chunk id (reads every segment's rows: for checks, not for queries)."""
        parts = [np.asarray(s.row_chunk)[live] for s, live in self._live()]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    @property
    def doc_ids(self) -> list[str]:
        """Every live document id (reads every segment: for checks, not for queries)."""
        out: list[str] = []
        for s, live in self._live():
            out += [s.doc_name(int(d)) for d in np.unique(np.asarray(s.row_doc)[live]).tolist()]
        return out


def _reconcile(segments: list[Segment], store: DocStore) -> list[Segment]:
    """Treat as deleted the rows whose chunks the docstore no longer has (see the module docstring)."""
    out = []
    for s in segments:
        chunks = np.asarray(s.row_chunk)
        if not len(chunks):
            continue
        live = np.isin(chunks, store.chunk_ids_between(int(chunks.min()), int(chunks.max())))
        if s.live is not None:
            live &= np.asarray(s.live)
        if live.all() and s.live is None:
            out.append(s)
            continue
        d = live_arrays(s, live)
        out.append(Segment(s.a, live, d["df"], d["dfb"], d["stats"]))
    return out
