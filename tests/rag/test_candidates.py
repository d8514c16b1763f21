"""Candidate sentences: units that sentences never cross, and the kind of block a sentence is in."""

from sleuth.rag.candidates import block_kind, clean, sentences


def split(text):
    return [text[a:b] for a, b in sentences(text)]


def test_headings_bullets_and_paragraphs_end_sentences():
    text = ("3.1 Overview\nOur retriever maps any text passage to a vector and builds an index for all the\n"
            "passages we have. We use it.\n\nThe main features are:\n• On-line structure management here.\n"
            "• Off-line management.")
    assert split(text) == ["3.1 Overview",
                           "Our retriever maps any text passage to a vector and builds an index for all the\n"
                           "passages we have.", "We use it.", "The main features are:",
                           "• On-line structure management here.", "• Off-line management."]


def test_a_hyphenated_or_continued_short_line_does_not_end_a_sentence():
    text = "A long line of the paragraph that sets the width of this paragraph for all lines\nneu-\nral nets are used."
    assert split(text) == [text]


def test_abbreviations_do_not_end_sentences():
    assert split("As shown by Gao et al. (2018) this works. See Fig. 3 here.") == [
        "As shown by Gao et al. (2018) this works.", "See Fig. 3 here."]


def test_block_kinds_by_shape():
    assert block_kind("Table 3: Results on NQ.", 0, None) == "caption"
    assert block_kind("Karpukhin, V., Oguz, B. 2020. Dense passage retrieval. In Proceedings of EMNLP.", 0, None) == "reference"
    assert block_kind("We split articles, following (Wang et al., 2019), into 100-word passages.", 0, None) == "body"
    assert block_kind("BM25 78.4 79.4 73.2 79.8 63.2", 0, None) == "table"


def test_block_kinds_from_metadata_win():
    blocks = [{"kind": "footnote", "start": 10, "end": 40}, {"kind": "caption", "start": 50, "end": 60}]
    assert block_kind("anything", 12, blocks) == "footnote"
    assert block_kind("Table 1: looks like a caption", 45, blocks) == "body"


def test_clean_undoes_ligatures_and_line_end_hyphens():
    assert clean("a ﬁne neu-\nral\nnetwork") == "a fine neural network"
