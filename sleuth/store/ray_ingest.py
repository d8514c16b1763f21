"""Distributed ingestion into a Milvus collection: reading, chunking and embedding on Ray workers.

The driver plans *shards* (groups of small files, or byte ranges of whole lines of a large JSONL or
BEIR file), takes a snapshot of the stored documents' content hashes, and hands shards to ``workers``
Ray actors. Each actor reads its shard with sleuth's readers, skips unchanged documents, chunks,
analyses and embeds the rest with sleuth's own chunker, analyzer and encoder (one CPU each), and returns
Milvus rows; the driver writes them as they arrive (at most ``workers`` shards in flight, so memory
stays bounded). Writing from the driver keeps one writer per collection, which Milvus Lite requires;
on a cluster, embedding (~70 passages/s per core) is the bottleneck long before inserts are.

Python entry point (``sleuth index --ray`` calls it)::

    from sleuth.store.milvus.collection import MilvusCollection
    from sleuth.store.milvus.config import MilvusConfig
    from sleuth.store.ray_ingest import plan, ray_ingest, ray_session
    work = plan(["papers/"])          # checks the paths; nothing is read yet
    with ray_session(workers=8), MilvusCollection.open_or_create(MilvusConfig("http://milvus:19530", "papers")) as col:
        summary = ray_ingest(work, col, workers=8)

Ray is started locally (``ray.init(address="local", num_cpus=workers)``) unless ``$RAY_ADDRESS`` names
a cluster, or the caller has already called ``ray.init``; sleuth must be installed on every node.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sleuth.store.milvus.rows import Row, embed_rows, prepare
from sleuth.config import Settings
from sleuth.errors import ConfigError
from sleuth.extras import need
from sleuth.ingest import FORMATS, Rejected, sources
from sleuth.ingest.base import Options, Source
from sleuth.ingest.read import PathArg
from sleuth.store.base import Failure, IngestSummary
from sleuth.text import Analyzer
from sleuth.types import Document

SHARD_BYTES = 1 << 20
"""Input per task: ~600 SciFact abstracts, ~15 s of embedding on one core."""
BATCH_DOCS = 256


@dataclass
class Shard:
    """Files (or one byte range of a line-record file) that one task reads: (format name, Source) pairs."""

    parts: list[tuple[str, Source]] = field(default_factory=list)
    nbytes: int = 0


@dataclass
class Plan:
    """The shards of an ingestion, inputs rejected while planning, and the reader options."""

    shards: list[Shard]
    rejected: list[Rejected]
    opts: Options


def _line_starts(path: Path, size: int, step: int) -> list[int]:
    """Offsets of the first line start at or after every ``step`` bytes, then ``size``."""
    cuts = [0]
    with path.open("rb") as f:
        for target in range(step, size, step):
            if target <= cuts[-1]:
                continue
            f.seek(target - 1)
            f.readline()  # to the end of the line holding byte target-1: the next line starts after it
            if f.tell() < size:
                cuts.append(f.tell())
    return [*cuts, size]


def plan(paths: PathArg | Iterable[PathArg], *, fmt: str | None = None, id_field: str = "_id", title_field: str = "title",
         text_field: str = "text", encoding: str = "utf-8", skip_bad: bool = False, include_references: bool = False,
         shard_bytes: int = SHARD_BYTES) -> Plan:
    """Cut the inputs (read as :func:`sleuth.ingest.read_paths` would) into shards of about ``shard_bytes``.

    Bad paths and options raise here, before anything is read.
    """
    opts = Options(id_field, title_field, text_field, encoding, skip_bad, include_references)
    shards: list[Shard] = []
    rejected: list[Rejected] = []
    small = Shard()
    for entry in sources(paths, fmt=fmt, opts=opts):
        if isinstance(entry, Rejected):
            rejected.append(entry)
            continue
        form, source = entry
        size = source.path.stat().st_size
        if form.splittable and size > shard_bytes:
            cuts = _line_starts(source.path, size, shard_bytes)
            shards += [Shard([(form.name, replace(source, start=a, end=b))], b - a) for a, b in zip(cuts, cuts[1:])]
            continue
        small.parts.append((form.name, source))
        small.nbytes += size
        if small.nbytes >= shard_bytes:
            shards.append(small)
            small = Shard()
    if small.parts:
        shards.append(small)
    return Plan(shards, rejected, opts)


def read_shard(shard: Shard, opts: Options) -> Iterator[Document | Rejected]:
    for name, source in shard.parts:
        yield from FORMATS.get(name).read(source, opts)


class ShardWorker:
    """One Ray actor: reads, chunks, analyses and embeds shards into rows (no connection to Milvus)."""

    def __init__(self, settings: dict[str, Any], known: dict[str, str], opts: Options, threads: int) -> None:
        self.settings = Settings.from_dict(settings)
        self.analyzer = Analyzer(stemmer=self.settings.stemmer, stopwords=self.settings.stopwords)
        self.known, self.opts = known, opts
        self.encoder = None
        if self.settings.encoder != "none":
            from sleuth.index.encoders import ENCODERS

            # Its own instance with the actor's CPUs: the shared default would use every core of the
            # node in each actor, and actors on one node would fight over them.
            self.encoder = ENCODERS.get(self.settings.encoder)(threads=threads)

    def process(self, shard: Shard) -> tuple[list[Row], list[str], IngestSummary, int]:
        """Rows of the shard's new and changed documents, the ids to replace, the counts, and records read."""
        summary = IngestSummary()
        docs: dict[str, Document] = {}
        read = 0
        for item in read_shard(shard, self.opts):
            read += 1
            if isinstance(item, Document):
                docs[item.doc_id] = item  # a repeated id: the later record wins, as in Collection.ingest
            else:
                summary.failed.append(Failure(item.source, item.line, item.reason))
        rows, replace_ids = prepare(list(docs.values()), self.known, self.settings, self.analyzer, summary)
        if self.encoder is not None:
            embed_rows(rows, self.encoder)
        return rows, replace_ids, summary, read


def _merge(total: IngestSummary, part: IngestSummary) -> None:
    for name in ("added", "updated", "skipped", "chunks"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.failed += part.failed


def check_target(target: Any) -> None:
    """``--ray`` writes into Milvus only."""
    from sleuth.store import MilvusTarget

    if not isinstance(target, MilvusTarget):
        raise ConfigError("--ray ingestion writes into a Milvus collection.", "Add --backend milvus --milvus-uri URI.")


@contextmanager
def ray_session(workers: int) -> Iterator[None]:
    """Connect to the Ray cluster at ``$RAY_ADDRESS``, or start a local Ray with ``workers`` CPUs; on exit,
    shut down what this started (nothing, if Ray was already initialised).

    Enter it before opening Milvus clients in this process: a local Ray forks its daemons from here, and
    with a Milvus Lite client open the raylet sometimes never started (``ray.init`` timed out after
    30 s; 3 times in about a dozen tries), the hazard of forking a process that runs gRPC threads.
    """
    from sleuth.store.milvus.config import SCALE_PIP

    need(("ray",), SCALE_PIP, "Ray ingestion")
    import ray

    if ray.is_initialized():
        yield
        return
    address = os.environ.get("RAY_ADDRESS") or "local"
    ray.init(address=address, num_cpus=workers if address == "local" else None,
             include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def ray_ingest(work: Plan, col: Any, *, workers: int = 2,
               on_progress: Callable[[int], None] | None = None) -> IngestSummary:
    """Ingest the planned inputs into the Milvus collection ``col`` on ``workers`` Ray actors.

    Returns the same summary as :meth:`MilvusCollection.ingest`; ``on_progress`` counts records read.
    Runs in :func:`ray_session` (enter it yourself first when this process starts a local Ray).
    """
    with ray_session(workers):
        import ray
        from ray.util import ActorPool

        summary = IngestSummary(failed=[Failure(r.source, r.line, r.reason) for r in work.rejected])
        known = ray.put(col.store.all_hashes())
        actor = ray.remote(num_cpus=1)(ShardWorker)
        pool = ActorPool([actor.remote(col.settings.to_dict(), known, work.opts, 1) for _ in range(workers)])
        written: set[str] = set()
        for rows, replace_ids, part, read in pool.map_unordered(lambda a, s: a.process.remote(s), work.shards):
            # A document seen in an earlier shard of this run is replaced, as a repeated id is by Collection.ingest.
            again = {r["doc_id"] for r in rows} & written
            col.write(rows, [*replace_ids, *sorted(again - set(replace_ids))])
            written.update(r["doc_id"] for r in rows)
            _merge(summary, part)
            if on_progress:
                on_progress(read)
        col.flush()
    return summary
