"""Bad input, end to end through the CLI.

Every refusal must exit with status 1, print ``error: <what was wrong>`` and ``what to do: <fix>``
on stderr (never a traceback), and lose nothing already stored: each test indexes the small BEIR
fixture first, tries the bad thing, then checks that ``stats`` and a search still give the same
answers.

rich wraps stderr at 80 columns when it is not a terminal, so messages are compared with their
whitespace collapsed, and input files are given as short relative paths (the tests run in
``tmp_path``) so that no path is folded across lines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sleuth.cli.main import cli
from sleuth.store.embedded.lock import WriteLock
from sleuth.store.embedded.meta import save_meta

DATA = Path(__file__).resolve().parents[1] / "data" / "cli"
BEIR = DATA / "beir-mini"
SLEUTH = Path(sys.executable).with_name("sleuth")
N_DOCS = 15


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLEUTH_COLLECTION", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: Any) -> Result:
    return runner.invoke(cli, [str(a) for a in args])


def ok(runner: CliRunner, *args: Any) -> Result:
    result = invoke(runner, *args)
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def ok_json(runner: CliRunner, *args: Any) -> Any:
    return json.loads(ok(runner, *args, "--json").stdout)


def listed_json(runner: CliRunner, *args: Any) -> Any:
    """An index run that went on past bad input: it lists the failures and exits 1."""
    result = invoke(runner, *args, "--json")
    assert result.exit_code == 1, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return json.loads(result.stdout)


def flat(text: str) -> str:
    return " ".join(text.split())


def refused(result: Result, *what: str, fix: str = "") -> str:
    """Assert a friendly refusal; returns stderr with whitespace collapsed."""
    err = flat(result.stderr)
    assert result.exit_code == 1, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert err.startswith("error: ") or "\nerror: " in result.stderr, result.stderr
    assert "what to do: " in err, result.stderr
    for part in what:
        assert part in err, f"{part!r} not in stderr:\n{result.stderr}"
    if fix:
        assert fix in err.split("what to do: ", 1)[1], f"{fix!r} not in the 'what to do' line:\n{result.stderr}"
    assert result.stdout == ""
    return err


@pytest.fixture
def col(runner: CliRunner, tmp_path: Path) -> Path:
    """A collection holding the 15 BEIR fixture documents."""
    directory = tmp_path / "col"
    ok(runner, "index", BEIR, "-c", directory, "--no-progress")
    return directory


def assert_intact(runner: CliRunner, col: Path, documents: int = N_DOCS) -> None:
    assert ok_json(runner, "stats", "-c", col)["documents"] == documents
    hits = ok_json(runner, "search", "lava and magma", "-c", col)["hits"]
    assert hits and hits[0]["doc_id"] == "volcano"


def write(path: str, data: bytes | str) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        p.write_text(data, encoding="utf-8")
    else:
        p.write_bytes(data)
    return p


BAD_JSONL = (
    '{"_id": "a", "text": "alpha apples in the orchard"}\n'
    '{"_id": "b", "text": broken}\n'
    '{"_id": "c", "text": "gamma grapes on the vine"}\n'
)


# -- malformed records ----------------------------------------------------------------------------


def test_malformed_jsonl_names_file_and_line(runner: CliRunner, col: Path) -> None:
    write("bad.jsonl", BAD_JSONL)
    err = refused(invoke(runner, "index", "bad.jsonl", "-c", col, "--strict", "--no-progress"),
                  "bad.jsonl:2", "invalid JSON", fix="--skip-bad")
    assert "fix the line" in err
    # Documented in Collection.ingest: a reader error commits the records before it, then propagates;
    # nothing after the bad line is read.
    assert_intact(runner, col, N_DOCS + 1)
    assert ok_json(runner, "search", "apples", "-c", col)["hits"][0]["doc_id"] == "a"
    assert ok_json(runner, "search", "grapes", "--mode", "bm25", "-c", col)["hits"] == []


def test_malformed_jsonl_with_skip_bad(runner: CliRunner, col: Path) -> None:
    write("bad.jsonl", BAD_JSONL)
    out = listed_json(runner, "index", "bad.jsonl", "-c", col, "--skip-bad")
    assert (out["added"], out["failed"]) == (2, 1)
    (failure,) = out["failures"]
    assert failure["source"].endswith("bad.jsonl") and failure["line"] == 2
    assert "invalid JSON" in failure["reason"]
    assert out["total"]["documents"] == N_DOCS + 2
    assert ok_json(runner, "search", "grapes", "-c", col)["hits"][0]["doc_id"] == "c"
    assert ok_json(runner, "search", "apples", "-c", col)["hits"][0]["doc_id"] == "a"
    assert_intact(runner, col, N_DOCS + 2)


def test_skip_bad_human_summary_lists_path_and_line(runner: CliRunner, col: Path) -> None:
    write("bad.jsonl", BAD_JSONL)
    result = invoke(runner, "index", "bad.jsonl", "-c", col, "--skip-bad", "--no-progress")
    assert result.exit_code == 1  # the run went on, and says something was wrong
    err = flat(result.stderr)
    assert "failed bad.jsonl:2: invalid JSON" in err
    assert f"now holds {N_DOCS + 2} documents" in err


def test_jsonl_record_without_text_field(runner: CliRunner, col: Path) -> None:
    write("notext.jsonl", '{"_id": "x", "body": "words"}\n')
    refused(invoke(runner, "index", "notext.jsonl", "-c", col, "--strict", "--no-progress"),
            "notext.jsonl:1", "missing field 'text'", fix="--text-field")
    out = ok_json(runner, "index", "notext.jsonl", "-c", col, "--text-field", "body")
    assert out["added"] == 1
    assert_intact(runner, col, N_DOCS + 1)


# -- undecodable, empty, binary, damaged files ----------------------------------------------------


def test_undecodable_text_file(runner: CliRunner, col: Path) -> None:
    write("latin.txt", "Café crème brûlée.\n".encode("latin-1"))
    refused(invoke(runner, "index", "latin.txt", "-c", col, "--strict", "--no-progress"),
            "latin.txt:1", "not valid utf-8 at byte 3", fix="--encoding latin-1")
    assert_intact(runner, col)

    out = listed_json(runner, "index", "latin.txt", "-c", col, "--skip-bad")
    assert (out["added"], out["failed"]) == (0, 1)
    assert out["failures"][0]["line"] == 1 and "not valid utf-8" in out["failures"][0]["reason"]
    assert_intact(runner, col)

    out = ok_json(runner, "index", "latin.txt", "-c", col, "--encoding", "latin-1")
    assert out["added"] == 1
    assert ok_json(runner, "search", "crème", "-c", col)["hits"][0]["doc_id"] == "latin.txt"


def test_unknown_encoding(runner: CliRunner, col: Path) -> None:
    write("plain.txt", "plain words")
    refused(invoke(runner, "index", "plain.txt", "-c", col, "--encoding", "klingon"),
            "Unknown text encoding 'klingon'", fix="utf-8")
    assert_intact(runner, col)


@pytest.mark.parametrize("skip_bad", [False, True])
@pytest.mark.parametrize(
    ("content", "reason"), [(b"", "empty file"), (b" \n\t\n", "empty text: only whitespace")], ids=["empty", "blank"]
)
def test_empty_text_file_is_reported_not_fatal(
    runner: CliRunner, col: Path, skip_bad: bool, content: bytes, reason: str
) -> None:
    # By design (sleuth.ingest.base.empty) an empty input is reported in the summary whatever
    # --skip-bad says: it is not malformed, there is just nothing in it.
    write("empty.txt", content)
    out = ok_json(runner, "index", "empty.txt", "-c", col, *(["--skip-bad"] if skip_bad else []))
    assert (out["added"], out["failed"]) == (0, 1)
    assert out["failures"][0]["source"].endswith("empty.txt")
    assert out["failures"][0]["reason"] == reason
    assert_intact(runner, col)


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.md", "empty.jsonl"])
def test_an_empty_file_is_reported_the_same_way_in_every_format(runner: CliRunner, col: Path, name: str) -> None:
    # An empty .pdf used to stop the run with exit 1 ("could not parse PDF") while an empty .txt was
    # reported and the run went on: one rule now, whatever the format.
    write(name, b"")
    write("good.txt", "Penguins huddle together to survive the Antarctic winter.")
    out = ok_json(runner, "index", name, "good.txt", "-c", col)
    assert (out["added"], out["failed"]) == (1, 1)
    assert out["failures"][0]["source"].endswith(name) and out["failures"][0]["reason"] == "empty file"


def test_binary_file_named_txt(runner: CliRunner, col: Path) -> None:
    write("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    refused(invoke(runner, "index", "image.txt", "-c", col, "--strict", "--no-progress"),
            "image.txt", "looks like a binary file", fix="--format")
    assert_intact(runner, col)
    out = listed_json(runner, "index", "image.txt", "-c", col, "--skip-bad")
    assert (out["added"], out["failed"]) == (0, 1)
    assert "binary" in out["failures"][0]["reason"]
    assert_intact(runner, col)


def garbage_pdf() -> bytes:
    return bytes((i * 97 + 13) % 256 for i in range(600))  # deterministic junk, no %PDF header


def test_garbage_pdf(runner: CliRunner, col: Path) -> None:
    write("paper.pdf", garbage_pdf())
    refused(invoke(runner, "index", "paper.pdf", "-c", col, "--strict", "--no-progress"),
            "paper.pdf", "could not parse PDF", fix="PDF viewer")
    assert_intact(runner, col)
    out = listed_json(runner, "index", "paper.pdf", "-c", col, "--skip-bad")
    assert (out["added"], out["failed"]) == (0, 1)
    assert "could not parse PDF" in out["failures"][0]["reason"]
    assert_intact(runner, col)


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_garbage_pdf_prints_only_sleuth_message(tmp_path: Path) -> None:
    # pypdf's own warnings ("invalid pdf header", "EOF marker not found") must not show: sleuth.cli.main.main
    # quiets the pypdf logger. A real process, since in-process pytest's log capture would hide them.
    write("paper.pdf", garbage_pdf())
    p = sleuth_proc("index", "paper.pdf", "-c", tmp_path / "col", "--no-progress", "--strict")
    assert p.returncode == 1
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("error: paper.pdf: could not parse PDF"), p.stderr


def test_skip_bad_in_a_folder_indexes_the_good_files(runner: CliRunner, col: Path) -> None:
    write("mixed/good.txt", "Penguins huddle together to survive the Antarctic winter.")
    write("mixed/latin.txt", "Caf\xe9".encode("latin-1"))
    write("mixed/bin.txt", b"\x00\x01\x02\x03")
    write("mixed/broken.pdf", garbage_pdf())
    write("mixed/empty.md", "")
    refused(invoke(runner, "index", "mixed", "-c", col, "--strict", "--no-progress"), "mixed/")
    assert_intact(runner, col)
    out = listed_json(runner, "index", "mixed", "-c", col, "--skip-bad")
    assert out["added"] == 1 and out["failed"] == 4
    assert sorted(Path(f["source"]).name for f in out["failures"]) == ["bin.txt", "broken.pdf", "empty.md", "latin.txt"]
    assert ok_json(runner, "search", "penguins", "-c", col)["hits"][0]["doc_id"] == "good.txt"
    assert_intact(runner, col, N_DOCS + 1)


# -- paths ----------------------------------------------------------------------------------------


def test_nonexistent_path(runner: CliRunner, col: Path) -> None:
    for extra in ([], ["--skip-bad"]):
        refused(invoke(runner, "index", "no/such/file.txt", "-c", col, *extra),
                "No such file or directory: no/such/file.txt", fix="Check the path")
    assert_intact(runner, col)


def test_nonexistent_path_among_good_ones_indexes_nothing(runner: CliRunner, col: Path) -> None:
    write("fine.txt", "Penguins huddle together.")
    refused(invoke(runner, "index", "fine.txt", "missing.md", "-c", col), "missing.md")
    assert_intact(runner, col)


def test_folder_without_supported_files(runner: CliRunner, col: Path) -> None:
    write("odd/table.csv", "a,b\n1,2\n")
    write("odd/.hidden.txt", "hidden files are skipped")
    result = invoke(runner, "index", "odd", "-c", col, "--no-progress")
    assert result.exit_code == 0, result.output  # nothing wrong was given, just nothing to index
    assert "No documents were found in the given paths" in flat(result.stderr)
    assert_intact(runner, col)


def test_unknown_file_type(runner: CliRunner, col: Path) -> None:
    write("table.csv", "a,b\n1,2\n")
    refused(invoke(runner, "index", "table.csv", "-c", col), "Unknown file type: table.csv", fix="--format")
    assert_intact(runner, col)


# -- queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\t\n"], ids=["empty", "spaces", "tab-newline"])
def test_empty_query(runner: CliRunner, col: Path, query: str) -> None:
    refused(invoke(runner, "search", query, "-c", col), "The query is empty.", fix="Type some words")
    assert_intact(runner, col)


def test_huge_query(runner: CliRunner, col: Path) -> None:
    refused(invoke(runner, "search", "magma " * 2000, "-c", col),
            "The query is 12,000 characters long; the limit is 10,000.", fix="Shorten it")
    assert_intact(runner, col)


def test_query_at_the_limit_is_fine(runner: CliRunner, col: Path) -> None:
    query = ("magma " * 2000)[:10_000]
    assert ok_json(runner, "search", query, "-c", col)["hits"][0]["doc_id"] == "volcano"


def test_bad_k_is_a_usage_error(runner: CliRunner, col: Path) -> None:
    result = invoke(runner, "search", "magma", "-k", "0", "-c", col)
    assert result.exit_code == 2 and "Invalid value for '-k'" in result.stderr


# -- collections ----------------------------------------------------------------------------------


def set_format_version(col: Path, version: int) -> None:
    meta = json.loads((col / "meta.json").read_text())
    meta["format_version"] = version
    save_meta(col, meta)  # as the sleuth of that version would write it: checksummed


def test_newer_format_version(runner: CliRunner, col: Path) -> None:
    set_format_version(col, 999)
    store = (col / "docs.sqlite").read_bytes()
    for args in (["search", "magma"], ["stats"], ["ls"], ["rm", "volcano"], ["rm", "--all", "--yes"],
                 ["index", BEIR]):
        refused(invoke(runner, *args, "-c", col), "format version 999", "newer than this sleuth understands",
                fix="Upgrade sleuth")
    assert (col / "docs.sqlite").read_bytes() == store
    assert json.loads((col / "meta.json").read_text())["format_version"] == 999
    set_format_version(col, 1)
    assert_intact(runner, col)


def test_damaged_meta(runner: CliRunner, col: Path) -> None:
    good = (col / "meta.json").read_text()
    (col / "meta.json").write_text("{not json")
    refused(invoke(runner, "stats", "-c", col), "meta.json is damaged", fix="restore it from the docstore's copy")
    (col / "meta.json").write_text(json.dumps({"hello": "world"}))
    refused(invoke(runner, "search", "magma", "-c", col), "is not a sleuth collection's meta file", fix="--collection")
    (col / "meta.json").write_text(good)
    assert_intact(runner, col)


def test_unknown_setting_in_meta(runner: CliRunner, col: Path) -> None:
    meta = json.loads((col / "meta.json").read_text())
    meta["settings"]["chunk_sise"] = 10
    save_meta(col, meta)
    refused(invoke(runner, "stats", "-c", col), "Unknown setting 'chunk_sise'", "Did you mean 'chunk_size'?")


def test_directory_that_is_not_a_collection(runner: CliRunner, col: Path) -> None:
    write("papers/readme.txt", "Not a collection.")
    for args in (["search", "magma"], ["stats"], ["ls"], ["rm", "x"]):
        refused(invoke(runner, *args, "-c", "papers"), "papers is not a sleuth collection (no meta.json)",
                fix="--collection")
    refused(invoke(runner, "index", BEIR, "-c", "papers"), "papers exists and is not empty, and it is not a sleuth collection",
            fix="empty or new directory")
    refused(invoke(runner, "rm", "--all", "--yes", "-c", "papers"), "not a sleuth collection")
    assert sorted(p.name for p in Path("papers").iterdir()) == ["readme.txt"]
    assert_intact(runner, col)


def test_file_as_collection(runner: CliRunner, col: Path) -> None:
    write("file.txt", "just a file")
    for args in (["search", "magma"], ["stats"], ["ls"], ["rm", "x"]):
        refused(invoke(runner, *args, "-c", "file.txt"), "No collection at file.txt")
    assert Path("file.txt").read_text() == "just a file"
    assert_intact(runner, col)


def test_index_into_a_file_as_collection(runner: CliRunner) -> None:
    write("file.txt", "just a file")
    refused(invoke(runner, "index", BEIR, "-c", "file.txt"), "file.txt", fix="--collection")
    assert Path("file.txt").read_text() == "just a file"


@pytest.mark.parametrize("verb", [["search", "magma"], ["stats"], ["ls"], ["rm", "volcano"]])
def test_collection_that_does_not_exist(runner: CliRunner, verb: list[str]) -> None:
    refused(invoke(runner, *verb, "-c", "nowhere"), "No collection at nowhere", fix="sleuth index")
    assert not Path("nowhere").exists()


def test_default_collection_that_does_not_exist(runner: CliRunner, tmp_path: Path) -> None:
    refused(invoke(runner, "search", "magma"), f"No collection at {tmp_path / 'home' / 'default'}", fix="sleuth index")


def test_rm_without_ids(runner: CliRunner, col: Path) -> None:
    refused(invoke(runner, "rm", "-c", col), "No document ids given.", fix="--all")
    refused(invoke(runner, "rm", "volcano", "--all", "--yes", "-c", col), "Give document ids or --all, not both.")
    assert_intact(runner, col)


def test_other_chunk_settings_on_existing_collection(runner: CliRunner, col: Path) -> None:
    write("more.txt", "Penguins huddle together.")
    refused(invoke(runner, "index", "more.txt", "-c", col, "--chunk-size", "50"),
            "was created with other settings", "chunk_size=50", fix="new --collection")
    refused(invoke(runner, "index", "more.txt", "-c", col, "--chunker", "fixed"), "chunker=fixed")
    assert_intact(runner, col)
    assert ok_json(runner, "stats", "-c", col)["settings"]["chunk_size"] == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [(["--chunk-size", "0"], "Chunk size must be at least 1 word, got 0."),
     (["--chunk-size", "10", "--chunk-overlap", "20"], "Chunk overlap must be between 0 and size-1 (9), got 20.")],
)
def test_invalid_chunk_settings_are_refused(runner: CliRunner, options: list[str], message: str) -> None:
    write("more.txt", "Penguins huddle together.")
    refused(invoke(runner, "index", "more.txt", "-c", "new", *options), message)


def test_invalid_chunk_settings_leave_no_broken_collection(runner: CliRunner) -> None:
    write("more.txt", "Penguins huddle together.")
    refused(invoke(runner, "index", "more.txt", "-c", "new", "--chunk-size", "0"), "Chunk size")
    assert ok_json(runner, "index", "more.txt", "-c", "new")["added"] == 1


def test_search_on_an_empty_collection(runner: CliRunner) -> None:
    write("empty.txt", "")
    assert ok_json(runner, "index", "empty.txt", "-c", "hollow")["total"]["documents"] == 0
    result = invoke(runner, "search", "magma", "-c", "hollow", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hits"] == []


def test_missing_docstore(runner: CliRunner, col: Path) -> None:
    for p in col.glob("docs.sqlite*"):
        p.unlink()
    refused(invoke(runner, "stats", "-c", col), "docs.sqlite is missing", "its documents are lost",
            fix="Restore docs.sqlite from a backup")


def test_docstore_error_names_only_real_commands(runner: CliRunner, col: Path) -> None:
    for p in col.glob("docs.sqlite*"):
        p.unlink()
    err = refused(invoke(runner, "stats", "-c", col), "is missing")
    if "sleuth doctor" in err:
        assert ok(runner, "doctor", "--help")


# -- eval -----------------------------------------------------------------------------------------


def test_eval_unknown_split(runner: CliRunner) -> None:
    refused(invoke(runner, "eval", BEIR, "--split", "dev"), "No qrels for split 'dev'", fix="Available splits: test")


def test_eval_folder_without_queries(runner: CliRunner) -> None:
    Path("notbeir").mkdir()
    refused(invoke(runner, "eval", "notbeir"), "No queries file", fix="queries.jsonl")


def test_eval_malformed_qrels(runner: CliRunner) -> None:
    shutil.copytree(BEIR, "beir")
    with open("beir/qrels/test.tsv", "a") as f:
        f.write("q1 honeybee 1\n")
    refused(invoke(runner, "eval", "beir"), "test.tsv:9", "expected 3 tab-separated fields", fix="query-id<TAB>corpus-id<TAB>score")


# -- a second writer ------------------------------------------------------------------------------


def sleuth_proc(*args: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300"}
    env.pop("SLEUTH_COLLECTION", None)
    return subprocess.run([str(SLEUTH), *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_second_writer_is_refused(runner: CliRunner, col: Path) -> None:
    write("more.txt", "Penguins huddle together to survive the winter.")
    with WriteLock(col):
        p = sleuth_proc("index", "more.txt", "-c", col, "--no-progress")
        assert p.returncode == 1, p.stderr
        assert "Traceback" not in p.stderr
        assert f"error: Another process (pid {os.getpid()}) is writing to {col}." in p.stderr
        assert "what to do: Wait for it to finish, then run this command again." in p.stderr
        assert p.stdout == ""
        # Other writers are refused too, in-process (flock is per open file, so this process conflicts as well) ...
        refused(invoke(runner, "rm", "volcano", "-c", col), "is writing to", fix="Wait for it to finish")
        refused(invoke(runner, "rm", "--all", "--yes", "-c", col), "is writing to")
        # ... but readers are not.
        assert_intact(runner, col)
    assert ok_json(runner, "index", "more.txt", "-c", col)["added"] == 1
    assert_intact(runner, col, N_DOCS + 1)


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_subprocess_error_has_no_traceback(tmp_path: Path) -> None:
    p = sleuth_proc("search", "magma", "-c", tmp_path / "nowhere")
    assert p.returncode == 1
    assert p.stderr.startswith("error: No collection at ")
    assert "what to do: " in p.stderr and "Traceback" not in p.stderr


@pytest.mark.skipif(not SLEUTH.exists(), reason="the sleuth script is not installed next to this python")
def test_error_lines_are_not_wrapped_in_a_pipe(tmp_path: Path) -> None:
    where = tmp_path / ("deep/" * 12) / "collection"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "SLEUTH_COLLECTION")}
    p = subprocess.run([str(SLEUTH), "search", "magma", "-c", str(where)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert lines[0] == f"error: No collection at {where}.", p.stderr
    assert lines[1].startswith("what to do: ") and lines[1].endswith("(or pass --collection DIR)."), p.stderr
