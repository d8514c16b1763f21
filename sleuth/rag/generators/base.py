"""The generator interface every backend implements, its error, and the request checks they share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sleuth.errors import ConfigError, InputError, SleuthError

__all__ = [
    "Generator",
    "GeneratorError",
    "Message",
    "Request",
    "check_int",
    "check_number",
    "check_request",
]

#: One chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``.
Message = dict[str, str]


class GeneratorError(SleuthError):
    """A generator failed while answering: server unreachable, timed out or erroring, a reply that
    cannot be read, a prompt too long for the model."""


@runtime_checkable
class Generator(Protocol):
    """Writes the assistant's next message for a chat, whole or piece by piece.

    ``temperature=0`` is greedy decoding: the same messages give the same text (on one backend and
    machine). ``stop`` strings end the text before they would appear; ``max_tokens`` bounds its length.
    """

    #: What answers, for logs and answer metadata: ``"llama-cpp:model.gguf"``, ``"openai:URL model=M"``.
    name: str

    def generate(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: list[str] | None = None,
    ) -> str:
        """The whole reply."""
        ...

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """The reply as text pieces, each yielded as soon as it is decoded; joined they are the reply."""
        ...


@dataclass(frozen=True)
class Request:
    """A checked generation request, in the shape both the OpenAI API and llama-cpp-python take."""

    messages: list[Message]
    max_tokens: int
    temperature: float
    stop: list[str] | None


class CheckedGenerator:
    """A :class:`Generator` that checks each request once (:func:`check_request`) and hands it to
    :meth:`complete` (the whole reply) or :meth:`pieces` (streamed)."""

    def generate(self, messages: list[Message], *, max_tokens: int = 256, temperature: float = 0.0,
                 stop: list[str] | None = None) -> str:
        return self.complete(check_request(messages, max_tokens, temperature, stop))

    def stream(self, messages: list[Message], *, max_tokens: int = 256, temperature: float = 0.0,
               stop: list[str] | None = None) -> Iterator[str]:
        # Checked here, not inside the generator, so a bad request fails at the call, not at first next().
        return self.pieces(check_request(messages, max_tokens, temperature, stop))

    def complete(self, req: Request) -> str:
        raise NotImplementedError

    def pieces(self, req: Request) -> Iterator[str]:
        raise NotImplementedError


def check_request(
    messages: Sequence[Mapping[str, str]],
    max_tokens: int,
    temperature: float,
    stop: Sequence[str] | str | None,
) -> Request:
    """Validate a request once, for every backend, so a mistake reads the same whichever answers it."""
    if isinstance(messages, (str, bytes)) or not messages:
        raise InputError(
            "No messages to send to the generator.",
            'Pass a list such as [{"role": "user", "content": "..."}].',
        )
    checked: list[Message] = []
    for i, m in enumerate(messages):
        if not (
            isinstance(m, Mapping) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        ):
            raise InputError(
                f"Message {i} is not a {{'role': str, 'content': str}} mapping: {m!r:.100}.",
                'Write each message as {"role": "user", "content": "..."}.',
            )
        checked.append({"role": m["role"], "content": m["content"]})
    check_int("max_tokens", max_tokens, 1, "256")
    temperature = check_number("temperature", temperature, 0.0, 2.0, "0 (reproducible answers)")
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    if any(not isinstance(s, str) or not s for s in stops):
        raise ConfigError(f"stop must hold non-empty strings, not {stop!r}.", 'Use e.g. ["\\n\\n"].')
    return Request(checked, max_tokens, temperature, stops or None)


def check_int(name: str, value: object, minimum: int, example: str) -> None:
    """ConfigError unless ``value`` is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{name} must be an integer of at least {minimum}, not {value!r}.", f"Use e.g. {name}={example}."
        )


def check_number(name: str, value: object, low: float, high: float, example: str) -> float:
    """``value`` as a float, or ConfigError unless it is a number (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(
            f"{name} must be a number from {low:g} to {high:g}, not {value!r}.", f"Use e.g. {name}={example}."
        )
    return float(value)
