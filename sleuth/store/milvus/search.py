"""The read side of a Milvus collection: passages by id, and BM25 / dense searches ranked by best passage.

These mirror what the pipelines read from the embedded store (``store.get_chunks``, ``lexical.search``,
``dense.search``), so every pipeline of :mod:`sleuth.retrieve` runs unchanged on Milvus.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from pymilvus import MilvusClient

from sleuth.store.milvus.config import INDEX_TYPES
from sleuth.index.encoders import Encoder
from sleuth.ranking.ranking import Ranking
from sleuth.types import Chunk

if TYPE_CHECKING:
    from sleuth.store.milvus.collection import MilvusCollection

MAX_TOPK = 16_384  # Milvus' largest limit per search
CHUNK_FIELDS = ["doc_id", "ord", "start", "end", "text", "title"]
IN_BATCH = 500  # ids per "in [...]" filter


def literal(values: Iterable[str | int]) -> str:
    """A Milvus expression list literal; JSON's string escapes are what Milvus' parser reads."""
    return json.dumps(list(values), ensure_ascii=False)


class MilvusStore:
    """The read side of the docstore that search and ``ask`` use, answered by Milvus queries."""

    def __init__(self, client: MilvusClient, name: str) -> None:
        self.client, self.name = client, name

    def _query(self, expr: str, fields: list[str]) -> list[dict[str, Any]]:
        return self.client.query(self.name, filter=expr, output_fields=fields)

    def _count(self, expr: str) -> int:
        return int(self._query(expr, ["count(*)"])[0]["count(*)"])

    def get_chunks(self, chunk_ids: Iterable[int]) -> dict[int, tuple[Chunk, str]]:
        ids = list(dict.fromkeys(int(c) for c in chunk_ids))
        out = {}
        for i in range(0, len(ids), IN_BATCH):
            for r in self._query(f"id in {literal(ids[i:i + IN_BATCH])}", CHUNK_FIELDS):
                out[int(r["id"])] = (Chunk(r["doc_id"], r["start"], r["end"], r["text"], f"{r['doc_id']}#{r['ord']}"), r["title"])
        return out

    def get_chunk(self, chunk_id: int) -> tuple[Chunk, str] | None:
        return self.get_chunks([chunk_id]).get(int(chunk_id))

    def hashes(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """Content hash of each stored document among ``doc_ids`` (its first passage carries it)."""
        ids = list(doc_ids)
        out = {}
        for i in range(0, len(ids), IN_BATCH):
            for r in self._query(f"ord == 0 and doc_id in {literal(ids[i:i + IN_BATCH])}", ["doc_id", "doc_hash"]):
                out[r["doc_id"]] = r["doc_hash"]
        return out

    def all_hashes(self) -> dict[str, str]:
        """Every stored document's content hash (~100 bytes a document in memory)."""
        it = self.client.query_iterator(self.name, batch_size=4096, filter="ord == 0", output_fields=["doc_id", "doc_hash"])
        out = {}
        try:
            while batch := it.next():
                out.update((r["doc_id"], r["doc_hash"]) for r in batch)
        finally:
            it.close()
        return out

    def count_documents(self) -> int:
        return self._count("ord == 0")

    def count_chunks(self) -> int:
        return self._count("")


def rank_documents(search: Callable[[int], list[tuple[int, str, float]]], k: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The k best documents, each scored by its best passage (max-passage), from a passage search.

    ``search(limit)`` returns up to ``limit`` (chunk id, doc id, score), best first. Asks for
    k + k/4 + 8 passages, as :func:`sleuth.index.topk.top_documents` does, and asks again for 4x as
    many while duplicates leave fewer than k documents and more passages exist. Equal scores rank by
    doc id, as in the embedded store.
    """
    want = min(k + k // 4 + 8, MAX_TOPK)
    while True:
        hits = sorted(search(want), key=lambda h: (-h[2], h[1], h[0]))
        best: dict[str, tuple[int, float]] = {}
        for chunk_id, doc_id, score in hits:
            best.setdefault(doc_id, (chunk_id, score))
        if len(best) >= k or len(hits) < want or want == MAX_TOPK:
            break
        want = min(want * 4, MAX_TOPK)
    top = list(best.items())[:k]
    return ([d for d, _ in top], np.array([s for _, (_, s) in top], dtype=np.float64),
            np.array([c for _, (c, _) in top], dtype=np.int64))


def _hits(result: Any) -> list[tuple[int, str, float]]:
    return [(int(h["id"]), h["entity"]["doc_id"], float(h["distance"])) for h in result[0]]


class MilvusLexical:
    """BM25 over the ``sparse`` field; the query is analysed by sleuth, as the passages were."""

    def __init__(self, col: MilvusCollection) -> None:
        self.col = col

    def search(self, query: str, k: int = 10) -> Ranking:
        terms = self.col.analyzer.terms(query)
        if not terms or k <= 0:
            return Ranking.empty()
        text = " ".join(terms)

        def search(limit: int) -> list[tuple[int, str, float]]:
            return _hits(self.col.client.search(self.col.name, data=[text], anns_field="sparse", limit=limit,
                                                search_params={"metric_type": "BM25"}, output_fields=["doc_id"]))

        return Ranking(*rank_documents(search, k))


class MilvusDense:
    """Inner-product search over the ``vector`` field (cosine: vectors are L2-normalised)."""

    def __init__(self, col: MilvusCollection, encoder: Encoder) -> None:
        self.col, self.encoder = col, encoder

    def search_vector(self, q: np.ndarray, k: int) -> Ranking:
        if k <= 0:
            return Ranking.empty()
        index = INDEX_TYPES.get(self.col.meta["index_type"])
        vec = np.asarray(q, dtype=np.float32).tolist()

        def search(limit: int) -> list[tuple[int, str, float]]:
            params = {"metric_type": "IP", "params": index.search(limit)}
            return _hits(self.col.client.search(self.col.name, data=[vec], anns_field="vector", limit=limit,
                                                search_params=params, output_fields=["doc_id"]))

        return Ranking(*rank_documents(search, k))

    def search(self, query: str, k: int = 10) -> Ranking:
        return self.search_vector(self.encoder.encode_queries([query])[0], k)

    def vectors_for(self, chunk_ids: list[int]) -> np.ndarray:
        """The stored vectors of the given passages, in the given order."""
        ids = [int(c) for c in chunk_ids]
        rows = self.col.client.query(self.col.name, filter=f"id in {literal(ids)}", output_fields=["vector"])
        by_id = {int(r["id"]): r["vector"] for r in rows}
        return np.array([by_id[c] for c in ids], dtype=np.float32).reshape(len(ids), self.encoder.dim)
