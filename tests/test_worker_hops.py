"""What a request hands to worker threads (issue 21): only blocking work. A hop to a worker thread and back
costs CPU on both sides, and a turn used to make twelve: FastAPI runs a plain function's dependency, and a
plain function route's answer, in a worker thread."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.to_thread
import pytest

from parley.auth.api_keys import ApiKeyRepository


@contextmanager
def worker_hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts the calls handed to worker threads meanwhile, by the function handed over."""
    hops: Counter[str] = Counter()
    original = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        hops[getattr(func, "__qualname__", None) or type(func).__name__] += 1
        return await original(func, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(anyio.to_thread, "run_sync", counting)
        yield hops


def test_a_turn_hands_only_its_blocking_work_to_worker_threads(client, make_user, monkeypatch):
    auth = make_user("plus")
    with worker_hops(monkeypatch) as hops:
        created = client.post("/conversations", json={}, headers=auth)
    assert created.status_code == 201
    assert sum(hops.values()) == 1, hops  # the write
    cid = created.json()["conversationId"]
    with worker_hops(monkeypatch) as hops:
        r = client.post(f"/conversations/{cid}/messages", json={"content": "hello"}, headers=auth)
    assert "event: message_end" in r.text
    # The turn's reads and first write; the saved answer with what follows it (summaries, the cache).
    assert sum(hops.values()) == 2, hops


def test_an_api_key_is_checked_off_the_event_loop(client, make_user, monkeypatch):
    auth = make_user("plus")
    created = client.post("/api-keys", json={"name": "hops"}, headers=auth)
    assert created.status_code == 201, created.text
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    on_loop: list[bool] = []
    original = ApiKeyRepository.authenticate

    def recording(self, token):
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return original(self, token)

    monkeypatch.setattr(ApiKeyRepository, "authenticate", recording)
    assert client.get("/conversations", headers=key).status_code == 200
    assert client.get("/conversations", headers={"Authorization": "Bearer prly_not-a-real-key"}).status_code == 401
    assert on_loop == [False, False]  # a DynamoDB read: never on the loop that serves every stream
