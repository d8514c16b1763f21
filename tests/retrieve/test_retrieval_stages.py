"""Retrieval stages: the composition algebra by hand, and every registered pipeline against the same contract."""

from __future__ import annotations

import numpy as np
import pytest
from support import ROOT

from sleuth.errors import CollectionError
from sleuth.ingest import read_paths
from sleuth.ranking.ranking import Ranking
from sleuth.retrieve import PIPELINES, get_pipeline
from sleuth.retrieve.stages import Fuse, Rescorer, Stage
from sleuth.store.embedded.collection import Collection

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"


class Fixed(Stage):
    """A stage with a fixed ranking; records the depth it was asked for."""

    def __init__(self, rows: list[tuple[str, float, int]]) -> None:
        self.rows, self.asked = rows, []

    def run(self, col, query, k):
        self.asked.append(k)
        return Ranking.of(self.rows[:k])


class Reverse(Rescorer):
    def depth(self, col):
        return 3

    def rescore(self, col, query, first):
        rows = list(first)[::-1]
        return Ranking.of((d, float(len(rows) - i), c) for i, (d, _, c) in enumerate(rows))


def test_at_least_asks_for_the_deeper_of_k_and_its_depth() -> None:
    s = Fixed([("a", 3.0, 1), ("b", 2.0, 2), ("c", 1.0, 3)])
    assert list((s % 2).run(None, "q", 1)) == [("a", 3.0, 1), ("b", 2.0, 2)]
    assert list((s % 2).run(None, "q", 3)) == [("a", 3.0, 1), ("b", 2.0, 2), ("c", 1.0, 3)]
    assert s.asked == [2, 3]


def test_fuse_minmax_by_hand_and_the_first_stage_keeps_its_passage() -> None:
    # run 1: a 3 -> 1.0, b 1 -> 0.0; run 2: b 10 -> 1.0, c 4 -> 0.0. Equal weights: a 1, b 1, c 0; ties by id.
    one = Fixed([("a", 3.0, 11), ("b", 1.0, 12)])
    two = Fixed([("b", 10.0, 22), ("c", 4.0, 23)])
    fused = Fuse("minmax", one, two).run(None, "q", 3)
    assert list(fused) == [("a", 1.0, 11), ("b", 1.0, 12), ("c", 0.0, 23)]
    assert list(Fuse("minmax", one, two).run(None, "q", 1)) == [("a", 1.0, 11)]


def test_then_asks_the_rescorer_depth_and_cuts_to_k() -> None:
    s = Fixed([("a", 4.0, 1), ("b", 3.0, 2), ("c", 2.0, 3), ("d", 1.0, 4)])
    out = (s >> Reverse()).run(None, "q", 2)
    assert s.asked == [3]  # max(k, the rescorer's depth)
    assert list(out) == [("c", 3.0, 3), ("b", 2.0, 2)]


def test_a_ranking_slices_iterates_and_compares_as_its_rows() -> None:
    r = Ranking.of([("a", 2.0, 5), ("b", 1.0, 6)])
    assert r[0] == ("a", 2.0, 5)
    assert r[:1] == [("a", 2.0, 5)]
    assert r.pairs() == [("a", 2.0), ("b", 1.0)]
    assert r.chunk_of() == {"a": 5, "b": 6}
    assert len(Ranking.empty()) == 0 and Ranking.empty() == []


@pytest.fixture(scope="module")
def col(tmp_path_factory) -> Collection:
    c = Collection.create(tmp_path_factory.mktemp("s") / "c")
    c.ingest(read_paths([BEIR], fmt="beir"))
    return c


@pytest.mark.parametrize("name", [n for n in PIPELINES.names() if n != "hybrid-rerank"])  # that one needs `tune`
def test_every_pipeline_returns_at_most_k_documents_once_each_best_first(col, name) -> None:
    pipe = get_pipeline(name)
    pipe.prepare(col)
    for k in (1, 3, 50):
        r = pipe(col, "honey bees make nectar", k)
        assert isinstance(r, Ranking)
        assert 1 <= len(r) <= k
        assert len(set(r.doc_ids)) == len(r)
        assert np.all(np.diff(r.scores) <= 1e-12)
        chunks = col.store.get_chunks(r.chunk_ids.tolist())
        assert all(chunks[c][0].doc_id == d for d, _, c in r)  # each passage belongs to its document


def test_hybrid_rerank_without_a_trained_reranker_says_what_to_do(col) -> None:
    with pytest.raises(CollectionError, match="sleuth tune"):
        get_pipeline("hybrid-rerank")(col, "honey", 3)
