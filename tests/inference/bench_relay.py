"""Relay throughput of the inference backends (a benchmark: prints figures, asserts nothing).

    .venv/bin/python tests/inference/bench_relay.py

Measures tokens per second delivered through each backend's async iterator with no pacing:
- the simulator backend (LMI bytes -> parser -> TextDelta), one stream at a time and 50 at once;
- the SageMaker worker-thread relay, ``call_soon_threadsafe`` onto an ``asyncio.Queue`` (what the
  backend does) against ``anyio.to_thread.run_sync`` per event read, on a fake client that hands
  over ready PayloadParts, one token each (so only the relay is measured);
- the SageMaker backend reading real event-stream frames through botocore's parser.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `inference` importable

from inference.frames import (  # noqa: E402
    RawStream,
    chat_chunks,
    payload_part,
    runtime_client,
    stream_response,
)
from parley.catalog import ModelSpec, load_catalog  # noqa: E402
from parley.inference.base import (  # noqa: E402
    ChatMessage,
    Completion,
    GenerationParams,
    InferenceRequest,
    StreamEvent,
    TextDelta,
)
from parley.inference.lmi_stream import ChatChunkParser  # noqa: E402
from parley.inference.sagemaker import SageMakerBackend  # noqa: E402
from parley.inference.simulator import SimulatorBackend  # noqa: E402
from parley.inference.wire import chat_request_body  # noqa: E402

TOKENS_PER_REPLY = 2000
REQUEST = InferenceRequest(
    messages=(ChatMessage("user", "benchmark"),), params=GenerationParams(max_tokens=4096), context_tokens=10
)


async def drain(stream: AsyncIterator[StreamEvent]) -> int:
    """Tokens the stream reported (its completion's count), after reading every event."""
    tokens = 0
    async for event in stream:
        if isinstance(event, Completion):
            tokens = event.output_tokens or 0
    return tokens


async def timed(label: str, runs: list[AsyncIterator[StreamEvent]], concurrent: bool) -> float:
    start = time.perf_counter()
    if concurrent:
        counts = await asyncio.gather(*[drain(s) for s in runs])
    else:
        counts = [await drain(s) for s in runs]
    elapsed = time.perf_counter() - start
    rate = sum(counts) / elapsed
    print(f"{label:<58} {sum(counts):>8} tokens {elapsed:7.3f} s {rate:>10,.0f} tokens/s")
    return rate


class FakeEvents:
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for part in self.parts:
            yield {"PayloadPart": {"Bytes": part}}

    def close(self) -> None:
        pass


class FakeRuntime:
    """A runtime client whose body yields one PayloadPart per token, ready-parsed."""

    def __init__(self, tokens: int) -> None:
        lines = chat_chunks(["tok "] * tokens, usage=(10, tokens)).split(b"\n")
        self.parts = [line + b"\n" for line in lines if line]

    def invoke_endpoint_with_response_stream(self, **_: Any) -> dict[str, Any]:
        return {"Body": FakeEvents(self.parts)}


async def anyio_relay(
    client: FakeRuntime, spec: ModelSpec, request: InferenceRequest
) -> AsyncIterator[StreamEvent]:
    """The alternative design: each blocking read is its own trip to a worker thread."""
    body = chat_request_body(spec, request)
    response = await anyio.to_thread.run_sync(
        lambda: client.invoke_endpoint_with_response_stream(EndpointName=spec.backend.endpoint, Body=body)
    )
    events = iter(response["Body"])
    parser = ChatChunkParser()
    while True:
        event = await anyio.to_thread.run_sync(next, events, None)
        if event is None:
            break
        for delta in parser.feed(event["PayloadPart"]["Bytes"]):
            yield delta
    tail, completion = parser.close()
    for delta in tail:
        yield TextDelta(delta.text)
    yield completion


async def run() -> dict[str, float]:
    catalog = load_catalog()
    spec = catalog.get("parley-fast")
    assert spec is not None
    figures: dict[str, float] = {}

    sim = SimulatorBackend(ttft_ms=0, tokens_per_s=0, reply_tokens=(TOKENS_PER_REPLY, TOKENS_PER_REPLY))
    await drain(sim.stream(spec, REQUEST))  # warm up (tokenizer, caches)
    figures["simulator_sequential"] = await timed(
        "simulator, tokens_per_s=0, 20 streams one after another",
        [sim.stream(spec, REQUEST) for _ in range(20)],
        concurrent=False,
    )
    figures["simulator_concurrent"] = await timed(
        "simulator, tokens_per_s=0, 50 streams at once",
        [sim.stream(spec, REQUEST) for _ in range(50)],
        concurrent=True,
    )

    fake = FakeRuntime(TOKENS_PER_REPLY)
    queue_backend = SageMakerBackend(fake, max_streams=64)
    await drain(queue_backend.stream(spec, REQUEST))
    figures["relay_queue"] = await timed(
        "sagemaker relay: call_soon_threadsafe + asyncio.Queue, 10 streams",
        [queue_backend.stream(spec, REQUEST) for _ in range(10)],
        concurrent=False,
    )
    figures["relay_anyio"] = await timed(
        "sagemaker relay: anyio.to_thread.run_sync per read, 10 streams",
        [anyio_relay(fake, spec, REQUEST) for _ in range(10)],
        concurrent=False,
    )
    figures["relay_queue_concurrent"] = await timed(
        "sagemaker relay: queue, 50 streams at once",
        [queue_backend.stream(spec, REQUEST) for _ in range(50)],
        concurrent=True,
    )
    queue_backend.close()

    frames = b"".join(
        payload_part(line + b"\n")
        for line in chat_chunks(["tok "] * TOKENS_PER_REPLY, usage=(10, TOKENS_PER_REPLY)).split(b"\n")
        if line
    )
    reads = [frames[i : i + 16384] for i in range(0, len(frames), 16384)]

    def respond(request: Any) -> Any:
        return stream_response(RawStream(list(reads)))(request)

    botocore_backend = SageMakerBackend(runtime_client(respond))
    await drain(botocore_backend.stream(spec, REQUEST))
    figures["botocore"] = await timed(
        "sagemaker backend, real botocore event-stream parsing, 10 streams",
        [botocore_backend.stream(spec, REQUEST) for _ in range(10)],
        concurrent=False,
    )
    botocore_backend.close()
    return figures


def main() -> None:
    figures = asyncio.run(run())
    print(f"queue relay is {figures['relay_queue'] / figures['relay_anyio']:.1f}x anyio.to_thread per read")
    goal = 20_000
    rate = figures["simulator_sequential"]
    verdict = "meets" if rate >= goal else "MISSES"
    print(f"simulator relay {rate:,.0f} tokens/s {verdict} the {goal:,} tokens/s goal")


if __name__ == "__main__":
    main()
