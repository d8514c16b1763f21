"""Keep the training libraries' own output off the terminal while ``sleuth tune`` shows its progress.

torch's ONNX exporter warns about tracing, onnxruntime's quantiser advises pre-processing, and
transformers draws "Loading weights" and "Writing model shards" bars: useful when debugging an export,
noise for a user who asked to tune a collection. Inside :func:`quiet_libraries` Python warnings are
ignored, those libraries log only errors, their progress bars are off and onnxruntime's native logger
reports only errors. ``sleuth tune --verbose`` skips all of it. Everything is restored on exit.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

#: Loggers of the libraries a tune runs (their children inherit the level).
LOGGERS = ("transformers", "torch", "onnxruntime", "onnx", "onnxscript", "huggingface_hub", "root")
#: Environment read by transformers / huggingface_hub when they draw progress bars.
ENV = {"TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}


@contextmanager
def quiet_libraries(enabled: bool = True) -> Iterator[None]:
    """Silence third-party warnings, logs and progress bars for the duration (no-op if not ``enabled``)."""
    if not enabled:
        yield
        return
    saved_env = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    loggers = [logging.getLogger() if name == "root" else logging.getLogger(name) for name in LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    undo = [_transformers_quiet(), _onnxruntime_quiet()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for restore in undo:
            restore()
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _transformers_quiet():  # type: ignore[no-untyped-def]
    """transformers reads its verbosity and progress-bar switch at import; set them directly too."""
    try:
        from transformers.utils import logging as tlog
    except ImportError:
        return lambda: None
    verbosity, bars = tlog.get_verbosity(), tlog.is_progress_bar_enabled()
    tlog.set_verbosity_error()
    tlog.disable_progress_bar()

    def restore() -> None:
        tlog.set_verbosity(verbosity)
        if bars:
            tlog.enable_progress_bar()

    return restore


def _onnxruntime_quiet():  # type: ignore[no-untyped-def]
    try:
        import onnxruntime as ort
    except ImportError:
        return lambda: None
    ort.set_default_logger_severity(3)  # errors only
    return lambda: ort.set_default_logger_severity(2)  # onnxruntime's default: warnings
