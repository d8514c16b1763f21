"""Cited answers end to end on the fixture collection, with the real packaged encoder."""

import pytest
from support import ROOT

from sleuth.ingest import read_paths
from sleuth.rag.context import Passage
from sleuth.rag.extractive import NOT_IN_COLLECTION
from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.rag.reader import GenerativeReader, parse_markers
from sleuth.rag.support import support
from sleuth.store.embedded.collection import Collection
from sleuth.text import Analyzer
from sleuth.types import Chunk, Document

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"


@pytest.fixture
def col(tmp_path):
    c = Collection.create(tmp_path / "c")
    c.ingest(read_paths([BEIR], fmt="beir"))
    yield c
    c.close()


def test_every_citation_is_an_exact_span_of_its_document(col):
    answer = Asker(col, options=AskOptions(memory=False)).ask("How do bees turn nectar into honey?")
    assert not answer.abstained and answer.citations
    shown = " ".join(answer.text.replace("**", "").split())
    for c in answer.citations:
        doc = col.store.get_document(c.doc_id)
        assert doc.text[c.start : c.end] == c.quote and " ".join(c.quote.split()) in shown
    assert answer.citations[0].doc_id == "honeybee"
    assert all(s.supported for s in answer.sentences)


def test_out_of_collection_question_is_declined(col):
    answer = Asker(col, options=AskOptions(memory=False)).ask("What was the GDP of Portugal in 1987?")
    assert answer.abstained and answer.text == NOT_IN_COLLECTION and not answer.citations


class Scripted:
    """A generator that returns a fixed text: lets the citation checks be tested on exact input."""

    name = "scripted"

    def __init__(self, text):
        self.text = text

    def generate(self, messages, **kw):
        return self.text

    def stream(self, messages, **kw):
        yield from self.text.split(" ")


def passages():
    text = "Honeybees collect nectar. Workers turn the nectar into honey in the hive."
    return [Passage(1, Chunk("bee", 0, len(text), text, "bee#0"), "Bees", 1.0),
            Passage(2, Chunk("moon", 0, 30, "The Moon raises the ocean tide", "moon#0"), "Tides", 0.5)]


def test_invented_citations_are_rejected_and_unsupported_sentences_flagged():
    raw = "Workers turn nectar into honey [1][7]. The moon is made of cheese [2]."
    a = GenerativeReader(Scripted(raw), Analyzer()).check("how is honey made", raw, passages())
    assert a.rejected_citations == (7,)
    assert "[7]" not in a.text
    assert [(s.citations, s.supported) for s in a.sentences] == [((1,), True), ((2,), False)]
    cite = a.citations[0]
    assert (cite.start, cite.end) == (26, 73) and cite.quote == "Workers turn the nectar into honey in the hive."


def test_a_model_that_declines_or_cites_nothing_valid_abstains():
    reader = GenerativeReader(Scripted("x"), Analyzer())
    assert reader.check("q", "NOT IN COLLECTION", passages()).abstained
    assert reader.check("q", "Cheese is tasty [9].", passages()).abstained


def test_markers_are_parsed_per_sentence():
    assert parse_markers("A is B [1]. C [2, 3]. [4]") == [("A is B.", [1]), ("C.", [2, 3, 4])]


def test_support_is_term_recall_in_the_cited_text():
    a = Analyzer()
    assert support("bees make honey", ["Honeybees: bees make honey daily"], a) == 1.0
    assert support("bees make cheese", ["bees make honey"], a) == pytest.approx(2 / 3)


def test_memory_serves_paraphrases_and_forgets_when_a_document_changes(col):
    asker = Asker(col)
    first = asker.ask("How do bees turn nectar into honey?")
    again = asker.ask("how do bees turn nectar into honey")
    assert again.from_memory and again.text == first.text
    assert again.memory_question == "How do bees turn nectar into honey?"
    assert not asker.ask("How do bees not turn nectar into honey?").from_memory  # negation differs
    doc = col.store.get_document("honeybee")
    col.ingest([Document(doc.doc_id, doc.text + " Honey keeps for years.", doc.title, doc.source, doc.metadata)])
    assert not asker.ask("how do bees turn nectar into honey").from_memory
    asker.close()


def test_memory_never_confuses_opposite_claims(col):
    asker = Asker(col)
    asker.ask("Does the moon's gravity increase sea level at high tide?")
    assert not asker.ask("Does the moon's gravity decrease sea level at high tide?").from_memory
    asker.close()


def test_a_memory_from_an_older_schema_is_started_afresh(col):
    import sqlite3

    db = sqlite3.connect(col.directory / "memory.sqlite")
    db.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, question TEXT, vector BLOB, answer TEXT, docs TEXT)")
    db.commit()
    db.close()
    asker = Asker(col)
    asker.ask("How do bees turn nectar into honey?")
    assert asker.ask("How do bees turn nectar into honey?").from_memory
    asker.close()
