"""Idempotency-Key: retries never create a second conversation or message."""

from __future__ import annotations

import threading
import uuid

import httpx

from tests.support import LiveServer, ScriptedBackend, backend, parse_sse


def test_create_conversation_twice_with_a_key(lclient, make_user):
    auth = make_user()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = lclient.post("/conversations", json={"title": "once"}, headers=auth | key)
    second = lclient.post("/conversations", json={"title": "once"}, headers=auth | key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(lclient.get("/conversations", headers=auth).json()["conversations"]) == 1
    other_body = lclient.post("/conversations", json={"title": "different"}, headers=auth | key)
    assert other_body.status_code == 409 and other_body.json()["code"] == "idempotency_key_reused"
    # keys are scoped to the user
    other_user = make_user()
    third = lclient.post("/conversations", json={"title": "once"}, headers=other_user | key)
    assert third.json()["conversationId"] != first.json()["conversationId"]


def test_replayed_send_streams_the_same_answer_and_stores_nothing_new(lclient, make_user):
    auth = make_user()
    cid = lclient.post("/conversations", json={}, headers=auth).json()["conversationId"]
    key = {"Idempotency-Key": "send-1"}
    body = {"content": f"question {uuid.uuid4()}"}
    first = parse_sse(lclient.post(f"/conversations/{cid}/messages", json=body, headers=auth | key).text)[0]
    second_r = lclient.post(f"/conversations/{cid}/messages", json=body, headers=auth | key)
    second = parse_sse(second_r.text)[0]
    text = lambda evs: "".join(e.data["delta"] for e in evs if e.name == "content_chunk")  # noqa: E731
    assert text(first) == text(second)
    assert first[0].data["messageId"] == second[0].data["messageId"]
    assert second[-1].name == "message_end"
    tree = lclient.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"]
    assert len(tree) == 2
    usage = lclient.get("/usage", headers=auth).json()
    assert usage["requests"]["used"] == 1


def test_replay_while_running_is_409(limits_app, make_user):
    auth = make_user()
    with LiveServer(limits_app) as server, backend(limits_app, ScriptedBackend(["slow"] * 20, delay_s=0.05)):
        cid = httpx.post(f"{server.url}/conversations", json={}, headers=auth).json()["conversationId"]
        key = {"Idempotency-Key": "running"}
        body = {"content": f"long {uuid.uuid4()}"}
        done = {}

        def first():
            r = httpx.post(f"{server.url}/conversations/{cid}/messages", json=body, headers=auth | key, timeout=30)
            done["events"] = parse_sse(r.text)[0]

        t = threading.Thread(target=first)
        t.start()
        for _ in range(100):
            msgs = httpx.get(f"{server.url}/conversations/{cid}", headers=auth).json()["messages"]
            if msgs and msgs[-1]["status"] == "generating":
                break
            threading.Event().wait(0.02)
        r = httpx.post(f"{server.url}/conversations/{cid}/messages", json=body, headers=auth | key, timeout=30)
        assert r.status_code == 409
        assert r.json()["retryable"] is True
        assert int(r.headers["Retry-After"]) >= 1
        t.join()
    assert done["events"][-1].name == "message_end"
