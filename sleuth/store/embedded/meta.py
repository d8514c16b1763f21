"""meta.json: the collection's format version, settings and docstore id (written at creation), and what
``sleuth tune`` adopted.

Every write replaces the whole file atomically and adds a ``checksum`` (sha256 of the rest, as the
index manifests have), so a flipped bit is caught instead of silently changing, say, ``k1``. The
settings are validated on every read. The immutable part (everything but :data:`MUTABLE`) is also kept
inside the docstore, so ``sleuth doctor --repair`` can restore a damaged meta.json.

Format 2 added the checksum and the docstore id; a format-1 file is read as it is and upgraded by the
next writer (:func:`upgrade_meta`).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from sleuth import __version__
from sleuth.config import Settings
from sleuth.errors import CollectionError, SleuthError
from sleuth.atomic import atomic_write_json

FORMAT_VERSION = 2
META = "meta.json"
MUTABLE = ("tuned", "abstention")
"""Keys a collection changes after creation; the docstore's copy holds everything else."""


def checksum(meta: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of everything but the checksum itself."""
    body = {k: v for k, v in meta.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def new_meta(settings: Settings, docstore_id: str) -> dict[str, Any]:
    return {
        "format": "sleuth-collection",
        "format_version": FORMAT_VERSION,
        "created_by": f"sleuth {__version__}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": settings.to_dict(),
        "docstore_id": docstore_id,
    }


def immutable_part(meta: dict[str, Any]) -> dict[str, Any]:
    """What the docstore keeps a copy of."""
    return {k: v for k, v in meta.items() if k not in (*MUTABLE, "checksum")}


def save_meta(directory: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write ``meta`` (checksummed) atomically; returns it without the checksum."""
    body = {k: v for k, v in meta.items() if k != "checksum"}
    atomic_write_json(directory / META, {**body, "checksum": checksum(body)})
    return body


def upgrade_meta(directory: Path, meta: dict[str, Any], docstore_id: str) -> dict[str, Any]:
    """A format-1 meta.json rewritten as format 2, bound to ``docstore_id``."""
    return save_meta(directory, {**meta, "format_version": FORMAT_VERSION, "docstore_id": docstore_id})


def write_tuned(directory: Path, tuned: dict[str, Any] | None) -> dict[str, Any]:
    """Record (or, with None, forget) the tuned models in meta.json; returns the new meta."""
    meta = read_meta(directory)
    if tuned:
        meta["tuned"] = tuned
    else:
        meta.pop("tuned", None)
    return save_meta(directory, meta)


class MetaDamagedError(CollectionError):
    """meta.json exists but cannot be trusted (unparsable, checksum mismatch, invalid settings)."""


def damaged(directory: Path, why: str) -> MetaDamagedError:
    return MetaDamagedError(
        f"{directory / META} is damaged ({why}).",
        f"Run `sleuth doctor --repair --collection {directory}` to restore it from the docstore's copy "
        "(or restore it from a backup).",
    )


def write_key(directory: Path, key: str, value: Any) -> dict[str, Any]:
    """Set (or, with None, remove) one top-level key of meta.json, atomically; returns the new meta.

    For per-collection state other than settings, e.g. the calibrated abstention threshold
    (:mod:`sleuth.evaluate.calibrate`). The caller holds the collection's write lock."""
    if key not in MUTABLE or key == "tuned":
        raise ValueError(f"meta.json key {key!r} is not one of the keys write_key sets ({', '.join(MUTABLE[1:])})")
    meta = read_meta(directory)
    if value is None:
        meta.pop(key, None)
    else:
        meta[key] = value
    return save_meta(directory, meta)


def read_meta(directory: Path) -> dict[str, Any]:
    """meta.json, its checksum verified and its settings validated; raises CollectionError otherwise."""
    path = directory / META
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise CollectionError(
            f"{directory} is not a sleuth collection (no {META}).",
            "Create one with `sleuth index PATH --collection DIR`, or point --collection at an existing one.",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise damaged(directory, str(exc)) from None
    except OSError as exc:
        raise CollectionError(f"Cannot read {path}: {exc.strerror}.", "Check its permissions.") from None
    return check_meta(directory, meta)


def check_meta(directory: Path, meta: Any) -> dict[str, Any]:
    """Validate a parsed meta.json (format, version, checksum, settings); returns it without the checksum."""
    path = directory / META
    # The checksum first: a flipped bit in any key or value must read as damage, not as a meaning.
    if isinstance(meta, dict) and "checksum" in meta and meta["checksum"] != checksum(meta):
        raise damaged(directory, "checksum mismatch")
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or meta.get("format") != "sleuth-collection":
        raise CollectionError(f"{path} is not a sleuth collection's meta file.", "Check --collection.")
    if version > FORMAT_VERSION:
        raise CollectionError(
            f"{directory} has format version {version}, newer than this sleuth understands ({FORMAT_VERSION}; "
            f"written by {meta.get('created_by', 'a newer sleuth')}).",
            "Upgrade sleuth (pip install -U sleuth) to open it.",
        )
    if version >= 2 and "checksum" not in meta:
        raise damaged(directory, "no checksum")
    if version >= 2 and not isinstance(meta.get("docstore_id"), str):
        raise damaged(directory, "no docstore id")
    settings = meta.get("settings")
    if not isinstance(settings, dict):
        raise damaged(directory, "no settings")
    try:
        Settings.from_dict(settings)
    except SleuthError as exc:
        raise damaged(directory, f"settings: {exc.what}") from None
    tuned = meta.get("tuned")
    if tuned is not None and not isinstance(tuned, dict):
        raise damaged(directory, "'tuned' is not an object")
    return {k: v for k, v in meta.items() if k != "checksum"}
