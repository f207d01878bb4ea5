"""OpenAI-compatible HTTP backend against real model servers on loopback (aiohttp test servers)."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

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

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sse_bytes(texts: list[str], usage: tuple[int, int] | None = (9, 5)) -> bytes:
    lines = [line for line in chat_chunks(texts, usage=usage).split(b"\n") if line]
    return b": ping\n\n" + b"".join(b"data: " + line + b"\n\n" for line in lines) + b"data: [DONE]\n\n"


def openai_spec(spec: ModelSpec, base_url: str | None = None) -> ModelSpec:
    backend = spec.backend.model_copy(
        update={"kind": "openai", "endpoint": "llama3.1:8b", "base_url": base_url}
    )
    return spec.model_copy(update={"backend": backend})


@asynccontextmanager
async def model_server(handler: Handler) -> AsyncIterator[str]:
    """A real HTTP server on loopback answering every path with ``handler``; yields its base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


def answering(status: int, body: bytes | dict, seen: list[web.Request] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        if seen is not None:
            seen.append(request)
        if isinstance(body, dict):
            return web.json_response(body, status=status)
        return web.Response(status=status, body=body, content_type="text/event-stream")
    return handler


def streaming(pieces: list[bytes], *, cut_after: bool = False, hold: asyncio.Event | None = None) -> Handler:
    """Sends ``pieces`` one write each; then ends, or drops the connection (``cut_after``), or waits
    on ``hold`` (a stream the client stops reading)."""
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for piece in pieces:
            await response.write(piece)
            await asyncio.sleep(0)
        if cut_after:
            assert request.transport is not None
            request.transport.abort()
            return response
        if hold is not None:
            await hold.wait()
        await response.write_eof()
        return response
    return handler


@pytest.mark.parametrize("seed", range(5))
async def test_streams_sse_cut_anywhere(fast_spec: ModelSpec, seed: int):
    seen: list[tuple[web.Request, bytes]] = []
    pieces = list(split_randomly(sse_bytes(TEXTS), random.Random(seed), 29))

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append((request, await request.read()))
        return await streaming(pieces)(request)

    async with model_server(handler) as base:
        backend = OpenAICompatibleBackend(base_url=base, api_key="sk-local")
        text, completion = await collect(backend, openai_spec(fast_spec), REQUEST)
        await backend.aclose()
    assert text == "".join(TEXTS) and completion == Completion("stop", 9, 5)
    request, raw = seen[0]
    assert request.path == "/v1/chat/completions" and request.method == "POST"
    assert request.headers["authorization"] == "Bearer sk-local"
    body = json.loads(raw)
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
    default_seen: list[web.Request] = []
    own_seen: list[web.Request] = []
    async with model_server(answering(200, sse_bytes(["x"]), default_seen)) as default, \
            model_server(answering(200, sse_bytes(["x"]), own_seen)) as own:
        backend = OpenAICompatibleBackend(base_url=default)
        await collect(backend, openai_spec(fast_spec, f"{own}/v1"), REQUEST)
        await backend.aclose()
    assert not default_seen and [r.path for r in own_seen] == ["/v1/chat/completions"]


async def test_no_url_configured(fast_spec: ModelSpec):
    backend = OpenAICompatibleBackend()
    with pytest.raises(InferenceError) as info:
        await collect(backend, openai_spec(fast_spec), REQUEST)
    assert info.value.code == "model_config_error" and not info.value.retryable


async def failure(fast_spec: ModelSpec, status: int, body: bytes | dict) -> InferenceError:
    async with model_server(answering(status, body)) as base:
        backend = OpenAICompatibleBackend(base_url=base)
        try:
            with pytest.raises(InferenceError) as info:
                await collect(backend, openai_spec(fast_spec), REQUEST)
        finally:
            await backend.aclose()
    return info.value


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_overloaded_before_first_token_is_unavailable(fast_spec: ModelSpec, status: int):
    error = await failure(fast_spec, status, {"error": {"message": "busy"}})
    assert isinstance(error, ModelUnavailable) and error.retryable


async def test_unknown_model_is_unavailable_but_not_worth_retrying(fast_spec: ModelSpec):
    body = {"object": "error", "message": "The model `llama3.1:8b` does not exist.", "code": 404}
    error = await failure(fast_spec, 404, body)
    assert isinstance(error, ModelUnavailable)
    assert error.retryable is False and "does not exist" in error.message


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


async def test_connect_error_is_unavailable(fast_spec: ModelSpec):
    backend = OpenAICompatibleBackend(base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(ModelUnavailable):
        await collect(backend, openai_spec(fast_spec), REQUEST)
    await backend.aclose()


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
    error = await failure(fast_spec, 400, body)
    assert not isinstance(error, ModelUnavailable)
    assert message in error.message and error.retryable is False


async def test_server_message_that_quotes_the_prompt_is_withheld(fast_spec: ModelSpec):
    body = {
        "object": "error",
        "message": "[{'type': 'missing', 'input': {'messages': [{'content': "
        "'Please write the launch announcement'}]}}]",
        "code": 400,
    }
    error = await failure(fast_spec, 400, body)
    assert "launch announcement" not in error.message


async def test_server_error_before_the_first_token_is_unavailable(fast_spec: ModelSpec):
    # A 500 before any token is a model that failed: the fallback chain may answer instead.
    error = await failure(fast_spec, 500, b"Internal Server Error")
    assert isinstance(error, ModelUnavailable)
    assert error.retryable and "Internal Server Error" in error.message


async def test_connection_lost_after_first_token_is_not_a_fallback(fast_spec: ModelSpec):
    data = sse_bytes(TEXTS)
    two_tokens = data[: data.index(b"data:", data.index(TEXTS[1].encode()))]
    received: list[str] = []
    async with model_server(streaming([two_tokens], cut_after=True)) as base:
        backend = OpenAICompatibleBackend(base_url=base)
        with pytest.raises(InferenceError) as info:
            async for event in backend.stream(openai_spec(fast_spec), REQUEST):
                received.append(event.text)
        await backend.aclose()
    assert "".join(received) == "".join(TEXTS[:2]) and not isinstance(info.value, ModelUnavailable)
    assert info.value.code == "model_stream_broken" and info.value.retryable


async def test_a_stream_given_up_closes_its_connection(fast_spec: ModelSpec):
    # Stop (or a client gone) closes the generator: the model server must see the connection end,
    # so that it stops generating, rather than the connection going back to the pool.
    data = sse_bytes(TEXTS)
    first = data[: data.index(b"data:", data.index(TEXTS[0].encode()))]
    hold = asyncio.Event()
    ended = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            return await streaming([first], hold=hold)(request)
        finally:
            ended.set()  # aiohttp cancels the handler when its client goes away

    async with model_server(handler) as base:
        backend = OpenAICompatibleBackend(base_url=base)
        stream = backend.stream(openai_spec(fast_spec), REQUEST)
        assert (await anext(stream)).text == TEXTS[0]
        await stream.aclose()
        await asyncio.wait_for(ended.wait(), timeout=5)
        assert not hold.is_set()
        await backend.aclose()


async def test_session_is_reused_across_streams(fast_spec: ModelSpec):
    made: list[aiohttp.ClientSession] = []

    def factory() -> aiohttp.ClientSession:
        session = aiohttp.ClientSession()
        made.append(session)
        return session

    async with model_server(answering(200, sse_bytes(["a"]))) as base:
        backend = OpenAICompatibleBackend(factory, base_url=base)
        for _ in range(3):
            await collect(backend, openai_spec(fast_spec), REQUEST)
        await backend.aclose()
    assert len(made) == 1 and made[0].closed
