"""Collection settings: one documented table, stored in the collection's meta.json.

Each field's ``metadata["help"]`` is the text the README's settings table and ``--help`` show.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any

from sleuth.errors import ConfigError


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    chunker: str = _opt("sentence", "How documents are cut into passages: sentence, fixed (word windows), recursive "
                        "(headings, paragraphs, lines, sentences) or semantic (sentences grouped by embedding similarity).")
    chunk_size: int = _opt(200, "Maximum passage length, in words.")
    chunk_overlap: int = _opt(0, "Words shared by consecutive passages (fixed) or sentences carried over (sentence).")
    stemmer: str = _opt("english", "Snowball stemmer language, or none.")
    stopwords: str = _opt("english", "Stop-word list: english (Lucene's 33 words) or none.")
    k1: float = _opt(1.5, "BM25 term-frequency saturation.")
    b: float = _opt(0.75, "BM25 length normalisation of the body field.")
    title_weight: float = _opt(2.0, "BM25F weight of the title field relative to the body (0 ignores titles).")
    title_b: float = _opt(0.5, "BM25 length normalisation of the title field.")
    encoder: str = _opt("minilm", "Dense encoder for semantic and hybrid search, or none for a lexical-only collection.")
    vector_format: str = _opt("float32", "How dense vectors are searched: float32, int8 or binary (with float32 rescoring).")

    def __post_init__(self) -> None:
        # Fail before anything is written: a collection created with unusable settings would refuse
        # every later ingest, since omitted options reuse the stored values.
        from sleuth.chunking import CHUNKERS
        from sleuth.chunking.splitters import check_sizes
        from sleuth.text import Analyzer

        CHUNKERS.get(self.chunker)
        check_sizes(self.chunk_size, self.chunk_overlap)
        Analyzer(stemmer=self.stemmer, stopwords=self.stopwords)
        if self.encoder != "none":
            from sleuth.index.encoders import ENCODERS

            ENCODERS.get(self.encoder)
        from sleuth.index.vectors import FORMATS

        if self.vector_format not in FORMATS:
            raise ConfigError(f"Unknown vector_format {self.vector_format!r}.", f"Use one of: {', '.join(FORMATS)}.")
        for name in ("k1", "b", "title_weight", "title_b"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}.", "Fix its value.")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name: f for f in dataclasses.fields(cls)}
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"Unknown setting {key!r}.{hint}", f"Valid settings: {', '.join(known)}.")
            kind = type(known[key].default)
            try:
                out[key] = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"Setting {key!r} must be a {kind.__name__}, got {value!r}.", "Fix its value."
                ) from None
        return cls(**out)

    def replace(self, **changes: Any) -> Settings:
        return Settings.from_dict({**self.to_dict(), **changes})


def settings_table() -> list[tuple[str, Any, str]]:
    """(name, default, help) for every setting, for docs and ``sleuth config``."""
    return [(f.name, f.default, f.metadata["help"]) for f in dataclasses.fields(Settings)]
