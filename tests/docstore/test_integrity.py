"""Content digests: the bytes hashed must never change, or every stored document would read as damaged."""

import hashlib
import json
from pathlib import Path

from sleuth.docstore.integrity import content_digest, content_hash
from sleuth.types import Document


def _reference(title, text, metadata) -> str:  # the definition the stored digests were written with
    payload = json.dumps([title, text, metadata], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def test_the_digest_is_sha256_of_the_sorted_json_of_title_text_and_metadata():
    cases = [("", "", {}), ("Tïtle ✓", "text with \"quotes\", \\ and\nlines \ud800", {"b": 1, "a": [1.5, None]}),
             ("t", "x" * 5000, {"path": Path("/a/b"), "nested": {"z": 1, "y": {"k": "v"}}, "page_offsets": [0, 10]})]
    for title, text, meta in cases:
        assert content_digest(title, text, meta) == _reference(title, text, meta)
    assert content_digest("", "", {}) == hashlib.sha256(b'["", "", {}]').hexdigest()


def test_a_document_hash_is_the_digest_of_its_parts():
    doc = Document("d1", "some text", "A title", metadata={"year": 2020})
    assert content_hash(doc) == _reference("A title", "some text", {"year": 2020})
