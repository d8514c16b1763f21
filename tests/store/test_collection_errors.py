"""The CLI's bad-input cases at the Python API level: each raises a specific SleuthError subclass
whose message says what was wrong (``what``) and what to do (``fix``), and loses nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sleuth.config import Settings
from sleuth.errors import CollectionError, ConfigError, FormatError, InputError, SleuthError
from sleuth.ingest import Rejected, read_paths
from sleuth.store.base import MAX_QUERY_CHARS, check_query
from sleuth.store.embedded.collection import Collection
from sleuth.store.embedded.lock import WriteLock
from sleuth.store.embedded.meta import save_meta
from sleuth.types import Document

BEIR = Path(__file__).resolve().parents[1] / "data" / "cli" / "beir-mini"
N_DOCS = 15

BAD_JSONL = (
    '{"_id": "a", "text": "alpha apples in the orchard"}\n'
    '{"_id": "b", "text": broken}\n'
    '{"_id": "c", "text": "gamma grapes on the vine"}\n'
)


@pytest.fixture
def col_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "col"
    with Collection.create(directory) as col:
        col.ingest(read_paths([BEIR]))
    return directory


@pytest.fixture
def col(col_dir: Path):  # noqa: ANN201
    with Collection.open(col_dir) as c:
        yield c


def assert_intact(directory: Path, documents: int = N_DOCS) -> None:
    with Collection.open(directory, readonly=True) as c:
        assert c.stats()["documents"] == documents
        assert c.search("lava and magma")[0].doc_id == "volcano"


def has_fix(exc: pytest.ExceptionInfo[SleuthError]) -> None:
    assert exc.value.what and exc.value.fix, (exc.value.what, exc.value.fix)


def set_meta(directory: Path, **changes: object) -> None:
    meta = json.loads((directory / "meta.json").read_text())
    meta.update(changes)
    save_meta(directory, meta)  # as a sleuth that wrote these values would: checksummed


# -- malformed and unreadable input ---------------------------------------------------------------


def test_malformed_jsonl(col: Collection, col_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(BAD_JSONL)
    with pytest.raises(FormatError, match=r"bad\.jsonl:2: invalid JSON") as exc:
        col.ingest(read_paths([bad]))
    assert isinstance(exc.value, InputError)
    assert (exc.value.path, exc.value.line) == (str(bad), 2)
    assert "--skip-bad" in exc.value.fix
    # Records before the bad line are committed (Collection.ingest's contract), none after it.
    assert_intact(col_dir, N_DOCS + 1)


def test_malformed_jsonl_skip_bad(col: Collection, col_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(BAD_JSONL)
    summary = col.ingest(read_paths([bad], skip_bad=True))
    assert (summary.added, len(summary.failed)) == (2, 1)
    (failure,) = summary.failed
    assert (failure.source, failure.line) == (str(bad), 2)
    assert summary.to_dict()["failures"] == [{"source": str(bad), "line": 2, "reason": failure.reason}]
    assert_intact(col_dir, N_DOCS + 2)


@pytest.mark.parametrize(
    ("name", "data", "pattern"),
    [
        ("latin.txt", "Café crème".encode("latin-1"), r"latin\.txt:1: not valid utf-8 at byte 3"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00", r"image\.txt: looks like a binary file"),
        ("paper.pdf", bytes((i * 97 + 13) % 256 for i in range(600)), r"paper\.pdf: could not parse PDF"),
    ],
    ids=["latin-1", "binary", "garbage-pdf"],
)
def test_unreadable_files(col: Collection, col_dir: Path, tmp_path: Path, name: str, data: bytes, pattern: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FormatError, match=pattern) as exc:
        col.ingest(read_paths([path]))
    has_fix(exc)
    assert_intact(col_dir)
    summary = col.ingest(read_paths([path], skip_bad=True))
    assert (summary.added, len(summary.failed)) == (0, 1)
    assert summary.failed[0].source == str(path)
    assert_intact(col_dir)


@pytest.mark.parametrize("skip_bad", [False, True])
def test_empty_file_is_reported_not_raised(col: Collection, col_dir: Path, tmp_path: Path, skip_bad: bool) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    summary = col.ingest(read_paths([path], skip_bad=skip_bad))
    assert (summary.added, [f.reason for f in summary.failed]) == (0, ["empty file"])
    assert_intact(col_dir)


def test_rejected_items_and_textless_documents_are_reported(col: Collection, col_dir: Path) -> None:
    items = [
        Rejected("x.jsonl", 7, "invalid JSON"),
        Document("blank", "   \n "),
        Document("fresh", "Penguins huddle together to survive the winter."),
    ]
    summary = col.ingest(items)
    assert summary.added == 1
    assert [(f.source, f.line) for f in summary.failed] == [("x.jsonl", 7), ("", None)]
    assert "'blank' has no text" in summary.failed[1].reason
    assert_intact(col_dir, N_DOCS + 1)


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="No such file or directory: .*nope.txt") as exc:
        read_paths([tmp_path / "nope.txt"], skip_bad=True)
    has_fix(exc)


def test_unknown_encoding(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown text encoding 'klingon'"):
        read_paths([tmp_path], encoding="klingon")


# -- queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", " ", "\t\n  "])
def test_empty_query(col: Collection, query: str) -> None:
    with pytest.raises(InputError, match="The query is empty") as exc:
        col.search(query)
    has_fix(exc)


def test_non_string_query() -> None:
    with pytest.raises(InputError, match="The query is empty"):
        check_query(None)  # type: ignore[arg-type]


def test_huge_query(col: Collection, col_dir: Path) -> None:
    with pytest.raises(InputError, match=r"10,001 characters long; the limit is 10,000") as exc:
        col.search("m" * (MAX_QUERY_CHARS + 1))
    has_fix(exc)
    assert col.search(("magma " * 2000)[:MAX_QUERY_CHARS])[0].doc_id == "volcano"
    assert_intact(col_dir)


@pytest.mark.parametrize("k", [0, -3])
def test_bad_k(col: Collection, k: int) -> None:
    with pytest.raises(InputError, match=f"k must be at least 1, got {k}"):
        col.search("magma", k)


def test_unknown_mode(col: Collection) -> None:
    with pytest.raises(ConfigError, match=r"Unknown pipeline 'bm52'\. Did you mean 'bm25'\?"):
        col.search("magma", mode="bm52")


def test_search_on_an_empty_collection(tmp_path: Path) -> None:
    with Collection.create(tmp_path / "empty") as c:
        assert c.search("magma") == []
        c.ingest([Rejected("x.txt", None, "empty file")])
        assert c.search("magma") == []


# -- opening and creating collections -------------------------------------------------------------


def test_open_missing(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match="No collection at .*nowhere") as exc:
        Collection.open(tmp_path / "nowhere")
    assert "sleuth index" in exc.value.fix
    assert not (tmp_path / "nowhere").exists()


def test_open_a_directory_that_is_not_a_collection(tmp_path: Path) -> None:
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "a.txt").write_text("hello")
    with pytest.raises(CollectionError, match=r"is not a sleuth collection \(no meta\.json\)") as exc:
        Collection.open(tmp_path / "papers")
    has_fix(exc)
    with pytest.raises(CollectionError, match="exists and is not empty, and it is not a sleuth collection"):
        Collection.open_or_create(tmp_path / "papers")
    with pytest.raises(CollectionError, match="not a sleuth collection"):
        Collection.remove(tmp_path / "papers")
    assert [p.name for p in (tmp_path / "papers").iterdir()] == ["a.txt"]


def test_newer_format_version(col_dir: Path) -> None:
    set_meta(col_dir, format_version=999)
    for call in (lambda: Collection.open(col_dir), lambda: Collection.open_or_create(col_dir),
                 lambda: Collection.remove(col_dir)):
        with pytest.raises(CollectionError, match="format version 999, newer than this sleuth understands") as exc:
            call()
        assert "Upgrade sleuth" in exc.value.fix
    assert col_dir.is_dir()
    set_meta(col_dir, format_version=1)
    assert_intact(col_dir)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [("{oops", r"meta\.json is damaged"), ('{"format_version": 1}', "is not a sleuth collection's meta file"),
     ('{"format": "sleuth-collection", "format_version": "1"}', "is not a sleuth collection's meta file")],
)
def test_damaged_meta(col_dir: Path, content: str, pattern: str) -> None:
    (col_dir / "meta.json").write_text(content)
    with pytest.raises(CollectionError, match=pattern) as exc:
        Collection.open(col_dir)
    has_fix(exc)


def test_unknown_setting_in_meta(col_dir: Path) -> None:
    meta = json.loads((col_dir / "meta.json").read_text())
    meta["settings"]["chunk_sise"] = 10
    save_meta(col_dir, meta)  # a valid checksum over an invalid setting: validation, not the checksum, refuses it
    with pytest.raises(CollectionError, match=r"meta\.json is damaged \(settings: Unknown setting 'chunk_sise'\. "
                                              r"Did you mean 'chunk_size'\?") as exc:
        Collection.open(col_dir)
    assert "sleuth doctor --repair" in exc.value.fix


def test_create_over_an_existing_collection(col_dir: Path) -> None:
    with pytest.raises(CollectionError, match="already holds a collection"):
        Collection.create(col_dir)
    assert_intact(col_dir)


def test_other_settings_on_an_existing_collection(col_dir: Path) -> None:
    with pytest.raises(CollectionError, match=r"created with other settings \(chunk_size=50 differ\)") as exc:
        Collection.open_or_create(col_dir, Settings(chunk_size=50))
    assert "new --collection" in exc.value.fix
    with Collection.open_or_create(col_dir, Settings()) as c:  # the same settings are fine
        assert c.settings.chunk_size == 200
    assert_intact(col_dir)


def test_missing_docstore(col_dir: Path) -> None:
    for p in col_dir.glob("docs.sqlite*"):
        p.unlink()
    for readonly in (True, False):  # a writer must not create an empty docstore in its place either
        with pytest.raises(CollectionError, match=r"docs\.sqlite is missing, but .* is a collection: its documents are lost") as exc:
            Collection.open(col_dir, readonly=readonly)
        assert "Restore docs.sqlite from a backup" in exc.value.fix
    assert not (col_dir / "docs.sqlite").exists()


def test_create_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_text("just a file")
    with pytest.raises(CollectionError, match="file.txt"):
        Collection.open_or_create(path)


def test_invalid_settings_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Chunk size must be at least 1 word, got 0"):
        Collection.create(tmp_path / "new", Settings(chunk_size=0))
    assert not (tmp_path / "new" / "meta.json").exists()


def test_invalid_settings_are_refused_when_made(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Chunk overlap must be between 0 and size-1 \(9\), got 20"):
        Settings(chunk_size=10, chunk_overlap=20)


# -- read-only handles and a second writer ---------------------------------------------------------


def test_readonly_refuses_writes(col_dir: Path) -> None:
    with Collection.open(col_dir, readonly=True) as c:
        with pytest.raises(CollectionError, match="opened read-only"):
            c.ingest([Document("x", "words")])
        with pytest.raises(CollectionError, match="opened read-only"):
            c.delete(["volcano"])
    assert_intact(col_dir)


def test_second_writer(col: Collection, col_dir: Path) -> None:
    with WriteLock(col_dir):
        with pytest.raises(CollectionError, match=r"Another process \(pid \d+\) is writing to") as exc:
            col.ingest([Document("x", "Penguins huddle together.")])
        assert "Wait for it to finish" in exc.value.fix
        with pytest.raises(CollectionError, match="is writing to"):
            col.delete(["volcano"])
        with pytest.raises(CollectionError, match="is writing to"):
            Collection.remove(col_dir)
        assert_intact(col_dir)  # readers are not blocked
    assert col.ingest([Document("x", "Penguins huddle together.")]).added == 1
    assert_intact(col_dir, N_DOCS + 1)


def test_lock_is_released_after_a_failed_ingest(col: Collection, col_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01")
    with pytest.raises(FormatError):
        col.ingest(read_paths([bad]))
    with WriteLock(col_dir):  # would raise if the failed ingest still held it
        pass
    assert col.delete(["volcano"]) == 1
    assert col.stats()["documents"] == N_DOCS - 1
