"""Resumable streams: drop a client mid-stream, resume from another connection (and process)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from parley.app import create_app
from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET, Settings
from tests.support import LiveServer, ScriptedBackend, backend, parse_sse


@pytest.fixture(scope="module")
def apps():
    # Two app instances over the same tables stand for two Lambda processes.
    common = dict(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False, generate_titles=False,
                  checkpoint_interval_s=0.05, resume_poll_s=0.05, ping_interval_s=5)
    return create_app(Settings(**common)), create_app(Settings(**common))


def start_and_drop(url, auth, cid, after_chunks: int) -> tuple[str, int, str]:
    """Send, read a few chunks, go away: returns (message id, last event id seen, text seen)."""
    seen, last_id, message_id = "", -1, ""
    with httpx.stream("POST", f"{url}/conversations/{cid}/messages", json={"content": "go on"}, headers=auth,
                      timeout=20) as r:
        chunks, event = 0, None
        for line in r.iter_lines():
            if line.startswith("id:"):
                last_id = int(line[3:])
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
                if event == "message_start":
                    message_id = data["messageId"]
                elif event == "content_chunk":
                    seen += data["delta"]
                    chunks += 1
                    if chunks == after_chunks:
                        break
    return message_id, last_id, seen


def test_resume_in_the_same_process_follows_live(apps, auth):
    app, _ = apps
    deltas = [f"piece{i} " for i in range(60)]
    with LiveServer(app) as server, backend(app, ScriptedBackend(deltas, delay_s=0.02)):
        cid = httpx.post(f"{server.url}/conversations", json={}, headers=auth).json()["conversationId"]
        mid, last_id, seen = start_and_drop(server.url, auth, cid, 5)
        r = httpx.get(f"{server.url}/conversations/{cid}/messages/{mid}/events",
                      headers=auth | {"Last-Event-ID": str(last_id)}, timeout=20)
    events, _ = parse_sse(r.text)
    rest = "".join(e.data["delta"] for e in events if e.name == "content_chunk")
    assert seen + rest == "".join(deltas)
    assert events[-1].name == "message_end" and events[-1].data["finishReason"] == "stop"
    assert all(int(e.id) > last_id for e in events)


def test_resume_from_another_process_while_generating(apps, auth):
    app, other = apps
    deltas = [f"word{i} " for i in range(80)]
    with LiveServer(app) as server, LiveServer(other) as second, backend(app, ScriptedBackend(deltas, delay_s=0.02)):
        cid = httpx.post(f"{server.url}/conversations", json={}, headers=auth).json()["conversationId"]
        mid, last_id, seen = start_and_drop(server.url, auth, cid, 5)
        r = httpx.get(f"{second.url}/conversations/{cid}/messages/{mid}/events",
                      headers=auth | {"Last-Event-ID": str(last_id)}, timeout=30)
    events, _ = parse_sse(r.text)
    rest = "".join(e.data["delta"] for e in events if e.name == "content_chunk")
    assert seen + rest == "".join(deltas)
    assert len([e for e in events if e.name == "content_chunk"]) >= 2, "followed the live generation"
    assert events[-1].name == "message_end"
    ids = [int(e.id) for e in events]
    assert ids == sorted(ids) and ids[0] > last_id


def test_resume_of_a_finished_answer_replays_the_rest(apps, auth, make_user):
    app, other = apps
    with LiveServer(app) as server, backend(app, ScriptedBackend(["abc", "def", "ghi"])):
        cid = httpx.post(f"{server.url}/conversations", json={}, headers=auth).json()["conversationId"]
        events, _ = parse_sse(httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": "q"},
                                         headers=auth).text)
    mid = events[0].data["messageId"]
    with LiveServer(other) as second:
        whole = parse_sse(httpx.get(f"{second.url}/conversations/{cid}/messages/{mid}/events", headers=auth).text)[0]
        tail = parse_sse(httpx.get(f"{second.url}/conversations/{cid}/messages/{mid}/events?lastEventId=3",
                                   headers=auth).text)[0]
        foreign = httpx.get(f"{second.url}/conversations/{cid}/messages/{mid}/events", headers=make_user())
        bad = httpx.get(f"{second.url}/conversations/{cid}/messages/{mid}/events",
                        headers=auth | {"Last-Event-ID": "x"})
    assert [e.name for e in whole] == ["message_start", "content_chunk", "message_end"]
    assert whole[1].data["delta"] == "abcdefghi"
    assert [e.data.get("delta") for e in tail if e.name == "content_chunk"] == ["defghi"]
    assert foreign.status_code == 404
    assert bad.status_code == 422


def test_resume_reports_a_failed_answer(apps, auth):
    app, other = apps
    with LiveServer(app) as server, backend(app, ScriptedBackend(["one", "two", "three"], fail_after=2)):
        cid = httpx.post(f"{server.url}/conversations", json={}, headers=auth).json()["conversationId"]
        events, _ = parse_sse(httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": "q"},
                                         headers=auth).text)
    mid = events[0].data["messageId"]
    time.sleep(0.1)
    with LiveServer(other) as second:
        replay = parse_sse(httpx.get(f"{second.url}/conversations/{cid}/messages/{mid}/events", headers=auth).text)[0]
    assert replay[-1].name == "error" and replay[-1].data["retryable"] is True


def test_resume_from_another_process_follows_an_answer_too_large_for_an_item():
    # Content beyond the item limit goes to S3 (32 KB in production; 200 bytes here, so that the
    # answer passes it early): its checkpoints must too, or another process sees nothing new until the end.
    common = dict(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False, generate_titles=False,
                  checkpoint_interval_s=0.05, resume_poll_s=0.05, ping_interval_s=5, content_inline_max_bytes=200)
    app, other = create_app(Settings(**common)), create_app(Settings(**common))
    auth = {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, 'resume-large', 'plus')}"}
    deltas = [f"{i:03d}" + "x" * 47 for i in range(60)]
    with LiveServer(app) as server, LiveServer(other) as second, backend(app, ScriptedBackend(deltas, delay_s=0.02)):
        cid = httpx.post(f"{server.url}/conversations", json={}, headers=auth).json()["conversationId"]
        mid, last_id, seen = start_and_drop(server.url, auth, cid, 5)
        r = httpx.get(f"{second.url}/conversations/{cid}/messages/{mid}/events",
                      headers=auth | {"Last-Event-ID": str(last_id)}, timeout=30)
    events, _ = parse_sse(r.text)
    total = len("".join(deltas))
    assert seen + "".join(e.data["delta"] for e in events if e.name == "content_chunk") == "".join(deltas)
    live = [int(e.id) for e in events if e.name == "content_chunk" and 200 < int(e.id) < total]
    assert len(live) >= 2, "followed the generation past the item limit, not only its saved end"
    assert events[-1].name == "message_end"
