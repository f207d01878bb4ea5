"""A reply is never lost: disconnects, stops (local and cross-process), concurrency, pings."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from parley.app import create_app
from parley.settings import Settings
from tests.support import LiveServer, ScriptedBackend, backend, parse_sse


@pytest.fixture(scope="module")
def fast_app():
    # Checkpoints and pings every 50 ms so that cross-process stops and pings show up quickly.
    return create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                               generate_titles=False,
                               checkpoint_interval_s=0.05, ping_interval_s=0.05))


@pytest.fixture(scope="module")
def server(fast_app):
    with LiveServer(fast_app) as s:
        yield s


def new_conversation(url, auth) -> str:
    return httpx.post(f"{url}/conversations", json={}, headers=auth).json()["conversationId"]


def wait_for(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_disconnect_mid_stream_still_saves_whole_answer(fast_app, server, auth):
    cid = new_conversation(server.url, auth)
    deltas = [f"tok{i} " for i in range(30)]
    with backend(fast_app, ScriptedBackend(deltas, delay_s=0.02)):
        with httpx.stream("POST", f"{server.url}/conversations/{cid}/messages", json={"content": "long one"},
                          headers=auth, timeout=10) as r:
            got = 0
            for line in r.iter_lines():
                if line.startswith("event: content_chunk"):
                    got += 1
                    if got == 3:
                        break  # the client goes away mid-stream
        def saved():
            msgs = httpx.get(f"{server.url}/conversations/{cid}", headers=auth).json()["messages"]
            return msgs if len(msgs) == 2 and msgs[1]["finishReason"] else None
        msgs = wait_for(saved)
    assert msgs[1]["content"] == "".join(deltas)
    assert msgs[1]["finishReason"] == "stop"


def test_stop_saves_partial_with_stopped(fast_app, server, auth):
    cid = new_conversation(server.url, auth)
    deltas = [f"w{i} " for i in range(200)]
    events_text: list[str] = []
    with backend(fast_app, ScriptedBackend(deltas, delay_s=0.01)):
        with httpx.stream("POST", f"{server.url}/conversations/{cid}/messages", json={"content": "go"},
                          headers=auth, timeout=10) as r:
            message_id = None
            for line in r.iter_lines():
                events_text.append(line)
                if line.startswith("data:") and message_id is None and "messageId" in line:
                    import json
                    message_id = json.loads(line[5:])["messageId"]
                    stop = httpx.post(f"{server.url}/conversations/{cid}/messages/{message_id}/stop", headers=auth)
                    assert stop.json() == {"success": True}
    events, _ = parse_sse("\n".join(events_text) + "\n\n")
    assert events[-1].name == "message_end"
    assert events[-1].data["finishReason"] == "stopped"
    saved = httpx.get(f"{server.url}/conversations/{cid}", headers=auth).json()["messages"][1]
    streamed = "".join(e.data["delta"] for e in events if e.name == "content_chunk")
    assert saved["finishReason"] == "stopped"
    assert saved["content"] == streamed
    assert len(saved["content"]) < len("".join(deltas))


def test_stop_from_another_process_through_dynamodb(fast_app, server, auth):
    """A stop landing on another process sets the flag; the generating one sees it at a checkpoint."""
    cid = new_conversation(server.url, auth)
    other_process = create_app(Settings(mode="local"))  # shares the tables, not the in-memory registry
    deltas = [f"x{i} " for i in range(400)]
    result: dict = {}

    def consume():
        with httpx.stream("POST", f"{server.url}/conversations/{cid}/messages", json={"content": "go"},
                          headers=auth, timeout=20) as r:
            result["events"] = parse_sse(r.read().decode())[0]

    with backend(fast_app, ScriptedBackend(deltas, delay_s=0.01)):
        t = threading.Thread(target=consume)
        t.start()

        def generating_id():
            msgs = httpx.get(f"{server.url}/conversations/{cid}", headers=auth).json()["messages"]
            return msgs[-1]["messageId"] if len(msgs) == 2 and msgs[-1]["status"] == "generating" else None

        mid = wait_for(generating_id)
        from fastapi.testclient import TestClient
        r = TestClient(other_process).post(f"/conversations/{cid}/messages/{mid}/stop", headers=auth)
        assert r.status_code == 200
        t.join(timeout=20)
    assert result["events"][-1].data["finishReason"] == "stopped"


def test_stop_of_foreign_or_missing_message_is_404(server, auth, make_user):
    cid = new_conversation(server.url, auth)
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert httpx.post(f"{server.url}/conversations/{cid}/messages/{missing}/stop", headers=auth).status_code == 404
    other = make_user()
    assert httpx.post(f"{server.url}/conversations/{cid}/messages/{missing}/stop", headers=other).status_code == 404


def test_pings_while_waiting(fast_app, server, auth):
    cid = new_conversation(server.url, auth)
    with backend(fast_app, ScriptedBackend(["slow", " answer"], delay_s=0.3)):
        r = httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": "q"}, headers=auth,
                       timeout=10)
    events, pings = parse_sse(r.text)
    assert pings >= 2
    assert events[-1].name == "message_end"


def test_twenty_concurrent_sends_lose_nothing(fast_app, server, make_user):
    auth = make_user("plus")
    cid = new_conversation(server.url, auth)

    def one(i: int):
        r = httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": f"message {i}"},
                       headers=auth, timeout=30)
        return r.status_code, parse_sse(r.text)[0]

    with backend(fast_app, ScriptedBackend(["ok"], delay_s=0.01)):
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(one, range(20)))
    assert all(status == 200 for status, _ in results)
    assert all(events[-1].name == "message_end" for _, events in results)
    tree = httpx.get(f"{server.url}/conversations/{cid}/messages", headers=auth).json()["messages"]
    users = sorted(m["content"] for m in tree if m["role"] == "user")
    assert users == sorted(f"message {i}" for i in range(20))
    assistants = [m for m in tree if m["role"] == "assistant"]
    assert len(assistants) == 20 and all(m["finishReason"] == "stop" for m in assistants)
    by_id = {m["messageId"]: m for m in tree}
    assert all(by_id[a["parentMessageId"]]["role"] == "user" for a in assistants)
    # concurrent sends chain on the active branch, in order, instead of forking it
    branch = httpx.get(f"{server.url}/conversations/{cid}", headers=auth).json()["messages"]
    assert len(branch) == 40
    assert [m["role"] for m in branch] == ["user", "assistant"] * 20
