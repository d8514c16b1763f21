"""The recursive (structure-aware) and semantic chunkers: exact offsets, size limits, where they cut."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sleuth.chunking import CHUNKERS, chunk_text, semantic
from sleuth.chunking.semantic import optimal_groups
from sleuth.config import Settings
from sleuth.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "index"))
from fake_encoder import HashEncoder  # noqa: E402

WORD = re.compile(r"\S+")

MARKDOWN = """# Kites

A kite is a tethered wing. It flies when wind flows over it.

## Designs

The diamond kite has a cross spar and a tail.
The box kite has no tail and flies in light winds.
A delta kite is stable and easy to launch.

## Safety

Never fly a kite near power lines or airports. Use gloves when the line pulls hard and the wind is strong today.
"""


def texts(spans, text):
    return [text[a:b] for a, b in spans]


def words(s: str) -> int:
    return len(WORD.findall(s))


@pytest.fixture
def hash_encoder():
    enc = HashEncoder()
    semantic.set_encoder(enc)
    yield enc
    semantic.set_encoder(None)


def test_new_chunkers_are_registered_and_valid_settings():
    assert {"recursive", "semantic"} <= set(CHUNKERS.names())
    assert Settings(chunker="recursive").chunker == "recursive"
    assert Settings(chunker="semantic", chunk_size=50, chunk_overlap=10).chunker == "semantic"
    with pytest.raises(ConfigError, match="Did you mean 'recursive'"):
        Settings(chunker="recursiv")


# -- recursive -----------------------------------------------------------------------------------


def test_recursive_keeps_markdown_sections_whole_when_they_fit():
    chunks = texts(chunk_text(MARKDOWN, "recursive", 40, 0), MARKDOWN)
    assert chunks[0].startswith("# Kites")
    assert chunks[1].startswith("## Designs") and chunks[1].endswith("light winds.\nA delta kite is stable and easy to launch.")
    assert chunks[2].startswith("## Safety")
    assert len(chunks) == 3


def test_recursive_goes_down_to_lines_sentences_and_words():
    chunks = texts(chunk_text(MARKDOWN, "recursive", 12, 0), MARKDOWN)
    assert "## Designs" in chunks  # the heading alone: the next paragraph is too long to join it
    assert "The diamond kite has a cross spar and a tail." in chunks  # a line
    assert "Never fly a kite near power lines or airports." in chunks  # a sentence
    long_sentence = "Use gloves when the line pulls hard and the wind is strong today."  # 13 words > 12
    assert "Use gloves when the line pulls hard and the wind is strong" in chunks  # word windows
    assert "today." in chunks
    assert all(words(c) <= 12 for c in chunks)
    assert long_sentence not in chunks


def test_recursive_equals_sentence_packing_on_plain_prose():
    text = "Alpha beta gamma. Delta epsilon! Zeta eta theta iota? Kappa lambda mu nu xi omicron pi."
    for size in (3, 5, 9, 40):
        assert chunk_text(text, "recursive", size, 0) == chunk_text(text, "sentence", size, 0)


def test_recursive_overlap_repeats_whole_pieces():
    text = "One two. Three four. Five six."
    assert texts(chunk_text(text, "recursive", 4, 2), text) == ["One two. Three four.", "Three four. Five six."]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab .!?\n#XY")), max_size=300),
       size=st.integers(1, 12), overlap_frac=st.floats(0, 0.9))
def test_recursive_invariants(text, size, overlap_frac):
    overlap = min(size - 1, int(size * overlap_frac))
    spans = chunk_text(text, "recursive", size, overlap)
    covered = set()
    for a, b in spans:
        assert 0 <= a < b <= len(text)
        piece = text[a:b]
        assert piece == piece.strip() and words(piece) <= size
        covered.update(range(a, b))
    assert [a for a, _ in spans] == sorted(a for a, _ in spans)
    for m in WORD.finditer(text):  # every word is in some chunk
        assert m.start() in covered
    if overlap == 0:
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))


# -- semantic ------------------------------------------------------------------------------------

TWO_TOPICS = ("Cats purr and cats sleep all day. Cats chase mice at night. "
              "Quantum lasers emit coherent photons. Lasers use quantum photons in optics.")


def test_optimal_groups_finds_the_two_blocks():
    sim = np.array([[1, .9, .1, .1], [.9, 1, .1, .1], [.1, .1, 1, .9], [.1, .1, .9, 1]])
    assert optimal_groups(sim, [5, 5, 5, 5], budget=100) == [(0, 1), (2, 3)]
    assert optimal_groups(sim, [5, 5, 5, 5], budget=5) == [(0, 0), (1, 1), (2, 2), (3, 3)]


def test_optimal_groups_prefers_fewer_groups_on_ties_and_respects_the_budget():
    flat = np.ones((4, 4))
    assert optimal_groups(flat, [3, 3, 3, 3], budget=12) == [(0, 3)]
    assert optimal_groups(flat, [3, 3, 3, 3], budget=7) == [(0, 1), (2, 3)]
    # Chroma's table starts at 0, which lets a group grow past the limit when rewards are negative:
    anti = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)
    groups = optimal_groups(anti, [4, 4, 4], budget=8)
    assert all(sum([4] * (b - a + 1)) <= 8 for a, b in groups)


def test_semantic_cuts_at_the_topic_change(hash_encoder):
    chunks = texts(chunk_text(TWO_TOPICS, "semantic", 20, 0), TWO_TOPICS)
    assert chunks == ["Cats purr and cats sleep all day. Cats chase mice at night.",
                      "Quantum lasers emit coherent photons. Lasers use quantum photons in optics."]


def test_semantic_short_document_is_one_chunk_without_embedding(hash_encoder):
    assert chunk_text(TWO_TOPICS, "semantic", 100, 0) == [(0, len(TWO_TOPICS))]
    assert hash_encoder.calls == 0


def test_semantic_overlap_stays_within_size(hash_encoder):
    spans = chunk_text(TWO_TOPICS, "semantic", 12, 5)
    chunks = texts(spans, TWO_TOPICS)
    assert all(words(c) <= 12 for c in chunks)
    assert any(a2 < b1 for (_, b1), (a2, _) in zip(spans, spans[1:]))  # some overlap was carried


def test_semantic_splits_long_sentences_into_windows(hash_encoder):
    text = " ".join(f"w{i}" for i in range(30)) + "."
    chunks = texts(chunk_text(text, "semantic", 8, 0), text)
    assert all(words(c) <= 8 for c in chunks) and " ".join(chunks) == text


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("abc .!?\nXY")), max_size=200), size=st.integers(1, 10))
def test_semantic_invariants(text, size):
    semantic.set_encoder(HashEncoder())
    try:
        spans = chunk_text(text, "semantic", size, 0)
    finally:
        semantic.set_encoder(None)
    covered = set()
    for a, b in spans:
        assert text[a:b] == text[a:b].strip() and words(text[a:b]) <= size
        covered.update(range(a, b))
    for m in WORD.finditer(text):
        assert m.start() in covered


def test_semantic_with_the_packaged_minilm():
    pytest.importorskip("onnxruntime")
    semantic.set_encoder(None)
    text = ("The honey bee colony has one queen and thousands of workers. Workers forage for nectar and pollen. "
            "Volcanoes erupt when magma rises through the crust. Viscous magma traps gas and explodes.")
    chunks = texts(chunk_text(text, "semantic", 20, 0), text)
    assert chunks == ["The honey bee colony has one queen and thousands of workers. Workers forage for nectar and pollen.",
                      "Volcanoes erupt when magma rises through the crust. Viscous magma traps gas and explodes."]
