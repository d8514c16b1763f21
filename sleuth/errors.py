"""One exception hierarchy. Every message says what was wrong and what to do next."""

from __future__ import annotations


class SleuthError(Exception):
    """Base class of every error sleuth raises on purpose."""

    def __init__(self, what: str, fix: str = "") -> None:
        self.what = what
        self.fix = fix
        super().__init__(f"{what} {fix}".strip())


class InputError(SleuthError):
    """Bad user input: a malformed file, an empty query, a path that does not exist."""


class FormatError(InputError):
    """A file could not be read as the format it claims to be."""

    def __init__(self, path: str, line: int | None, what: str, fix: str = "") -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {what}", fix)


class CollectionError(SleuthError):
    """A collection directory is missing, locked, of another format version or damaged."""


class DiskFullError(CollectionError):
    """A write failed for lack of space (or a file-size or quota limit); nothing committed was lost."""


class ConfigError(SleuthError):
    """An unknown option or a bad value in the settings."""


class EvaluationError(SleuthError):
    """Evaluation data (queries, qrels) missing or inconsistent."""
