import pytest

from sleuth.errors import ConfigError
from sleuth.text import Analyzer
from sleuth.text.highlight import snippet


def test_terms_lowercase_stop_stem():
    a = Analyzer()
    assert a.terms("The Running dogs are RUNNING in a Park") == ["run", "dog", "run", "park"]


def test_single_letters_dropped_and_unicode_words_kept():
    assert Analyzer(stemmer="none").terms("x y café naïve 2024") == ["café", "naïve", "2024"]


def test_tokens_offsets_point_into_the_text():
    text = "  Dogs   RUNNING, fast!"
    toks = Analyzer().tokens(text)
    assert [(t.term, text[t.start : t.end]) for t in toks] == [("dog", "Dogs"), ("run", "RUNNING"), ("fast", "fast")]


def test_no_stopwords_keeps_them():
    assert Analyzer(stopwords="none", stemmer="none").terms("the cat") == ["the", "cat"]


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="Valid stop-word lists: english, none"):
        Analyzer(stopwords="klingon")
    with pytest.raises(ConfigError, match="Unknown stemmer language 'klingon'"):
        Analyzer(stemmer="klingon")


def test_snippet_marks_stemmed_matches_and_cuts_with_ellipsis():
    text = "Intro words. " + "filler " * 50 + "The dog runs fast. " + "tail " * 50
    s, marks = snippet(text, "running dogs", Analyzer(), width=10)
    assert s.startswith("…") and s.endswith("…")
    assert sorted(s[a:b] for a, b in marks) == ["dog", "runs"]


def test_snippet_of_short_text_is_whole_text():
    s, marks = snippet("Dogs bark.", "dog", Analyzer())
    assert s == "Dogs bark." and [s[a:b] for a, b in marks] == ["Dogs"]
