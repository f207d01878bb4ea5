"""Local mode's realtime endpoint: the AppSync Events WebSocket protocol over a real socket, authorized
by the same rules as AppSync's Lambda authorizer (tokens, membership, the current key)."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.sharing.helpers import new_user
from tests.support import LiveServer


@pytest.fixture(scope="module")
def server(app):
    with LiveServer(app) as live:
        yield live


def header(token: str | None, host: str = "127.0.0.1") -> str:
    auth = {"host": host} | ({"Authorization": token} if token else {})
    return "header-" + base64.urlsafe_b64encode(json.dumps(auth).encode()).decode().rstrip("=")


class Socket:
    """One realtime connection, as the web client makes it."""

    def __init__(self, server, token: str | None) -> None:
        self.token = token
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(connect(
            server.url.replace("http", "ws") + "/event/realtime",
            subprotocols=["aws-appsync-event-ws", header(token)], open_timeout=10))
        assert self.ws.subprotocol == "aws-appsync-event-ws"

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def answer(self) -> dict[str, Any]:
        """The next message that is not an event (presence and the like may come first)."""
        while (message := self.recv())["type"] in ("data", "ka"):
            pass
        return message

    def init(self) -> dict[str, Any]:
        self.send({"type": "connection_init"})
        return self.recv()

    def subscribe(self, sub_id: str, channel: str, token: str | None = None) -> dict[str, Any]:
        self.send({"type": "subscribe", "id": sub_id, "channel": channel,
                   "authorization": {"Authorization": token or self.token, "host": "127.0.0.1"}})
        while True:
            answer = self.recv()
            if answer.get("id") == sub_id and answer["type"] != "data":
                return answer

    def events(self, sub_id: str, until: str, timeout: float = 10) -> list[dict[str, Any]]:
        """The subscription's events (decoded) up to the first named ``until``."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(timeout=max(0.1, deadline - time.monotonic()))
            if message["type"] == "data" and message["id"] == sub_id:
                assert isinstance(message["event"], str)  # a JSON string, as AppSync delivers it
                got.append(json.loads(message["event"]))
                if got[-1]["event"] == until:
                    return got

    def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Whatever arrives within ``seconds`` (keep-alives left out)."""
        got = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.recv(timeout=left)
            except TimeoutError:
                break
            if message["type"] != "ka":
                got.append(message)
        return got

    def close(self) -> None:
        self._stack.close()


def token_of(auth: dict[str, str]) -> str:
    return auth["Authorization"].removeprefix("Bearer ")


def shared(server, make_user) -> tuple[str, tuple[str, dict], tuple[str, dict], str]:
    alice = new_user(make_user)
    bob = new_user(make_user)
    cid = httpx.post(f"{server.url}/conversations", json={"title": "ws"}, headers=alice[1]).json()["conversationId"]
    r = httpx.post(f"{server.url}/conversations/{cid}/members", json={"userId": bob[0], "role": "participant"},
                   headers=alice[1])
    assert r.status_code == 201, r.text
    return cid, alice, bob, channel_of(server, cid, bob[1])


def channel_of(server, cid: str, auth: dict[str, str]) -> str:
    r = httpx.get(f"{server.url}/conversations/{cid}/live/channel", headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["realtimeUrl"] == server.url.replace("http", "ws") + "/event/realtime"
    return str(body["channel"])


def test_a_connection_needs_a_valid_token(server, make_user):
    for token in (None, "not-a-jwt", token_of(make_user(user_id="x")) + "tampered"):
        sock = Socket(server, token)
        assert sock.recv() == {"type": "connection_error", "errors": [
            {"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}]}
        with pytest.raises(ConnectionClosed):
            sock.recv()
    # without the protocol's subprotocol there is no handshake at all
    with pytest.raises(Exception):  # noqa: B017 (websockets' InvalidStatus / handshake error)
        connect(server.url.replace("http", "ws") + "/event/realtime", open_timeout=5)


def test_connect_subscribe_and_receive_in_order(server, make_user):
    cid, (alice_id, alice), (bob_id, bob), channel = shared(server, make_user)
    sock = Socket(server, token_of(bob))
    ack = sock.init()
    assert ack["type"] == "connection_ack" and ack["connectionTimeoutMs"] > 0
    assert sock.subscribe("s1", channel) == {"type": "subscribe_success", "id": "s1"}
    r = httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": "hello there"}, headers=alice,
                   timeout=30)
    assert r.status_code == 200
    events = sock.events("s1", until="answer_end")
    names = [e["event"] for e in events if e["event"] not in ("presence", "typing")]
    assert names[0] == "message" and names[1] == "answer_start" and names[-1] == "answer_end"
    assert set(names[2:-1]) == {"answer_chunk"}
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)  # in order
    assert events[-1]["data"]["conversationId"] == cid and events[-1]["data"]["authorId"] == alice_id
    # unsubscribe, then nothing more
    sock.send({"type": "unsubscribe", "id": "s1"})
    assert sock.answer() == {"type": "unsubscribe_success", "id": "s1"}
    httpx.post(f"{server.url}/conversations/{cid}/typing", headers=alice)
    assert [m for m in sock.quiet(0.5) if m["type"] == "data"] == []
    sock.close()


def test_subscriptions_are_authorized_one_by_one(server, make_user):
    cid, (alice_id, alice), (bob_id, bob), channel = shared(server, make_user)
    other_cid, _, (carol_id, carol), other_channel = shared(server, make_user)
    sock = Socket(server, token_of(bob))
    sock.init()
    refused = {"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}
    for sub_id, target in (("theirs", other_channel),  # another conversation, its real key
                           ("guess", f"/conversations/{cid}/{'0' * 32}"),  # a wrong key
                           ("bare", f"/conversations/{cid}"),
                           ("wild", "/conversations/*")):
        assert sock.subscribe(sub_id, target) == {"type": "subscribe_error", "id": sub_id, "errors": [refused]}
    # each subscription carries its own authorization: a bad one is refused on a good connection
    assert sock.subscribe("forged", channel, token="forged")["type"] == "subscribe_error"
    assert sock.subscribe("ok", channel)["type"] == "subscribe_success"
    sock.send({"type": "publish", "id": "p1", "channel": channel, "events": ["{}"]})
    assert sock.answer()["type"] == "publish_error"  # browsers never publish
    sock.send({"type": "nonsense"})
    assert sock.answer()["errors"][0]["errorType"] == "UnsupportedOperation"
    sock.close()


def test_a_removed_member_hears_nothing_more_while_the_remaining_one_resubscribes(server, make_user):
    cid, (alice_id, alice), (bob_id, bob), channel = shared(server, make_user)
    carol_id, carol = new_user(make_user)
    assert httpx.post(f"{server.url}/conversations/{cid}/members", json={"userId": carol_id, "role": "viewer"},
                      headers=alice).status_code == 201
    bob_sock, carol_sock = Socket(server, token_of(bob)), Socket(server, token_of(carol))
    for sock in (bob_sock, carol_sock):
        sock.init()
        assert sock.subscribe("live", channel)["type"] == "subscribe_success"
    assert httpx.delete(f"{server.url}/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 204
    # both old subscriptions get the last word on the old key, which does not carry the new one
    for sock in (bob_sock, carol_sock):
        rekey = sock.events("live", until="rekey")[-1]
        assert rekey["data"] == {"conversationId": cid, "at": rekey["data"]["at"]}
    assert httpx.get(f"{server.url}/conversations/{cid}/live/channel", headers=bob).status_code == 404
    new_channel = channel_of(server, cid, carol)
    assert new_channel != channel
    assert bob_sock.subscribe("again", channel)["type"] == "subscribe_error"  # the old key
    assert bob_sock.subscribe("new", new_channel)["type"] == "subscribe_error"  # not a member
    carol_sock.send({"type": "unsubscribe", "id": "live"})
    assert carol_sock.answer() == {"type": "unsubscribe_success", "id": "live"}
    assert carol_sock.subscribe("live2", new_channel)["type"] == "subscribe_success"
    httpx.post(f"{server.url}/conversations/{cid}/typing", headers=alice)
    typing = [e for e in carol_sock.events("live2", until="typing") if e["event"] == "typing"]
    assert typing[0]["data"]["userId"] == alice_id
    assert [m for m in bob_sock.quiet(0.5) if m["type"] == "data"] == []
    bob_sock.close()
    carol_sock.close()
