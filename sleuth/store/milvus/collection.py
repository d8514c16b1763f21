"""A sleuth collection stored in Milvus: passages, their dense vectors and a BM25 sparse field.

The same search API as the embedded :class:`~sleuth.store.embedded.collection.Collection`: ``search``,
``lexical.search``, ``dense.search``, ``store.get_chunks``, so every pipeline of
:mod:`sleuth.retrieve` (bm25, dense, and the hybrids, fused by sleuth's own fusion functions) runs
unchanged on it. Milvus returns passages; documents are ranked by their best passage (max-passage),
as in the embedded store. One Milvus collection holds one row per passage::

    id (INT64, primary key)   doc_id, title, text, source, doc_hash (VARCHAR)   ord, start, end (INT)
    terms (VARCHAR, whitespace analyzer) --BM25 function--> sparse (SPARSE_FLOAT_VECTOR, BM25 index)
    vector (FLOAT_VECTOR, 384 dims, inner product on normalised vectors = cosine)

The collection's description holds sleuth's settings and the encoder's id and checksum, so reopening
it checks that queries are embedded by the model that embedded the passages.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient
from pymilvus.exceptions import MilvusException

from sleuth import __version__
from sleuth.store.milvus.config import INDEX_TYPES, MilvusConfig
from sleuth.store.milvus.rows import MAX_DOC_ID, MAX_VARCHAR, Row, embed_rows, prepare
from sleuth.config import Settings
from sleuth.errors import CollectionError, ConfigError, InputError
from sleuth.extras import need
from sleuth.index.encoders import Encoder
from sleuth.store.milvus.search import IN_BATCH, MilvusDense, MilvusLexical, MilvusStore, literal
from sleuth.store.base import Failure, IngestSummary, Searchable, batch_documents, default_collection
from sleuth.text import Analyzer
from sleuth.types import Document

FORMAT = "sleuth-milvus"
FORMAT_VERSION = 1


def connect(config: MilvusConfig) -> MilvusClient:
    if config.lite:
        from sleuth.store.milvus.config import SCALE_PIP

        need(("milvus_lite",), SCALE_PIP, f"Milvus Lite (--milvus-uri {config.uri})")
    try:
        return MilvusClient(config.uri, token=config.token, timeout=30)
    except MilvusException as exc:
        raise CollectionError(f"Cannot connect to Milvus at {config.uri}: {exc.message}",
                              "Check --milvus-uri and that the server is running (and $SLEUTH_MILVUS_TOKEN if it needs one).") from None


def _schema(client: MilvusClient, config: MilvusConfig, meta: dict[str, Any]) -> Any:
    s = client.create_schema(auto_id=False, description=json.dumps(meta))
    s.add_field("id", DataType.INT64, is_primary=True)
    s.add_field("doc_id", DataType.VARCHAR, max_length=MAX_DOC_ID)
    s.add_field("ord", DataType.INT32)
    s.add_field("start", DataType.INT64)
    s.add_field("end", DataType.INT64)
    for name in ("title", "text", "source"):
        s.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR)
    s.add_field("doc_hash", DataType.VARCHAR, max_length=64)
    if config.bm25:
        s.add_field("terms", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True,
                    analyzer_params={"tokenizer": "whitespace"})
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                input_field_names=["terms"], output_field_names=["sparse"]))
    if meta["model"] is not None:
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=meta["model"]["dim"])
    return s


def _index_params(client: MilvusClient, settings: Settings, config: MilvusConfig, dense: bool,
                  version: tuple[int, int]) -> Any:
    p = client.prepare_index_params()
    # hashes() and deletes filter on doc_id; INVERTED came in 2.4, Trie is 2.3's index for strings.
    p.add_index("doc_id", index_type="INVERTED" if version >= (2, 4) else "Trie")
    if config.bm25:
        p.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                    params={"bm25_k1": settings.k1, "bm25_b": settings.b})
    if dense:
        p.add_index("vector", index_type=config.index_type, metric_type="IP", params=INDEX_TYPES.get(config.index_type).build)
    return p


class MilvusCollection(Searchable):
    """A collection in Milvus. Open with :meth:`open`, :meth:`create` or :meth:`open_or_create`."""

    capabilities: frozenset[str] = frozenset()  # search only: Milvus keeps no paper metadata or term statistics

    def __init__(self, config: MilvusConfig, client: MilvusClient, meta: dict[str, Any]) -> None:
        self.config, self.client, self.meta = config, client, meta
        self.engine = f"Milvus collection {config.label}"
        self.name = config.collection
        self.settings = Settings.from_dict(meta["settings"])
        self.analyzer = Analyzer(stemmer=self.settings.stemmer, stopwords=self.settings.stopwords)
        self.store = MilvusStore(client, self.name)
        self._encoder: Encoder | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def exists(cls, config: MilvusConfig) -> bool:
        client = connect(config)
        try:
            return bool(client.has_collection(config.collection))
        finally:
            client.close()

    @classmethod
    def create(cls, config: MilvusConfig, settings: Settings | None = None) -> MilvusCollection:
        settings = settings or Settings()
        if settings.vector_format != "float32":
            raise ConfigError(f"vector_format={settings.vector_format} applies to the embedded store only.",
                              "For smaller vectors in Milvus, choose --milvus-index IVF_SQ8.")
        if settings.encoder == "none" and not config.bm25:
            raise ConfigError("A collection with neither BM25 (--milvus-no-bm25) nor an encoder (encoder=none) could not be searched.",
                              "Keep one of them.")
        encoder = None if settings.encoder == "none" else _encoder(settings.encoder)
        meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_by": f"sleuth {__version__}",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "settings": settings.to_dict(),
            "index_type": config.index_type, "bm25": config.bm25,
            "model": None if encoder is None else {"id": encoder.model_id, "checksum": encoder.checksum, "dim": encoder.dim},
        }
        client = connect(config)
        try:
            if client.has_collection(config.collection):
                raise CollectionError(f"Milvus collection {config.label} already exists.",
                                      "Open it instead, or choose another --milvus-collection.")
            version = server_version(client, config)
            if config.bm25:
                _require_bm25(version, config)
            client.create_collection(config.collection, schema=_schema(client, config, meta),
                                     index_params=_index_params(client, settings, config, encoder is not None, version),
                                     num_shards=config.shards, consistency_level="Strong")
        except MilvusException as exc:
            client.close()
            raise CollectionError(f"Milvus refused to create {config.label}: {exc.message}",
                                  "Check the index type and shard count against the server's version and limits.") from None
        except BaseException:
            client.close()
            raise
        col = cls(config, client, meta)
        col._encoder = encoder
        return col

    @classmethod
    def open(cls, config: MilvusConfig, *, readonly: bool = False) -> MilvusCollection:
        """Open an existing collection. ``readonly`` is accepted for parity with the embedded store;
        who may write is Milvus' business (its users and roles)."""
        client = connect(config)
        if not client.has_collection(config.collection):
            client.close()
            raise CollectionError(f"No Milvus collection {config.label}.",
                                  "Index some documents first: `sleuth index PATH --backend milvus --milvus-uri ...`.")
        meta = _read_meta(client.describe_collection(config.collection).get("description", ""), config)
        client.load_collection(config.collection)  # a server releases collections on restart
        col = cls(config, client, meta)
        col._check_model()
        return col

    @classmethod
    def open_or_create(cls, config: MilvusConfig, settings: Settings | None = None) -> MilvusCollection:
        if not cls.exists(config):
            return cls.create(config, settings)
        col = cls.open(config)
        if settings is not None and settings != col.settings:
            changed = [k for k, v in settings.to_dict().items() if col.settings.to_dict()[k] != v]
            col.close()
            raise CollectionError(f"{config.label} was created with other settings ({', '.join(changed)} differ).",
                                  "Index into a new --milvus-collection, or drop the setting options to use the collection's own.")
        return col

    def drop(self) -> None:
        """Delete the whole Milvus collection."""
        self.client.drop_collection(self.name)

    def close(self) -> None:
        self.client.close()

    # -- reads -------------------------------------------------------------------------------

    @property
    def encoder(self) -> Encoder | None:
        if self._encoder is None and self.meta["model"] is not None:
            self._encoder = _encoder(self.settings.encoder)
        return self._encoder

    def _check_model(self) -> None:
        model = self.meta["model"]
        if model is not None and self.encoder is not None and (model["id"], model["checksum"]) != (self.encoder.model_id, self.encoder.checksum):
            raise CollectionError(
                f"{self.config.label} was embedded with {model['id']} (checksum {model['checksum']}), but the encoder now is "
                f"{self.encoder.model_id} (checksum {self.encoder.checksum}); mixing them would give wrong results.",
                "Use the sleuth version (and model package) that built it, or re-index into a new --milvus-collection.",
            )

    @property
    def lexical(self) -> MilvusLexical:
        if not self.meta["bm25"]:
            raise CollectionError(f"{self.config.label} has no BM25 field (created with --milvus-no-bm25).", "Use --mode dense.")
        return MilvusLexical(self)

    @property
    def dense(self) -> MilvusDense:
        if self.encoder is None:
            raise CollectionError(f"{self.config.label} was created without a dense encoder (encoder=none).", "Use --mode bm25.")
        return MilvusDense(self, self.encoder)

    @property
    def default_mode(self) -> str:
        """hybrid when the collection has both BM25 and vectors, else the one it has."""
        if self.meta["model"] is None:
            return "bm25"
        return "hybrid" if self.meta["bm25"] else "dense"

    @property
    def directory(self) -> Path:
        """A local directory for per-user state of this collection (the answer memory of ``ask``)."""
        key = hashlib.sha256(self.config.uri.encode()).hexdigest()[:12]
        path = default_collection().parent / "milvus" / f"{key}-{self.name}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def stats(self) -> dict[str, Any]:
        return {"collection": self.config.label, "format_version": self.meta["format_version"],
                "documents": self.store.count_documents(), "chunks": self.store.count_chunks(),
                "index_type": self.meta["index_type"], "bm25": self.meta["bm25"], "settings": self.settings.to_dict()}

    # -- writes ------------------------------------------------------------------------------

    def ingest(self, items: Iterable[Any], *, batch_size: int = 256, on_progress: Callable[[int], None] | None = None,
               on_commit: Callable[[list[str]], None] | None = None,
               on_embed: Callable[[int], None] | None = None, embed: bool = True) -> IngestSummary:
        """As :meth:`Collection.ingest`: add new documents, replace changed ones, skip unchanged ones.

        Each batch is chunked, embedded and written (old passages of changed documents deleted first);
        a re-run after an interruption skips what was written. Milvus rows carry their vector, so
        ``embed=False`` (vectors imported later) is refused.
        """
        if not embed:
            raise InputError("A Milvus collection embeds passages as it writes them; vectors cannot be imported later.",
                             "Drop --vectors, or index into a local --collection.")
        summary = IngestSummary()
        pending: dict[str, Document] = {}

        def commit() -> None:
            rows, replace = prepare(list(pending.values()), self.store.hashes(pending), self.settings, self.analyzer, summary)
            if self.encoder is not None and rows:
                embed_rows(rows, self.encoder)
                if on_embed:
                    on_embed(len(rows))
            self.write(rows, replace)
            if on_commit:
                on_commit(list(pending))
            pending.clear()

        batch_documents(items, batch_size, pending, commit,
                        lambda item: summary.failed.append(Failure(item.source, item.line, item.reason)),
                        (lambda item: on_progress(1)) if on_progress else None)
        commit()
        self.flush()
        return summary

    def flush(self) -> None:
        """Seal what was written, so it is durable and indexed (searches see it either way: Strong consistency)."""
        self.client.flush(self.name)

    def write(self, rows: list[Row], replace: list[str]) -> None:
        """Delete the passages of ``replace`` documents, then insert ``rows``."""
        for i in range(0, len(replace), IN_BATCH):
            self.client.delete(self.name, filter=f"doc_id in {literal(replace[i:i + IN_BATCH])}")
        def stored(row: Row) -> Row:
            out = {k: v for k, v in row.items() if k != "terms" or self.meta["bm25"]}  # a dense-only schema has no terms
            if "vector" in out:
                out["vector"] = np.asarray(out["vector"], dtype=np.float32).tolist()
            return out

        rows = [stored(r) for r in rows]
        for part in _batches(rows, 512):
            self.client.insert(self.name, part)

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove documents (all their passages) by id; returns how many existed."""
        ids = list(doc_ids)
        n = len(self.store.hashes(ids))
        self.write([], ids)
        return n


def _batches(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _encoder(name: str) -> Encoder:
    from sleuth.index.encoders import get_encoder

    return get_encoder(name)


LITE_VERSION = (2, 5)  # milvus-lite 2.5.1 embeds Milvus 2.5 and has no get_server_version


def server_version(client: MilvusClient, config: MilvusConfig) -> tuple[int, int]:
    if config.lite:
        return LITE_VERSION
    version = client.get_server_version()
    return tuple(int(x) for x in version.lstrip("v").split("-")[0].split(".")[:2])  # type: ignore[return-value]


def _require_bm25(version: tuple[int, int], config: MilvusConfig) -> None:
    if version < (2, 5):
        raise ConfigError(f"Milvus {'.'.join(map(str, version))} at {config.uri} has no BM25 function (it came in 2.5).",
                          "Pass --milvus-no-bm25 for a dense-only collection, or use Milvus 2.5 or later.")


def _read_meta(description: str, config: MilvusConfig) -> dict[str, Any]:
    try:
        meta = json.loads(description)
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CollectionError(f"Milvus collection {config.label} was not made by sleuth.", "Choose another --milvus-collection.")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CollectionError(f"{config.label} has format version {meta['format_version']}, newer than this sleuth understands.",
                              "Upgrade sleuth to open it.")
    return meta
