"""meta.json: the collection's format version and settings (written once), and what ``sleuth tune`` adopted.

Every write replaces the whole file atomically."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sleuth import __version__
from sleuth.config import Settings
from sleuth.errors import CollectionError
from sleuth.store.atomic import atomic_write_json

FORMAT_VERSION = 1
META = "meta.json"


def write_meta(directory: Path, settings: Settings) -> dict[str, Any]:
    meta = {
        "format": "sleuth-collection",
        "format_version": FORMAT_VERSION,
        "created_by": f"sleuth {__version__}",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": settings.to_dict(),
    }
    atomic_write_json(directory / META, meta)
    return meta


def write_tuned(directory: Path, tuned: dict[str, Any] | None) -> dict[str, Any]:
    """Record (or, with None, forget) the tuned models in meta.json; returns the new meta."""
    meta = read_meta(directory)
    if tuned:
        meta["tuned"] = tuned
    else:
        meta.pop("tuned", None)
    atomic_write_json(directory / META, meta)
    return meta


def write_key(directory: Path, key: str, value: Any) -> dict[str, Any]:
    """Set (or, with None, remove) one top-level key of meta.json, atomically; returns the new meta.

    For per-collection state other than settings, e.g. the calibrated abstention threshold
    (:mod:`sleuth.rag.calibrate`). The caller holds the collection's write lock."""
    if key in ("format", "format_version", "created_by", "created", "settings", "tuned"):
        raise ValueError(f"meta.json key {key!r} has its own writer")
    meta = read_meta(directory)
    if value is None:
        meta.pop(key, None)
    else:
        meta[key] = value
    atomic_write_json(directory / META, meta)
    return meta


def read_meta(directory: Path) -> dict[str, Any]:
    path = directory / META
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise CollectionError(
            f"{directory} is not a sleuth collection (no {META}).",
            "Create one with `sleuth index PATH --collection DIR`, or point --collection at an existing one.",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CollectionError(
            f"{path} is damaged ({exc}).", "Restore it from a backup or re-create the collection."
        ) from None
    version = meta.get("format_version") if isinstance(meta, dict) else None
    if not isinstance(version, int) or meta.get("format") != "sleuth-collection":
        raise CollectionError(f"{path} is not a sleuth collection's meta file.", "Check --collection.")
    if version > FORMAT_VERSION:
        raise CollectionError(
            f"{directory} has format version {version}, newer than this sleuth understands ({FORMAT_VERSION}; "
            f"written by {meta.get('created_by', 'a newer sleuth')}).",
            "Upgrade sleuth (pip install -U sleuth) to open it.",
        )
    return meta
