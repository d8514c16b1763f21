"""The embedded collection: one directory (its layout in :mod:`.layout`) with the SQLite docstore as the source
of truth and the indexes derived from it; one writer at a time, any number of readers."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sleuth.config import Settings
from sleuth.errors import CollectionError
from sleuth.index import vectors
from sleuth.index.dense import DenseIndex
from sleuth.index.lexical import LexicalIndex
from sleuth.index.encoders import Encoder
from sleuth.index.vectors import passage_text
from sleuth.rerank.cross_encoder import CrossEncoder
from sleuth.ingest.sources import SourceRecord, SourceSeen, Unchanged
from sleuth.store.embedded import binding
from sleuth.atomic import fsync_dir
from sleuth.docstore.store import DocStore
from sleuth.docstore.integrity import content_hash
from sleuth.docstore.papers import corrected
from sleuth.store.base import CAPABILITIES, Failure, IngestSummary, Searchable, batch_documents, document_spans
from sleuth.store.embedded.derived import DERIVED, kept
from sleuth.store.embedded.layout import DOCSTORE, LEXICAL, LOCK, VECTORS, clear_trash, refuse_foreign
from sleuth.store.embedded.lock import WriteLock
from sleuth.store.embedded.meta import META, MetaDamagedError, immutable_part, new_meta, read_meta, save_meta, upgrade_meta, write_tuned
from sleuth.text import Analyzer
from sleuth.types import Document
from sleuth.validation import document_problem



class Collection(Searchable):
    """Open with :meth:`open` (existing) or :meth:`create`; :meth:`open_or_create` for ingest."""

    engine = "the embedded store"
    capabilities = frozenset(CAPABILITIES)

    def __init__(self, directory: Path, meta: dict[str, Any], *, readonly: bool, bind: bool = True) -> None:
        """Use :meth:`open` / :meth:`create`. ``bind=False`` skips the docstore/index binding checks
        (``sleuth doctor --repair`` opens a collection whose indexes it is about to rebuild)."""
        self.directory = directory
        self.meta = meta
        self.settings = Settings.from_dict(meta["settings"])
        self.analyzer = Analyzer(stemmer=self.settings.stemmer, stopwords=self.settings.stopwords)
        self.readonly = readonly
        self.store = DocStore(directory / DOCSTORE, readonly=readonly)
        try:
            if bind:
                indexes = [(d.name, d.folder) for d in kept(self.settings.to_dict())]
                binding.check(directory, meta, self.store, indexes)
            if bind and not readonly:
                self._bind_manifests()
        except BaseException:
            self.store.close()
            raise
        self._lexical: LexicalIndex | None = None
        self._dense: DenseIndex | None = None
        self._encoder: Encoder | None = None
        self._reranker: CrossEncoder | None = None
        self._loading = threading.RLock()  # request threads share one view: each index is loaded once

    def _bind_manifests(self, *, locked: bool = False) -> None:
        """Record the docstore id in meta.json, its copy and the manifests of a collection written before
        ids existed (format 1). Writers only (``locked``: the caller holds the write lock); a no-op once
        bound."""
        if self.meta.get("docstore_id") == self.store.id:
            return
        with contextlib.nullcontext() if locked else WriteLock(self.directory):
            self.meta = upgrade_meta(self.directory, self.meta, str(self.store.id))
            self.store.set_meta_copy(immutable_part(self.meta))
            binding.bind_manifests(self.directory, self.store, [DERIVED.get(n).folder for n in DERIVED])

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path | str, settings: Settings | None = None) -> Collection:
        """A new collection in ``directory`` (absent or empty). meta.json is written last, so a kill at
        any point leaves either nothing or leftovers that the next ``create`` clears."""
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise CollectionError(f"{directory} is a file, not a collection directory.", "Choose another --collection.")
        if (directory / META).exists():
            raise CollectionError(f"{directory} already holds a collection.", "Open it instead, or choose another directory.")
        refuse_foreign(directory)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CollectionError(f"Cannot create {directory}: {exc.strerror}.", "Choose another --collection.") from None
        with WriteLock(directory):
            refuse_foreign(directory)
            for leftover in directory.iterdir():
                if leftover.name != LOCK:
                    leftover.unlink()
            store_id = uuid.uuid4().hex
            meta = new_meta(settings or Settings(), store_id)
            DocStore.create(directory / DOCSTORE, store_id, immutable_part(meta)).close()
            meta = save_meta(directory, meta)
        return cls(directory, meta, readonly=False)

    @classmethod
    def open(cls, directory: Path | str, *, readonly: bool = False) -> Collection:
        directory = Path(directory)
        if not directory.is_dir():
            raise CollectionError(
                f"No collection at {directory}.",
                "Index some documents first: `sleuth index PATH` (or pass --collection DIR).",
            )
        return cls(directory, read_meta(directory), readonly=readonly)

    @classmethod
    def open_or_create(cls, directory: Path | str, settings: Settings | None = None) -> Collection:
        directory = Path(directory)
        if (directory / "meta.json").exists():
            col = cls.open(directory)
            if settings is not None and settings != col.settings:
                changed = {k: v for k, v in settings.to_dict().items() if col.settings.to_dict()[k] != v}
                raise CollectionError(
                    f"{directory} was created with other settings ({', '.join(f'{k}={v}' for k, v in changed.items())} differ).",
                    "Index into a new --collection, or drop the setting options to use the collection's own.",
                )
            return col
        return cls.create(directory, settings)

    def close(self) -> None:
        self.store.close()

    @staticmethod
    def remove(directory: Path | str) -> None:
        """Delete a whole collection directory (refuses anything that is not one).

        The directory is first renamed to a hidden sibling in one atomic step, so a kill at any
        moment leaves either the whole collection or none of it (plus, at worst, that hidden sibling,
        which the next create or remove in the same folder deletes)."""
        directory = Path(directory)
        try:
            read_meta(directory)  # refuses what is not a collection, or one a newer sleuth wrote
        except MetaDamagedError:
            pass  # a damaged collection can still be deleted
        clear_trash(directory)
        with WriteLock(directory):
            trash = directory.parent / f".{directory.name}.removing-{os.getpid()}"
            try:
                os.rename(directory, trash)
                fsync_dir(directory.parent)
            except OSError as exc:
                raise CollectionError(f"Cannot remove {directory}: {exc.strerror}.",
                                      "Check the permissions of the directory and its parent.") from None
        shutil.rmtree(trash, ignore_errors=True)

    # -- writes ------------------------------------------------------------------------------

    def _writable(self) -> None:
        if self.readonly:
            raise CollectionError("This collection was opened read-only.", "Open it without readonly=True to write.")

    def ingest(
        self,
        items: Iterable[Any],
        *,
        batch_size: int = 256,
        on_progress: Callable[[int], None] | None = None,
        on_commit: Callable[[list[str]], None] | None = None,
        on_embed: Callable[[int], None] | None = None,
        embed: bool = True,
    ) -> IngestSummary:
        """Add new documents, re-index changed ones (content hash), skip unchanged ones.

        ``items`` yields :class:`Document` or rejected-input records (anything with ``source``,
        ``line`` and ``reason``), which are reported in the summary. Each batch is one docstore
        transaction, so an interrupted ingest keeps every finished batch and a re-run resumes;
        ``on_commit`` receives the ids of each batch once it is durable. A reader error (a
        malformed record without skip-bad) commits what came before it, then propagates. Passages
        are embedded (``on_embed`` counts them) whenever a segment's worth has been committed, and at
        the end; with ``embed=False`` only at the next ingest (or import them: :meth:`import_vectors`).
        Passages enter the lexical index every ``lexical.FLUSH_ROWS``, so memory stays bounded.
        """
        self._writable()
        summary = IngestSummary()
        derived = [d for d in kept(self.settings.to_dict()) if embed or not d.deferrable]
        fresh = dict.fromkeys((d.name for d in derived), 0)  # passages committed since each index caught up

        def commit() -> None:
            before = summary.chunks
            self._commit(pending, summary, on_commit, seen)
            for d in derived:
                fresh[d.name] += summary.chunks - before
                if d.due(self, fresh[d.name]):
                    d.flush(self, on_embed)
                    fresh[d.name] = 0

        with WriteLock(self.directory):
            pending: dict[str, Document] = {}
            seen: list[SourceRecord] = []  # recorded with (or after) the documents they gave
            def other(item: Any) -> None:
                if isinstance(item, (Unchanged, SourceSeen)):
                    seen.append(item.record)
                    if isinstance(item, Unchanged):
                        summary.skipped += len(item.record.doc_ids)
                else:
                    summary.failed.append(Failure(item.source, item.line, item.reason, getattr(item, "empty", False)))

            def progressed(item: Any) -> None:
                if on_progress and not isinstance(item, SourceSeen):  # bookkeeping after a file's records
                    on_progress(1)

            try:
                batch_documents(items, batch_size, pending, commit, other, progressed)
            finally:  # what was committed is indexed lexically even when the input failed
                self._commit(pending, summary, on_commit, seen)
                for d in derived:
                    if not d.deferrable:
                        d.flush(self, on_embed)
            for d in derived:
                if d.deferrable:
                    d.flush(self, on_embed)
        self._lexical = self._dense = None
        return summary

    def unembedded(self) -> int:
        """Live passages without a vector yet (searched lexically only until `sleuth index` embeds them)."""
        if self.settings.encoder == "none":
            return 0
        return vectors.pending(self.directory / VECTORS, self.store)

    def unembedded_passages(self, batch: int = 2048) -> Iterator[list[tuple[int, str]]]:
        """(chunk id, text the encoder sees) of every passage not embedded yet, in batches: what to embed
        elsewhere (a GPU machine, a Ray job) before :meth:`import_vectors`."""
        from sleuth.index.manifest import read_manifest

        covered = int(read_manifest(self.directory / VECTORS)["covered"])
        for rows in self.store.iter_chunks(after=covered, batch=batch):
            yield [(r.id, passage_text(r.title, r.text)) for r in rows]

    def import_vectors(self, parts: Iterable[tuple[Any, Any]], model_id: str) -> int:
        """Store embeddings made elsewhere for the passages not embedded yet; returns how many.

        ``parts`` yields (chunk ids, vectors) pairs of arrays (one pair is fine; several keep memory
        bounded), the ids as :meth:`unembedded_passages` gives them.

        ``model_id`` must name the collection's encoder model (``sleuth stats`` shows it; the runtime after
        an ``@`` may differ, e.g. sentence-transformers on a GPU): vectors of another model would give
        wrong results. See :func:`sleuth.index.vectors.import_vectors`.
        """
        self._writable()
        enc = self.encoder
        if enc is None:
            raise CollectionError(f"{self.directory} has no dense encoder (encoder=none): there is nothing to import into.",
                                  "Create the collection with an encoder (the default, minilm).")
        if model_id.split("@")[0] != enc.model_id.split("@")[0]:  # the same weights on another runtime is fine
            raise CollectionError(f"These vectors were made with {model_id}, but the collection's encoder is {enc.model_id}.",
                                  f"Embed the passages with {enc.model_id.split('@')[0]}, or index into a collection created for that model.")
        with WriteLock(self.directory):
            n = vectors.import_vectors(self.directory / VECTORS, self.store, parts,
                                       model_id=enc.model_id, checksum=enc.checksum, dim=enc.dim)
        self._dense = None
        return n

    def _commit(self, pending: dict[str, Document], summary: IngestSummary,
                on_commit: Callable[[list[str]], None] | None, sources: list[SourceRecord] | None = None) -> None:
        if not pending and not sources:
            return
        known = self.store.hashes(pending)
        batch, replace = [], []
        s = self.settings
        fixes = self.store.corrections(pending)
        for doc_id, doc in pending.items():
            doc = corrected(doc, fixes.get(doc_id, {}))  # what a user set by hand wins
            problem = document_problem(doc.doc_id, doc.title, doc.text, doc.metadata)
            if problem:
                summary.failed.append(Failure(doc.source, None, f"document {doc_id!r} was not stored: {problem}"))
                continue
            digest = content_hash(doc)
            if known.get(doc_id) == digest:
                summary.skipped += 1
                continue
            spans = document_spans(doc, s)
            if not spans:
                summary.failed.append(Failure(doc.source, None, f"document {doc_id!r} has no text or title to index"))
                continue
            if doc_id in known:
                replace.append(doc_id)
                summary.updated += 1
            else:
                summary.added += 1
            summary.chunks += len(spans)
            batch.append((doc, digest, spans))
        self.store.write_batch(batch, delete_first=replace, sources=sources or ())
        if on_commit and pending:
            on_commit(list(pending))
        pending.clear()
        if sources:
            sources.clear()

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove documents (and their chunks) by id; returns how many existed."""
        self._writable()
        with WriteLock(self.directory):
            n = self.store.delete(doc_ids)
            for d in kept(self.settings.to_dict()):
                d.flush(self)
        self._lexical = self._dense = None
        return n

    # -- reads -------------------------------------------------------------------------------

    @property
    def lexical(self) -> LexicalIndex:
        with self._loading:
            if self._lexical is None:
                self._lexical = LexicalIndex.load(self.directory / LEXICAL, self.store, self.settings, self.analyzer)
            return self._lexical

    @property
    def tuned(self) -> dict[str, Any]:
        """What ``sleuth tune`` adopted: ``query_encoder`` / ``reranker`` folders (relative), and its report."""
        return dict(self.meta.get("tuned") or {})

    def try_tuned(self, tuned: dict[str, Any] | None) -> None:
        """Use (or, with None, stop using) tuned models in this process only; meta.json is not written."""
        self.meta = {k: v for k, v in self.meta.items() if k != "tuned"}
        if tuned:
            self.meta["tuned"] = tuned
        self._encoder = self._dense = self._reranker = None

    def set_tuned(self, tuned: dict[str, Any] | None) -> None:
        """Adopt (or, with None, drop) tuned models: one atomic meta.json write, under the write lock."""
        self._writable()
        with WriteLock(self.directory):
            for key in ("query_encoder", "reranker"):
                if tuned and tuned.get(key) and not (self.directory / tuned[key]).is_dir():
                    raise CollectionError(f"{self.directory / tuned[key]} does not exist.", "Run `sleuth tune` again.")
            self.meta = write_tuned(self.directory, tuned)
        self._encoder = self._dense = self._reranker = None

    @property
    def encoder(self) -> Encoder | None:
        """The collection's dense encoder, loaded on first use; None when ``encoder`` is ``none``.

        After ``sleuth tune`` adopted a query encoder, queries go through it and passages through the
        encoder the vectors were made with.
        """
        with self._loading:
            if self._encoder is None and self.settings.encoder != "none":
                from sleuth.index.encoders import MiniLMOnnxEncoder, QueryTunedEncoder, get_encoder

                enc = get_encoder(self.settings.encoder)
                if self.tuned.get("query_encoder"):
                    enc = QueryTunedEncoder(enc, MiniLMOnnxEncoder(self.directory / self.tuned["query_encoder"]))
                self._encoder = enc
            return self._encoder

    @property
    def reranker(self) -> CrossEncoder | None:
        """The cross-encoder ``sleuth tune`` trained and adopted for this collection, if any."""
        with self._loading:
            if self._reranker is None and self.tuned.get("reranker"):
                self._reranker = CrossEncoder(self.directory / self.tuned["reranker"])
            return self._reranker

    @property
    def dense(self) -> DenseIndex:
        with self._loading:
            if self._dense is None:
                if self.encoder is None:
                    raise CollectionError(
                        f"{self.directory} was created without a dense encoder (encoder=none).",
                        "Use --mode bm25, or index into a new collection with the default encoder.",
                    )
                self._dense = DenseIndex.load(self.directory / VECTORS, self.store, self.encoder,
                                              self.settings.vector_format)
            return self._dense

    @property
    def default_mode(self) -> str:
        """hybrid-rerank when ``sleuth tune`` adopted a reranker, hybrid with a dense encoder, else bm25."""
        if self.settings.encoder == "none":
            return "bm25"
        return "hybrid-rerank" if self.tuned.get("reranker") else "hybrid"

    def stats(self) -> dict[str, Any]:
        size = sum(p.stat().st_size for p in self.directory.rglob("*") if p.is_file())
        return {
            "collection": str(self.directory),
            "format_version": self.meta["format_version"],
            "documents": self.store.count_documents(),
            "chunks": self.store.count_chunks(),
            "bytes_on_disk": size,
            "unembedded_passages": self.unembedded(),
            "settings": self.settings.to_dict(),
            "abstention": self.meta.get("abstention"),
        }
