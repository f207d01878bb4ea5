"""SageMaker backend, with botocore's real event-stream parser reading binary frames built here."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from parley.catalog import ModelSpec
from parley.inference.base import (
    ChatMessage,
    Completion,
    GenerationParams,
    InferenceError,
    InferenceRequest,
    ModelUnavailable,
    TextDelta,
    collect,
)
from parley.inference.sagemaker import SageMakerBackend

from .frames import (
    RawStream,
    chat_chunks,
    error_response,
    payload_part,
    runtime_client,
    split_randomly,
    stream_exception,
    stream_response,
)

pytestmark = pytest.mark.anyio

TEXTS = ["Hel", "lo, ", "wörld", " — ", "日本", "🎉", "!"]
REQUEST = InferenceRequest(
    messages=(ChatMessage("system", "Be brief."), ChatMessage("user", "Say hello to the world, please")),
    params=GenerationParams(max_tokens=50, temperature=0.2, stop=("\n\n",)),
)


def framed(data: bytes, seed: int, part_size: int = 30, read_size: int = 64) -> list[bytes]:
    """LMI bytes cut into PayloadParts at random offsets, the frames then cut into random network reads."""
    rng = random.Random(seed)
    frames = b"".join(payload_part(p) for p in split_randomly(data, rng, part_size))
    return split_randomly(frames, rng, read_size)


async def events_of(backend: SageMakerBackend, spec: ModelSpec) -> list[Any]:
    return [e async for e in backend.stream(spec, REQUEST)]


@pytest.mark.parametrize("seed", range(8))
async def test_stream_decodes_parts_cut_anywhere(fast_spec: ModelSpec, seed: int):
    respond = stream_response(RawStream(framed(chat_chunks(TEXTS, usage=(21, 7)), seed)))
    text, completion = await collect(SageMakerBackend(runtime_client(respond)), fast_spec, REQUEST)
    assert text == "".join(TEXTS)
    assert completion == Completion("stop", 21, 7)


async def test_request_goes_to_the_spec_endpoint_as_streaming_chat(fast_spec: ModelSpec):
    respond = stream_response(RawStream(framed(chat_chunks(["ok"]), 1)))
    await collect(SageMakerBackend(runtime_client(respond)), fast_spec, REQUEST)
    sent = respond.requests[0]
    assert sent.url.endswith(f"/endpoints/{fast_spec.backend.endpoint}/invocations-response-stream")
    assert sent.headers["Content-Type"] == b"application/json"
    body = json.loads(sent.body)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hello to the world, please"},
    ]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (50, 0.2, ["\n\n"])


async def test_events_end_with_exactly_one_completion(fast_spec: ModelSpec):
    respond = stream_response(RawStream(framed(chat_chunks(TEXTS, finish="length"), 3)))
    events = await events_of(SageMakerBackend(runtime_client(respond)), fast_spec)
    assert all(isinstance(e, TextDelta) for e in events[:-1]) and len(events) > 1
    assert isinstance(events[-1], Completion) and events[-1].finish_reason == "length"


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("ModelStreamError", "StreamBroken"),
        ("ModelStreamError", "ModelInvocationTimeExceeded"),
        ("InternalStreamFailure", None),
    ],
)
async def test_error_mid_stream_after_some_text(fast_spec: ModelSpec, kind: str, code: str | None):
    lines = chat_chunks(TEXTS).split(b"\n")
    reads = [payload_part(b"\n".join(lines[:4]) + b"\n"), stream_exception(kind, "it broke", code)]
    received: list[str] = []
    with pytest.raises(InferenceError) as info:
        async for event in SageMakerBackend(runtime_client(stream_response(RawStream(reads)))).stream(
            fast_spec, REQUEST
        ):
            received.append(event.text)
    assert "".join(received) == "".join(TEXTS[:3])  # what came before the failure was delivered
    assert not isinstance(info.value, ModelUnavailable)
    assert info.value.retryable and info.value.code == "model_stream_error"


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, "ThrottlingException", "Rate exceeded"),
        (503, "ServiceUnavailable", "Service unavailable"),
        (429, "ModelNotReadyException", "Model is still loading"),
        (500, "InternalFailure", "An internal failure occurred"),
        (400, "ValidationError", "Endpoint parley-fast of account 123456789012 not found."),
    ],
)
async def test_unavailable_before_the_stream(fast_spec: ModelSpec, status: int, code: str, message: str):
    backend = SageMakerBackend(runtime_client(error_response(status, code, message)))
    with pytest.raises(ModelUnavailable) as info:
        await events_of(backend, fast_spec)
    assert info.value.retryable
    assert "123456789012" not in info.value.message


async def test_connection_error_is_unavailable(fast_spec: ModelSpec):
    def refuse(request: Any) -> Any:
        raise EndpointConnectionError(endpoint_url=request.url)

    with pytest.raises(ModelUnavailable):
        await events_of(SageMakerBackend(runtime_client(refuse)), fast_spec)


async def test_other_validation_error_is_a_plain_failure(fast_spec: ModelSpec):
    backend = SageMakerBackend(runtime_client(error_response(400, "ValidationError", "Body is too large")))
    with pytest.raises(InferenceError) as info:
        await events_of(backend, fast_spec)
    assert not isinstance(info.value, ModelUnavailable)
    assert info.value.retryable is False


async def test_container_4xx_passes_its_message_on(fast_spec: ModelSpec):
    extra = {"OriginalStatusCode": 400, "OriginalMessage": json.dumps({"message": "max_tokens is too large"})}
    backend = SageMakerBackend(runtime_client(error_response(424, "ModelError", "client error", extra)))
    with pytest.raises(InferenceError) as info:
        await events_of(backend, fast_spec)
    assert "max_tokens is too large" in info.value.message and info.value.retryable is False


async def test_container_error_quoting_the_prompt_is_withheld(fast_spec: ModelSpec):
    extra = {"OriginalStatusCode": 400, "OriginalMessage": "bad input: Say hello to the world, please"}
    backend = SageMakerBackend(runtime_client(error_response(424, "ModelError", "client error", extra)))
    with pytest.raises(InferenceError) as info:
        await events_of(backend, fast_spec)
    assert "hello to the world" not in info.value.message


@pytest.mark.parametrize("status", [500, 503])
async def test_container_failing_before_the_first_token_is_unavailable(fast_spec: ModelSpec, status: int):
    # The fallback chain answers a model that failed before its first token, a crash (500) included.
    extra = {"OriginalStatusCode": status, "OriginalMessage": "busy"}
    backend = SageMakerBackend(runtime_client(error_response(424, "ModelError", "busy", extra)))
    with pytest.raises(ModelUnavailable):
        await events_of(backend, fast_spec)


async def test_stopping_early_closes_the_stream_and_stops_reading(fast_spec: ModelSpec):
    gate = threading.Event()
    reads = [payload_part(line + b"\n") for line in chat_chunks(["t"] * 200).split(b"\n") if line]
    raw = RawStream(reads, gate=gate, release_after=3)
    stream = SageMakerBackend(runtime_client(stream_response(raw))).stream(fast_spec, REQUEST)
    first = await anext(stream)
    assert first.text == "t"
    await stream.aclose()
    gate.set()  # the "model" produces its next token; the worker sees the stop and closes
    assert await asyncio.to_thread(raw.closed.wait, 5)
    assert raw.served < len(reads) // 2


async def test_event_loop_stays_free_while_a_stream_waits(fast_spec: ModelSpec):
    gate = threading.Event()
    reads = framed(chat_chunks(TEXTS), 5)
    raw = RawStream(reads, gate=gate, release_after=0)
    backend = SageMakerBackend(runtime_client(stream_response(raw)))
    task = asyncio.create_task(collect(backend, fast_spec, REQUEST))
    ticks = 0
    for _ in range(20):  # the loop keeps turning while the worker thread is blocked on the stream
        await asyncio.sleep(0.005)
        ticks += 1
    assert not task.done()
    gate.set()
    text, _ = await task
    assert ticks == 20 and text == "".join(TEXTS)


async def test_client_is_made_lazily_once_and_off_the_loop_thread(fast_spec: ModelSpec):
    made: list[str] = []

    def factory() -> Any:
        made.append(threading.current_thread().name)
        time.sleep(0.01)  # stands in for boto3's client construction
        return runtime_client(stream_response(RawStream(framed(chat_chunks(["a"]), 2) * 1)))

    backend = SageMakerBackend(client_factory=factory)
    assert made == []
    await collect(backend, fast_spec, REQUEST)
    assert len(made) == 1 and made[0] != threading.current_thread().name
    assert made[0].startswith("sagemaker-stream")


async def test_concurrent_streams_each_get_their_own_answer(fast_spec: ModelSpec):
    def respond(request: Any) -> Any:
        word = json.loads(request.body)["messages"][-1]["content"]
        return stream_response(RawStream(framed(chat_chunks([word, "!"]), len(word))))(request)

    backend = SageMakerBackend(runtime_client(respond), max_streams=8)
    words = [f"w{i}" * (i + 1) for i in range(20)]
    results = await asyncio.gather(
        *[collect(backend, fast_spec, InferenceRequest(messages=(ChatMessage("user", w),))) for w in words]
    )
    assert [text for text, _ in results] == [w + "!" for w in words]
