"""SageMaker real-time endpoints (LMI / vLLM) through ``InvokeEndpointWithResponseStream``.

boto3 blocks, so each stream runs its call and its event-stream reads on a worker thread, which
hands parsed events to the event loop with ``call_soon_threadsafe`` onto an ``asyncio.Queue``
(measured against ``anyio.to_thread`` per read in ``tests/inference/bench_relay.py``: the queue
relays several times faster, because a read per thread hop pays a thread-pool round trip each time).

Only the worker thread touches the event stream: a consumer that stops early sets a flag, and the
worker closes the stream at its next event. Closing a socket from another thread while one is
blocked reading it is not safe with urllib3, and a generating model sends its next token within
milliseconds anyway.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import (
    ClientError,
    EventStreamError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from parley.catalog import ModelSpec
from parley.inference.base import (
    InferenceError,
    InferenceRequest,
    ModelUnavailable,
    StreamEvent,
    TextDelta,
)
from parley.inference.lmi_stream import ChatChunkParser
from parley.inference.wire import chat_request_body, redactor, server_message
from parley.observability import logger

#: Error codes that mean "not now": another model (the fallback chain) may answer instead.
UNAVAILABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        # A fault before anything was produced: another endpoint is as likely to answer as a retry here.
        "InternalFailure",
        "InternalDependencyException",
    }
)
UNAVAILABLE_STATUS = frozenset({429, 502, 503, 504})

# Messages between the worker thread and the consuming coroutine.
_DELTA, _DONE, _FAIL = 0, 1, 2


class SageMakerBackend:
    """Streams from the SageMaker endpoint named by ``spec.backend.endpoint``.

    Pass a ``sagemaker-runtime`` client, or a factory that makes one: the factory runs on the
    first stream's worker thread, so creating the client (about 50 ms) never blocks the event loop.
    ``max_streams`` bounds the worker threads; streams beyond it wait for a free one.
    """

    def __init__(
        self,
        runtime_client: Any | None = None,
        *,
        client_factory: Callable[[], Any] | None = None,
        max_streams: int = 64,
    ) -> None:
        if runtime_client is None and client_factory is None:
            raise ValueError("SageMakerBackend needs a runtime client or a client factory")
        self._client = runtime_client
        self._client_factory = client_factory
        self._client_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=max_streams, thread_name_prefix="sagemaker-stream")

    def stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        return self._stream(spec, request)

    def close(self) -> None:
        """Stop the worker threads once their streams end (at shutdown)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def client(self) -> Any:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    assert self._client_factory is not None
                    self._client = self._client_factory()
        return self._client

    async def _stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
        stop = threading.Event()
        body = json.dumps(chat_request_body(spec, request), ensure_ascii=False).encode("utf-8")
        redact = redactor(request)

        def post(kind: int, payload: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, payload))
            except RuntimeError:  # the loop is closed: nobody is listening any more
                stop.set()

        self._executor.submit(self._pump, spec.backend.endpoint, body, redact, post, stop)
        try:
            while True:
                kind, payload = await queue.get()
                if kind == _DELTA:
                    yield payload
                elif kind == _DONE:
                    yield payload
                    return
                else:
                    raise payload
        finally:
            stop.set()

    def _pump(
        self,
        endpoint: str,
        body: bytes,
        redact: Callable[[str], str],
        post: Callable[[int, Any], None],
        stop: threading.Event,
    ) -> None:
        """Worker thread: call the endpoint, parse its stream, post events; never raises."""
        if stop.is_set():  # the consumer left while this stream waited for a free worker
            return
        try:
            response = self.client().invoke_endpoint_with_response_stream(
                EndpointName=endpoint, ContentType="application/json", Body=body
            )
        except Exception as exc:  # noqa: BLE001 - every failure is mapped and handed to the consumer
            post(_FAIL, _invoke_error(exc, endpoint, redact))
            return
        events = response["Body"]
        parser = ChatChunkParser(redact)
        try:
            for event in events:
                if stop.is_set():
                    return
                part = event.get("PayloadPart")
                if part is None:
                    continue
                deltas = parser.feed(part.get("Bytes", b""))
                if deltas:
                    post(_DELTA, _merge(deltas))
            tail, completion = parser.close()
            if tail:
                post(_DELTA, _merge(tail))
            post(_DONE, completion)
        except InferenceError as exc:
            post(_FAIL, exc)
        except EventStreamError as exc:
            post(_FAIL, _stream_error(exc, endpoint))
        except Exception as exc:  # noqa: BLE001 - a broken connection mid-stream, in any of its forms
            logger.warning("sagemaker stream from %s broke: %s", endpoint, type(exc).__name__)
            post(
                _FAIL,
                InferenceError("the model stream broke off", retryable=True, code="model_stream_broken"),
            )
        finally:
            try:
                events.close()
            except Exception:  # noqa: BLE001 - closing a stream that already failed may fail again
                pass


def _merge(deltas: list[TextDelta]) -> TextDelta:
    """Deltas decoded from one network read travel as one event: fewer hops, same text."""
    return deltas[0] if len(deltas) == 1 else TextDelta("".join(d.text for d in deltas))


def _stream_error(exc: EventStreamError, endpoint: str) -> InferenceError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    logger.warning("sagemaker stream error from %s: %s %s", endpoint, code, error.get("Message", "")[:200])
    if code == "ModelStreamError":
        return InferenceError("the model stream failed part-way", retryable=True, code="model_stream_error")
    if code == "InternalStreamFailure":
        return InferenceError(
            "the model stream failed inside SageMaker", retryable=True, code="model_stream_error"
        )
    return InferenceError(
        f"the model stream failed ({code or 'unknown'})", retryable=True, code="model_stream_error"
    )


def _invoke_error(exc: Exception, endpoint: str, redact: Callable[[str], str]) -> InferenceError:
    """Map a failure of the call itself (before any byte of the answer)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        logger.warning("sagemaker invoke %s failed: %s (HTTP %s)", endpoint, code, status)
        if code == "ModelError":
            # The container itself answered 4xx/5xx; SageMaker passes its status and body on.
            raw_status = exc.response.get("OriginalStatusCode")
            original = int(raw_status) if isinstance(raw_status, int | str) and raw_status else 0
            if original in UNAVAILABLE_STATUS:
                return ModelUnavailable(f"model {endpoint} is overloaded", retryable=True)
            detail = redact(server_message(str(exc.response.get("OriginalMessage") or message)))
            if original >= 500 or original == 0:
                # The container failed before the first token: another model of the chain may answer.
                return ModelUnavailable(f"model error: {detail}", retryable=True)
            return InferenceError(f"model error: {detail}", retryable=False, code="model_error")
        if code in UNAVAILABLE_CODES or status in UNAVAILABLE_STATUS or status >= 500:
            return ModelUnavailable(f"model {endpoint} is unavailable ({code})", retryable=True)
        lowered = message.lower()
        if code == "ValidationError" and "endpoint" in lowered and "not found" in lowered:
            return ModelUnavailable(f"model endpoint {endpoint} was not found", retryable=True)
        return InferenceError(
            f"model endpoint call failed ({code})", retryable=status >= 500, code="model_error"
        )
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):  # refused, timed out, reset
        logger.warning("sagemaker invoke %s: %s", endpoint, type(exc).__name__)
        return ModelUnavailable(f"model {endpoint} is unreachable", retryable=True)
    if isinstance(exc, (NoCredentialsError, NoRegionError)):
        return InferenceError(
            "model endpoint is not configured (credentials or region)",
            retryable=False,
            code="model_config_error",
        )
    logger.exception("sagemaker invoke %s failed unexpectedly", endpoint)
    return InferenceError("model endpoint call failed", retryable=True, code="model_error")
