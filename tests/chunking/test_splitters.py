import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sleuth.chunking import CHUNKERS, chunk_text
from sleuth.chunking.splitters import sentence_spans
from sleuth.errors import ConfigError

TEXT = "Alpha beta gamma. Delta epsilon! Zeta eta theta iota? Kappa lambda mu nu xi omicron pi."


def texts(spans, text=TEXT):
    return [text[a:b] for a, b in spans]


def test_sentences_are_found_and_trimmed():
    assert texts(sentence_spans(TEXT)) == [
        "Alpha beta gamma.", "Delta epsilon!", "Zeta eta theta iota?", "Kappa lambda mu nu xi omicron pi."]


def test_sentence_packing_respects_size_and_keeps_sentences_whole():
    # The last sentence has 7 words > 6, so it is cut into fixed windows.
    assert texts(chunk_text(TEXT, "sentence", 6, 0)) == [
        "Alpha beta gamma. Delta epsilon!", "Zeta eta theta iota?", "Kappa lambda mu nu xi omicron", "pi."]


def test_fixed_windows_with_overlap():
    text = "a b c d e f g"
    assert texts(chunk_text(text, "fixed", 3, 1), text) == ["a b c", "c d e", "e f g"]


def test_fixed_windows_last_window_ends_at_last_word():
    text = "a b c d"
    assert texts(chunk_text(text, "fixed", 3, 0), text) == ["a b c", "d"]


def test_sentence_overlap_carries_the_previous_sentence():
    text = "One two. Three four. Five six."
    assert texts(chunk_text(text, "sentence", 4, 2), text) == ["One two. Three four.", "Three four. Five six."]


def test_empty_and_whitespace_text_have_no_chunks():
    assert chunk_text("", "sentence", 10, 0) == [] and chunk_text("  \n ", "fixed", 10, 0) == []


@pytest.mark.parametrize("size,overlap,msg", [(0, 0, "at least 1 word"), (5, 5, "between 0 and size-1")])
def test_bad_sizes_are_config_errors(size, overlap, msg):
    with pytest.raises(ConfigError, match=msg):
        chunk_text(TEXT, "fixed", size, overlap)


def test_unknown_chunker_suggests_close_name():
    with pytest.raises(ConfigError, match="Did you mean 'sentence'"):
        chunk_text(TEXT, "sentense")


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab .!?\nXY")), max_size=300),
       method=st.sampled_from(CHUNKERS.names()), size=st.integers(1, 12), overlap=st.integers(0, 11))
def test_spans_are_ordered_within_text_and_cover_every_word(text, method, size, overlap):
    overlap = min(overlap, size - 1)
    spans = chunk_text(text, method, size, overlap)
    for a, b in spans:
        assert 0 <= a < b <= len(text)
        assert text[a:b] == text[a:b].strip()
    assert [a for a, _ in spans] == sorted(a for a, _ in spans)
    covered = set()
    for a, b in spans:
        covered.update(range(a, b))
    for m in re.finditer(r"\S+", text):
        assert set(range(m.start(), m.end())) <= covered
    for a, b in spans:
        assert len(re.findall(r"\S+", text[a:b])) <= size


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab .!?\n\t\u00a0\u2003A1(\"'")), max_size=80), size=st.integers(1, 12))
def test_sentence_fast_path_equals_packing(text, size):
    """A text that fits one passage takes a shortcut; it must give what sentence packing gives."""
    from sleuth.chunking.splitters import _WORD, fixed_windows, pack_units, sentence_packed

    units = []
    for a, b in sentence_spans(text):
        n = len(_WORD.findall(text[a:b]))
        if n > size:
            units.extend((a + x, a + y, size) for x, y in fixed_windows(text[a:b], size, 0))
        elif n:
            units.append((a, b, n))
    assert sentence_packed(text, size, 0) == pack_units(units, size, 0)
