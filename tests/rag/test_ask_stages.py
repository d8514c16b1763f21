"""ask's stages: one registry, one recipe, switched off by the options; every reader honours one contract."""

from __future__ import annotations

import pytest
from support import ROOT

from sleuth.ingest import read_paths
from sleuth.rag.context import Passage
from sleuth.rag.extractive import ExtractiveReader
from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.rag.reader import GenerativeReader
from sleuth.rag.stages import ASK_STAGES, DEFAULT_RECIPE, RETRIEVAL_RECIPE
from sleuth.store.embedded.collection import Collection
from sleuth.text import Analyzer
from sleuth.types import Chunk

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"


def test_the_recipe_runs_every_registered_stage_once() -> None:
    assert sorted(DEFAULT_RECIPE) == sorted(ASK_STAGES.names())
    assert len(set(DEFAULT_RECIPE)) == len(DEFAULT_RECIPE)
    assert [s for s in DEFAULT_RECIPE if s in RETRIEVAL_RECIPE] == list(RETRIEVAL_RECIPE)  # a prefix, in order


@pytest.fixture(scope="module")
def col(tmp_path_factory) -> Collection:
    c = Collection.create(tmp_path_factory.mktemp("a") / "c")
    c.ingest(read_paths([BEIR], fmt="beir"))
    return c


def test_options_switch_their_stages_off(col) -> None:
    on = Asker(col, options=AskOptions(memory=False, rewrite=True, filter=True, min_relevance=0.0))
    off = Asker(col, options=AskOptions(memory=False, rewrite=False, filter=False, min_relevance=0.0))
    q = "How do bees make honey?"
    assert {"rewrite", "filter"} <= set(on.ask(q).timings_ms)
    assert not {"rewrite", "filter", "memory", "remember"} & set(off.ask(q).timings_ms)


def test_the_retrieval_prefix_is_what_ask_reads_from(col) -> None:
    asker = Asker(col, options=AskOptions(memory=False, min_relevance=0.0))
    q = "How do bees make honey?"
    prefix = asker.run(q, RETRIEVAL_RECIPE)
    assert prefix.answer is None and prefix.passages
    answer = asker.ask(q)
    assert {c.doc_id for c in answer.citations} <= {p.chunk.doc_id for p in asker.run(q).passages}
    assert answer.citations[0].doc_id == prefix.passages[0].chunk.doc_id == "honeybee"


class Scripted:
    name = "scripted"

    def generate(self, messages, **kw):
        return "Workers turn the nectar into honey in the hive [1]."

    def stream(self, messages, **kw):
        yield from ["Workers turn the nectar ", "into honey in the hive [1]."]


def _passages() -> list[Passage]:
    text = "Honeybees collect nectar. Workers turn the nectar into honey in the hive."
    return [Passage(1, Chunk("bee", 0, len(text), text, "bee#0"), "Bees", 1.0, row=1)]


@pytest.mark.parametrize("reader", [ExtractiveReader(Analyzer()), GenerativeReader(Scripted(), Analyzer())],
                         ids=["extractive", "generative"])
def test_every_reader_answers_with_exact_quotes_of_its_passages(reader) -> None:
    tokens: list[str] = []
    answer = reader.read("How is honey made?", _passages(), None, tokens.append)
    text = _passages()[0].chunk.text
    assert not answer.abstained and answer.citations
    for c in answer.citations:
        assert c.doc_id == "bee" and text[c.start:c.end] == c.quote
    assert "honey" in answer.text
    assert reader.read("How is honey made?", [], None, None).abstained
    if isinstance(reader, GenerativeReader):
        assert "".join(tokens) == Scripted().generate([])  # streamed piece by piece
