"""Every log line a request causes carries its request id (``correlation_id``) and, where the request
concerns one, its ``conversation_id``; concurrent requests never mix theirs; contents never appear."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from parley.api.request_context import RequestContext, conversation_id
from parley.ids import new_id
from parley.observability import logger


class Lines:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines() if line.strip()]

    def named(self, message: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["message"] == message]

    def text(self) -> str:
        return self._stream.getvalue()


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """What the Powertools logger writes (its JSON lines), for the length of one test."""
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    level = logger.log_level
    logger.setLevel("INFO")
    try:
        yield Lines(stream)
    finally:
        logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]
        logger.setLevel(level)


def _send(client, headers: dict[str, str], content: str) -> str:
    cid = client.post("/conversations", json={}, headers=headers).json()["conversationId"]
    r = client.post(f"/conversations/{cid}/messages", json={"content": content}, headers=headers)
    assert r.status_code == 200 and "event: message_end" in r.text
    return cid


def test_a_turn_logs_with_the_clients_request_id_and_its_conversation(client, auth, log_lines) -> None:
    secret_words = "the launch code is 0000 and nobody may know"
    cid = _send(client, {**auth, "X-Request-Id": "client-req-42"}, secret_words)
    (started,) = [line for line in log_lines.named("turn started") if line.get("conversation_id") == cid]
    assert started["correlation_id"] == "client-req-42"
    assert secret_words not in log_lines.text()  # ids, counts and codes only


def test_without_a_request_id_each_request_gets_its_own(client, auth, log_lines) -> None:
    first, second = _send(client, auth, "one"), _send(client, auth, "two")
    ids = {line["conversation_id"]: line["correlation_id"] for line in log_lines.named("turn started")}
    assert re.fullmatch(r"[0-9a-f]{32}", ids[first]) and re.fullmatch(r"[0-9a-f]{32}", ids[second])
    assert ids[first] != ids[second]


def test_odd_client_request_ids_and_unverified_gateway_context_are_not_believed() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope, receive, send) -> None:
        seen.append(logger.thread_safe_get_current_keys())

    local = RequestContext(app, trust_lwa_header=False)
    chat = RequestContext(app, trust_lwa_header=True)
    gateway = json.dumps({"requestId": "gw-req-7", "authorizer": {}}).encode()

    def scope(path: str, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"type": "http", "path": path, "headers": list(headers)}

    async def run() -> None:
        await local(scope("/health", (b"x-request-id", b"has spaces\ninside")), None, None)
        await local(scope("/health", (b"x-request-id", b"a" * 200)), None, None)
        await local(scope("/health", (b"x-amzn-request-context", gateway)), None, None)
        await chat(scope("/health", (b"x-amzn-request-context", gateway), (b"x-request-id", b"mine")), None, None)
        await chat(scope("/health", (b"x-amzn-request-context", b"{not json"), (b"x-request-id", b"mine")), None,
                   None)
        await local({**scope("/health"), "aws.event": {"requestContext": {"requestId": "mangum-1"}}}, None, None)

    asyncio.run(run())
    ids = [keys["correlation_id"] for keys in seen]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids[:3]), ids  # generated, not taken
    assert ids[3:] == ["gw-req-7", "mine", "mangum-1"]
    assert not any("conversation_id" in keys for keys in seen)  # /health is about no conversation


def test_concurrent_requests_keep_their_own_keys() -> None:
    """Requests interleaved on one event loop (as uvicorn serves them) each log their own ids."""
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)  # type: ignore[attr-defined]
    a, b = new_id(), new_id()

    async def app(scope, receive, send) -> None:
        for step in range(3):
            logger.info("step", extra={"step": step})
            await asyncio.sleep(0)

    middleware = RequestContext(app, trust_lwa_header=False)

    async def run() -> None:
        await asyncio.gather(
            asyncio.create_task(middleware({"type": "http", "path": f"/conversations/{a}/messages",
                                            "headers": [(b"x-request-id", b"req-a")]}, None, None)),
            asyncio.create_task(middleware({"type": "http", "path": f"/conversations/{b}",
                                            "headers": [(b"x-request-id", b"req-b")]}, None, None)))

    try:
        asyncio.run(run())
    finally:
        logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 6
    assert {(line["correlation_id"], line["conversation_id"]) for line in lines} == {("req-a", a), ("req-b", b)}
    assert sum(line["correlation_id"] == "req-a" for line in lines) == 3


def test_conversation_id_of_a_path() -> None:
    cid = new_id()
    assert conversation_id(f"/conversations/{cid}") == cid
    assert conversation_id(f"/conversations/{cid}/messages/{new_id()}/regenerate") == cid
    assert conversation_id("/conversations") is None and conversation_id("/conversations/") is None
    assert conversation_id("/conversations/not-an-id") is None  # never a client's arbitrary text
    assert conversation_id(f"/v1/conversations/{cid}") is None
