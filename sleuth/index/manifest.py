"""An index's manifest: which files are live, what they cover, and a checksum over itself.

Every derived index directory (lexical, vectors) has one ``manifest.json``, replaced atomically by
the writer after the files it names are durable, so a reader sees either the old set or the new one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sleuth.errors import CollectionError
from sleuth.atomic import atomic_write_json

MANIFEST = "manifest.json"


def _digest(manifest: dict[str, object]) -> str:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def empty_manifest(version: int) -> dict[str, object]:
    return {"version": version, "covered": 0, "segments": [], "next": 1}


def read_manifest(directory: Path, version: int = 2) -> dict[str, object]:
    """An index's manifest (segments, covered chunk id, ...), verified against its own checksum.

    A directory without one reads as an empty index of format ``version``.
    """
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("segments"), list):
            raise ValueError("not a manifest")
        # Manifests written before checksums were added have none; the next write adds one.
        if "checksum" in manifest and manifest["checksum"] != _digest(manifest):
            raise ValueError("checksum mismatch")
        return {k: v for k, v in manifest.items() if k != "checksum"}
    except FileNotFoundError:
        return empty_manifest(version)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise CollectionError(
            f"Index manifest {path} is damaged.",
            f"Run `sleuth doctor --repair --collection {directory.parent}` to rebuild it from the docstore.",
        ) from None


def write_manifest(directory: Path, manifest: dict[str, object]) -> None:
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    atomic_write_json(directory / MANIFEST, {**body, "checksum": _digest(body)})
