"""OpenAI-compatible HTTP backend against httpx.MockTransport servers."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from parley.catalog import ModelSpec
from parley.inference.base import (
    ChatMessage,
    Completion,
    InferenceError,
    InferenceRequest,
    ModelUnavailable,
    collect,
)
from parley.inference.openai_http import OpenAICompatibleBackend, chat_completions_url

from .frames import chat_chunks, split_randomly

pytestmark = pytest.mark.anyio

TEXTS = ["Sure", ", here", " it is: ", "ünïcödé", " ✓"]
REQUEST = InferenceRequest(messages=(ChatMessage("user", "Please write the launch announcement"),))


def sse_bytes(texts: list[str], usage: tuple[int, int] | None = (9, 5)) -> bytes:
    lines = [line for line in chat_chunks(texts, usage=usage).split(b"\n") if line]
    return b": ping\n\n" + b"".join(b"data: " + line + b"\n\n" for line in lines) + b"data: [DONE]\n\n"


def openai_spec(spec: ModelSpec, base_url: str | None = None) -> ModelSpec:
    backend = spec.backend.model_copy(
        update={"kind": "openai", "endpoint": "llama3.1:8b", "base_url": base_url}
    )
    return spec.model_copy(update={"backend": backend})


def backend_with(
    handler: Callable[[httpx.Request], httpx.Response], **kwargs: object
) -> OpenAICompatibleBackend:
    return OpenAICompatibleBackend(
        lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)), **kwargs
    )


async def pieces(data: bytes, seed: int) -> AsyncIterator[bytes]:
    for piece in split_randomly(data, random.Random(seed), 29):
        yield piece


@pytest.mark.parametrize("seed", range(5))
async def test_streams_sse_cut_anywhere(fast_spec: ModelSpec, seed: int):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=pieces(sse_bytes(TEXTS), seed)
        )

    backend = backend_with(handler, base_url="http://127.0.0.1:11434", api_key="sk-local")
    text, completion = await collect(backend, openai_spec(fast_spec), REQUEST)
    assert text == "".join(TEXTS) and completion == Completion("stop", 9, 5)
    request = seen[0]
    assert str(request.url) == "http://127.0.0.1:11434/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-local"
    body = json.loads(request.content)
    assert body["model"] == "llama3.1:8b" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://h:8000", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
        ("https://h/proxy/v1/chat/completions", "https://h/proxy/v1/chat/completions"),
    ],
)
def test_url_building(base: str, url: str):
    assert chat_completions_url(base) == url


async def test_model_base_url_wins_over_the_default(fast_spec: ModelSpec):
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, content=sse_bytes(["x"]))

    backend = backend_with(handler, base_url="http://default:1")
    await collect(backend, openai_spec(fast_spec, "http://model-own:2/v1"), REQUEST)
    assert urls == ["http://model-own:2/v1/chat/completions"]


async def test_no_url_configured(fast_spec: ModelSpec):
    backend = backend_with(lambda r: httpx.Response(200))
    with pytest.raises(InferenceError) as info:
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert info.value.code == "model_config_error" and not info.value.retryable


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_overloaded_before_first_token_is_unavailable(fast_spec: ModelSpec, status: int):
    backend = backend_with(
        lambda r: httpx.Response(status, json={"error": {"message": "busy"}}), base_url="http://h"
    )
    with pytest.raises(ModelUnavailable) as info:
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert info.value.retryable


async def test_unknown_model_is_unavailable_but_not_worth_retrying(fast_spec: ModelSpec):
    body = {"object": "error", "message": "The model `llama3.1:8b` does not exist.", "code": 404}
    backend = backend_with(lambda r: httpx.Response(404, json=body), base_url="http://h")
    with pytest.raises(ModelUnavailable) as info:
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert info.value.retryable is False and "does not exist" in info.value.message


async def test_connect_error_is_unavailable(fast_spec: ModelSpec):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ModelUnavailable):
        await collect(backend_with(handler, base_url="http://h"), openai_spec(fast_spec), REQUEST)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"error": {"message": "max_tokens must be at most 4096", "type": "BadRequestError"}},
            "max_tokens must be",
        ),
        ({"object": "error", "message": "bad temperature", "code": 400}, "bad temperature"),
        ({"detail": "Unprocessable"}, "Unprocessable"),
    ],
)
async def test_other_errors_carry_the_server_message(fast_spec: ModelSpec, body: dict, message: str):
    backend = backend_with(lambda r: httpx.Response(400, json=body), base_url="http://h")
    with pytest.raises(InferenceError) as info:
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert not isinstance(info.value, ModelUnavailable)
    assert message in info.value.message and info.value.retryable is False


async def test_server_message_that_quotes_the_prompt_is_withheld(fast_spec: ModelSpec):
    body = {
        "object": "error",
        "message": "[{'type': 'missing', 'input': {'messages': [{'content': "
        "'Please write the launch announcement'}]}}]",
        "code": 400,
    }
    backend = backend_with(lambda r: httpx.Response(400, json=body), base_url="http://h")
    with pytest.raises(InferenceError) as info:
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert "launch announcement" not in info.value.message


async def test_server_error_before_the_first_token_is_unavailable(fast_spec: ModelSpec):
    # A 500 before any token is a model that failed: the fallback chain may answer instead.
    backend = backend_with(lambda r: httpx.Response(500, text="Internal Server Error"), base_url="http://h")
    with pytest.raises(ModelUnavailable) as info:
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert info.value.retryable and "Internal Server Error" in info.value.message


async def test_connection_lost_after_first_token_is_not_a_fallback(fast_spec: ModelSpec):
    async def broken(request: httpx.Request) -> AsyncIterator[bytes]:
        data = sse_bytes(TEXTS)
        yield data[: data.index(b"data:", data.index(TEXTS[1].encode()))]  # two tokens, then the cut
        raise httpx.ReadError("connection reset", request=request)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=broken(request))

    received: list[str] = []
    with pytest.raises(InferenceError) as info:
        async for event in backend_with(handler, base_url="http://h").stream(openai_spec(fast_spec), REQUEST):
            received.append(event.text)
    assert "".join(received) == "".join(TEXTS[:2]) and not isinstance(info.value, ModelUnavailable)
    assert info.value.code == "model_stream_broken" and info.value.retryable


async def test_client_is_reused_across_streams(fast_spec: ModelSpec):
    made: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, content=sse_bytes(["a"])))
        )
        made.append(client)
        return client

    backend = OpenAICompatibleBackend(factory, base_url="http://h")
    for _ in range(3):
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert len(made) == 1
    await backend.aclose()
