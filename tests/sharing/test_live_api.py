"""The live channel over real sockets: typing, new messages, streamed answers, presence, replay."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

import httpx
import pytest

from tests.sharing.helpers import new_user
from tests.support import LiveServer


class Subscriber:
    """Reads a conversation's live channel on a thread; events land in a queue."""

    def __init__(self, url: str, headers: dict[str, str], last_event_id: str | None = None) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any], str | None]] = queue.Queue()
        self.status: int | None = None
        self._headers = dict(headers) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
        self._url = url
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as http, http.stream("GET", self._url, headers=self._headers) as r:
            self.status = r.status_code
            self._ready.set()
            if r.status_code != 200:
                return
            name, data, eid = "message", [], None
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line.startswith("id:"):
                    eid = line[3:].strip()
                elif line == "" and data:
                    self.events.put((name, json.loads("".join(data)), eid))
                    name, data, eid = "message", [], None
            self.events.put(("<closed>", {}, None))

    def wait_for(self, name: str, timeout: float = 10.0, **match: Any) -> tuple[dict[str, Any], str | None]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {name} {match} within {timeout} s")
            try:
                got, data, eid = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if got == name and all(data.get(k) == v for k, v in match.items()):
                return data, eid

    def close(self) -> None:
        self._stop.set()


@pytest.fixture(scope="module")
def server(app):
    with LiveServer(app) as live:
        yield live


def shared_conversation(server, make_user, role: str = "participant"):
    alice_id, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    cid = httpx.post(f"{server.url}/conversations", json={"title": "live"}, headers=alice).json()["conversationId"]
    r = httpx.post(f"{server.url}/conversations/{cid}/members", json={"userId": bob_id, "role": role}, headers=alice)
    assert r.status_code == 201, r.text
    return cid, (alice_id, alice), (bob_id, bob)


def test_typing_starts_and_expires(server, make_user):
    cid, (alice_id, alice), (_, bob) = shared_conversation(server, make_user)
    sub = Subscriber(f"{server.url}/conversations/{cid}/live", bob)
    assert sub.status == 200
    assert httpx.post(f"{server.url}/conversations/{cid}/typing", headers=alice).status_code == 204
    started = time.monotonic()
    sub.wait_for("typing", userId=alice_id, typing=True)
    httpx.post(f"{server.url}/conversations/{cid}/typing", headers=alice)  # another keystroke: no new event
    sub.wait_for("typing", timeout=8, userId=alice_id, typing=False)
    assert time.monotonic() - started >= 5.0  # 5 s after the last keystroke
    sub.close()


def test_a_members_answer_streams_to_everyone(server, make_user):
    cid, (alice_id, alice), (_, bob) = shared_conversation(server, make_user)
    sub = Subscriber(f"{server.url}/conversations/{cid}/live", bob)
    r = httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": "hello team"}, headers=alice,
                   timeout=30)
    assert r.status_code == 200
    message, _ = sub.wait_for("message")
    assert message["message"]["content"] == "hello team" and message["message"]["authorId"] == alice_id
    start, _ = sub.wait_for("answer_start")
    chunk, _ = sub.wait_for("answer_chunk", messageId=start["messageId"])
    assert chunk["delta"] and chunk["authorId"] == alice_id
    end, _ = sub.wait_for("answer_end", messageId=start["messageId"])
    assert end["finishReason"] == "stop"
    sub.close()


def test_reconnect_with_last_event_id_misses_nothing(server, make_user):
    cid, (_, alice), (_, bob) = shared_conversation(server, make_user)
    url = f"{server.url}/conversations/{cid}/live"
    first = Subscriber(url, bob)
    httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": "one"}, headers=alice, timeout=30)
    _, last_id = first.wait_for("answer_end")
    first.close()
    httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": "two"}, headers=alice, timeout=30)
    again = Subscriber(url, bob, last_event_id=last_id)
    message, eid = again.wait_for("message")
    assert message["message"]["content"] == "two" and int(eid) > int(last_id)
    again.wait_for("answer_end")
    again.close()


def test_presence_shows_who_is_viewing(server, make_user):
    cid, (alice_id, alice), (bob_id, bob) = shared_conversation(server, make_user)
    url = f"{server.url}/conversations/{cid}/live"
    watcher = Subscriber(url, bob)
    watcher.wait_for("presence", viewers=[bob_id])
    other = Subscriber(url, alice)
    watcher.wait_for("presence", viewers=sorted([alice_id, bob_id]))
    other.close()
    httpx.post(f"{server.url}/conversations/{cid}/typing", headers=alice)  # wakes the closed reader's stream
    watcher.wait_for("presence", viewers=[bob_id])
    watcher.close()


def test_removed_member_loses_the_channel(server, make_user):
    cid, (_, alice), (bob_id, bob) = shared_conversation(server, make_user, role="viewer")
    url = f"{server.url}/conversations/{cid}/live"
    sub = Subscriber(url, bob)
    sub.wait_for("presence")
    assert httpx.delete(f"{server.url}/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 204
    sub.wait_for("revoked", timeout=5)
    sub.wait_for("<closed>", timeout=5)
    assert httpx.get(url, headers=bob).status_code == 404
    # a viewer cannot type, a stranger cannot listen
    _, mallory = new_user(make_user)
    assert httpx.get(url, headers=mallory).status_code == 404
