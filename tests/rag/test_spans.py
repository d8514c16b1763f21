"""Answer spans inside a sentence: numbers with units, names, reasons and means, by rule."""

from sleuth.rag.question import analyze
from sleuth.rag.spans import absence, answer_span, name_spans, number_spans, reason_span
from sleuth.text import Analyzer

A = Analyzer()


def spans(text, found):
    return [text[a:b] for a, b in found]


def test_numbers_skip_citations_labels_markers_and_the_question():
    s = "As shown in Table 3 and (Wang et al., 2019), we keep 37 papers [12]; (1) and 2) are markers."
    assert spans(s, number_spans(s)) == ["37"]
    s = "We use a top-20 cut and 21,015,324 passages."
    assert spans(s, number_spans(s, "What top-20 accuracy?")) == ["21,015,324"]
    s = "Gao, Fisch, and Chen (2021) used 5 seeds."
    assert spans(s, number_spans(s)) == ["5"]


def test_numbers_keep_units_and_ranges_but_not_headings_or_names_asked_about():
    s = "It ranges from 2-4, speeds up by 1.6x to 5.3x and saves 12.1% with 115M parameters."
    assert spans(s, number_spans(s)) == ["2-4", "1.6x to 5.3x", "12.1%", "115M"]
    s = "3.1 Overview\nOur model has 7 layers."
    assert spans(s, number_spans(s)) == ["7"]
    s = "A draft model for LLaVA 7B with 115M parameters."
    assert spans(s, number_spans(s, "How big is the draft model for LLaVA?")) == ["115M"]


def test_the_number_next_to_the_unit_asked_for_wins_and_is_marked_with_it():
    q = analyze("How many passages does the corpus contain?")
    s = "We split into blocks of 100 words as passages, which results in 21,015,324 passages in the end."
    strength, (a, b) = answer_span(q, s, A)
    assert strength == 1.0 and s[a:b] == "21,015,324 passages"
    strength, _ = answer_span(q, "It took 3 days.", A)
    assert strength == 0.6  # a number, but not of the thing asked


def test_names():
    s = "During inference we index them using FAISS (Johnson et al., 2017) offline, as MUST be done."
    assert spans(s, name_spans(s)) == ["FAISS"]  # not the cited author, not an RFC keyword
    s = "The header file of this library is libtasn1.h."
    assert spans(s, name_spans(s)) == ["libtasn1.h"]
    q = analyze("Which similarity-search library do the authors use?")
    strength, (a, b) = answer_span(q, "FAISS is an open-source library for similarity search.", A)
    assert (strength, "FAISS is an open-source library for similarity search."[a:b]) == (1.0, "FAISS")


def test_reasons_and_means():
    s = "As a result, there is a high lexical overlap, which gives BM25 a clear advantage."
    strength, (a, b) = reason_span(s)
    assert strength == 1.0 and s[a:b].startswith("As a result")
    assert reason_span("It uses tiling to reduce memory reads.", means=True)[0] == 1.0
    assert reason_span("The sky is blue.") == (0.0, None)
    q = analyze("How does FlashAttention cut memory reads?")
    assert answer_span(q, "FlashAttention uses tiling to reduce reads between HBM and SRAM.", A)[0] == 1.0
    assert answer_span(q, "It reduces reads through tiling.", A)[0] == 0.8  # no method named: 0.8 of it


def test_absence_meets_a_without_constraint():
    q = "How can a model be aligned without a reward model?"
    assert absence(q, "It eliminates the need for a reference model.")
    assert absence(q, "A reward-free objective.")
    assert not absence(q, "A reward model scores each response.")
    assert not absence("How can a model be aligned?", "It needs no model.")


def test_model_checkpoints_tools_and_attached_units():
    s = "We use paraphrase-mpnet-base-v2 as the weights, a state-of-the-art top-10 setup."
    assert spans(s, name_spans(s)) == ["paraphrase-mpnet-base-v2"]
    s = "Then papermage runs PDF2TextParser (using pdfplumber) on the file."
    assert spans(s, name_spans(s, "Which utility does PDF2TextParser use?")) == ["pdfplumber"]
    s = "We train it (from scratch) and sample (with replacement)."
    assert spans(s, name_spans(s)) == []
    s = "olmOCR used 1024px on the longest edge, at 3.3 V and 20 mA."
    assert spans(s, number_spans(s)) == ["1024px", "3.3 V", "20 mA"]


def test_measure_nouns_of_science_ask_for_a_number():
    assert analyze("What image resolution does the model get?").kind == "number"
    assert analyze("What Fleiss' kappa did the annotators reach?").kind == "number"
    assert analyze("Which parser does the system use?").kind == "name"
    assert analyze("What current methods align language models?").kind == "name"  # "current" is an adjective here
    assert analyze("Which layers are frozen?").kind == "name"  # which ones, not how many


def test_results_purposes_and_described_strategies_are_reasons_and_means():
    s = "We switched to YAML, which reduced the retry rate dramatically."
    strength, (a, b) = reason_span(s)
    assert strength == 1.0 and s[a:b] == "which reduced the retry rate dramatically"
    assert reason_span("They are excluded, given that they are arbitrary perturbations.")[0] == 1.0
    assert reason_span("Our personalized approach that selected citations cited twice.", means=True)[0] == 1.0
