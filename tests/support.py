"""Test helpers: SSE parsing, scripted model backends, a live server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from parley.inference.base import (
    Completion,
    InferenceError,
    InferenceRequest,
    ModelUnavailable,
    StreamEvent,
    TextDelta,
)


@dataclass
class Event:
    name: str
    data: dict[str, Any]
    id: str | None


def parse_sse(text: str) -> tuple[list[Event], int]:
    """Events and the number of ping comments in an SSE body."""
    events: list[Event] = []
    pings = 0
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        name, data, eid = "message", [], None
        for line in block.split("\n"):
            if line.startswith(":"):
                pings += 1
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line.startswith("id:"):
                eid = line[3:].strip()
        if data:
            events.append(Event(name, json.loads("\n".join(data)), eid))
    return events, pings


@dataclass
class ScriptedBackend:
    """A model that says exactly what it is told to."""

    deltas: list[str] = field(default_factory=lambda: ["Hello", ", ", "world", "."])
    delay_s: float = 0.0
    fail_after: int | None = None
    unavailable: bool = False
    finish_reason: str = "stop"
    requests: list[InferenceRequest] = field(default_factory=list)

    async def stream(self, spec, request: InferenceRequest) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        if self.unavailable:
            raise ModelUnavailable("throttled")
        for i, delta in enumerate(self.deltas):
            if self.fail_after is not None and i >= self.fail_after:
                raise InferenceError("stream broke", retryable=True, code="model_stream_error")
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            yield TextDelta(delta)
        yield Completion(self.finish_reason, None, None)


@contextlib.contextmanager
def backend(app, scripted: Any, kind: str = "simulator") -> Iterator[Any]:
    registry = app.state.container.backends
    registry.override(kind, scripted)
    try:
        yield scripted
    finally:
        registry.override(kind, None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app under uvicorn on a loopback port, in a thread (real sockets, real disconnects)."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class _RawBody(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


class AwsFaults:
    """Injects AWS errors, by service and operation, for a number of calls.

    Works at the HTTP layer (botocore's, and the short way's of DynamoDB's item calls: the request never
    reaches the local servers), so every client (pynamodb's, boto3's) sees the fault exactly as it would
    see one from AWS, and botocore's own retries run against it.
    """

    def __init__(self) -> None:
        self._originals: list[tuple[Any, str, Any]] = []
        self.rules: list[dict[str, Any]] = []
        self.hits: list[str] = []

    def add(self, operation: str, *, times: int = 1_000_000, code: str = "ThrottlingException",
            status: int = 400, service: str = "dynamodb", skip: int = 0) -> AwsFaults:
        """Fail ``operation`` ``times`` times, after letting its first ``skip`` calls through."""
        self.rules.append({"operation": operation, "times": times, "code": code, "status": status,
                           "service": service, "skip": skip})
        return self

    def __enter__(self) -> AwsFaults:
        from botocore.awsrequest import AWSResponse
        from botocore.httpsession import URLLib3Session

        from parley.storage.direct import DirectClient

        self._originals = [(URLLib3Session, "send", URLLib3Session.send), (DirectClient, "_send", DirectClient._send)]
        botocore_send, direct_send = URLLib3Session.send, DirectClient._send

        def faulty(session: Any, request: Any) -> Any:
            fault = self._fault(request)
            if fault is None:
                return botocore_send(session, request)
            status, headers, body = fault
            return AWSResponse(request.url, status, headers, _RawBody(body))

        def faulty_direct(client: Any, request: Any) -> Any:  # the short way of DynamoDB's item calls
            fault = self._fault(request)
            if fault is None:
                return direct_send(client, request)
            status, headers, body = fault
            return status, list(headers.items()), body

        URLLib3Session.send = faulty  # type: ignore[method-assign]
        DirectClient._send = faulty_direct  # type: ignore[method-assign]
        return self

    def _fault(self, request: Any) -> tuple[int, dict[str, str], bytes] | None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        service = "dynamodb" if target.startswith("DynamoDB") else "s3"
        operation = target.rsplit(".", 1)[-1] if target else f"{request.method} s3"
        for rule in self.rules:
            if rule["service"] != service or rule["times"] <= 0:
                continue
            if rule["operation"] not in (operation, "*"):
                continue
            if rule["skip"] > 0:
                rule["skip"] -= 1
                return None
            rule["times"] -= 1
            self.hits.append(operation)
            if service == "dynamodb":
                body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{rule['code']}",
                                   "message": "injected fault"}).encode()
                return rule["status"], {"Content-Type": "application/x-amz-json-1.0"}, body
            body = f"<Error><Code>{rule['code']}</Code><Message>injected</Message></Error>".encode()
            return rule["status"], {"Content-Type": "application/xml"}, body
        return None

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in self._originals:
            setattr(owner, name, original)


class InFlight:
    """Counts how many AWS requests are on the wire at once (at botocore's HTTP layer, and at the
    short way's for DynamoDB's item calls).

    A lock anywhere between the app and the servers would keep the peak at 1.
    """

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._originals: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> InFlight:
        from botocore.httpsession import URLLib3Session

        from parley.storage.direct import DirectClient

        for owner in (URLLib3Session, DirectClient):
            self._count(owner, "send" if owner is URLLib3Session else "_send")
        return self

    def _count(self, owner: Any, name: str) -> None:
        original = getattr(owner, name)
        self._originals.append((owner, name, original))
        counter = self

        def counted(this: Any, request: Any) -> Any:
            with counter._lock:
                counter.now += 1
                counter.peak = max(counter.peak, counter.now)
            try:
                return original(this, request)
            finally:
                with counter._lock:
                    counter.now -= 1

        setattr(owner, name, counted)

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in self._originals:
            setattr(owner, name, original)


@dataclass
class LambdaContext:
    """What Lambda passes a handler, as far as the entries and Powertools read it."""

    aws_request_id: str = "req-0001"
    function_name: str = "parley-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:parley-test"
    remaining_ms: int = 900_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
