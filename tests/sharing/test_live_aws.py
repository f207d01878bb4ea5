"""The live channel on AWS, without AWS: the SigV4 publisher against a fake HTTP layer, the relay that
forwards the hub's events, and the AppSync Events authorizer's rules (the same as the API's)."""

from __future__ import annotations

import asyncio
import json

import pytest
from botocore.credentials import Credentials

from parley.auth.identity import Identity
from parley.chat.events import EventLog
from parley.errors import Unauthorized
from parley.ids import new_id
from parley.settings import Settings
from parley.sharing.appsync import AppSyncEventsPublisher, PublishFailed
from parley.sharing.aws_live import build_live_hub, has_members
from parley.sharing.live import LiveHub
from parley.sharing.live_auth import LiveChannelAuthorizer, can_read_with
from parley.sharing.remote import RemoteRelay
from tests.sharing.helpers import add_member, create, new_user

DOMAIN = "abc123.appsync-api.eu-west-1.amazonaws.com"


class FakeHttp:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, dict[str, str], dict]] = []

    def __call__(self, url, headers, body) -> int:
        self.calls.append((url, dict(headers), json.loads(body)))
        return self.status


def publisher(http: FakeHttp) -> AppSyncEventsPublisher:
    return AppSyncEventsPublisher(DOMAIN, "eu-west-1", lambda: Credentials("AKIDEXAMPLE", "secret", "session"),
                                  post=http)


def test_publish_is_signed_for_appsync_and_sent_five_at_a_time():
    http = FakeHttp()
    events = [{"event": "answer_chunk", "id": i, "data": {"delta": f"t{i}"}} for i in range(7)]
    publisher(http).publish("01ARZ3NDEKTSV4RRFFQ69G5FAV", events)
    assert [len(body["events"]) for _, _, body in http.calls] == [5, 2]
    url, headers, body = http.calls[0]
    assert url == f"https://{DOMAIN}/event"
    assert body["channel"] == "/conversations/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert [json.loads(e) for e in body["events"]] == events[:5]  # each event is a JSON string, in order
    auth = headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/appsync/aws4_request" in auth and "SignedHeaders=" in auth
    assert headers["X-Amz-Security-Token"] == "session" and headers["X-Amz-Date"]


def test_a_refused_publish_raises_without_echoing_the_events():
    http = FakeHttp(status=403)
    with pytest.raises(PublishFailed) as raised:
        publisher(http).publish("01ARZ3NDEKTSV4RRFFQ69G5FAV", [{"event": "typing", "id": 1, "data": {"x": "secret"}}])
    assert "403" in str(raised.value) and "secret" not in str(raised.value)


def test_the_hub_forwards_a_shared_conversations_turn_and_skips_private_ones():
    http = FakeHttp()
    shared, private = new_id(), new_id()
    hub = LiveHub(remote=RemoteRelay(publisher(http), has_members=lambda cid: cid == shared))

    async def scenario() -> RemoteRelay:
        for cid in (private, shared):
            log = EventLog()
            hub.relay(cid, "bob", {"messageId": "m1", "content": "hi"}, log)
            log.start({"messageId": "a1"})
            log.chunk("Hel")
            log.chunk("lo")
            log.end("message_end", {"messageId": "a1", "finishReason": "stop"})
        for _ in range(50):
            await asyncio.sleep(0.01)
        remote = hub._remote
        assert remote is not None
        await remote.flush()
        return remote

    asyncio.run(scenario())
    channels = {body["channel"] for _, _, body in http.calls}
    assert channels == {f"/conversations/{shared}"}
    sent = [json.loads(e) for _, _, body in http.calls for e in body["events"]]
    assert [e["event"] for e in sent] == ["message", "answer_start", "answer_chunk", "answer_chunk", "answer_end"]
    assert [e["id"] for e in sent] == sorted(e["id"] for e in sent)  # in order
    assert "".join(e["data"].get("delta", "") for e in sent) == "Hello"
    assert all(e["data"]["authorId"] == "bob" for e in sent[1:])


def test_a_failed_publish_is_logged_and_the_hub_goes_on():
    http = FakeHttp(status=500)
    hub = LiveHub(remote=RemoteRelay(publisher(http), has_members=lambda cid: True))

    async def scenario() -> None:
        hub.publish("01ARZ3NDEKTSV4RRFFQ69G5FAV", "typing", {"userId": "bob", "typing": True})
        assert hub._remote is not None
        await hub._remote.flush()
        hub.publish("01ARZ3NDEKTSV4RRFFQ69G5FAV", "typing", {"userId": "bob", "typing": False})
        await hub._remote.flush()

    asyncio.run(scenario())
    assert len(http.calls) == 2


def test_local_mode_and_an_unset_domain_publish_nowhere(app):
    tables = app.state.container.tables
    assert build_live_hub(Settings(mode="local", live_events_http_domain=DOMAIN), tables)._remote is None
    assert build_live_hub(Settings(mode="aws"), tables)._remote is None


# -- the authorizer ---------------------------------------------------------------------------------

def authorizer(members: set[tuple[str, str]]) -> LiveChannelAuthorizer:
    def identify(token: str) -> Identity:
        if not token.startswith("good-"):
            raise Unauthorized("invalid token")
        return Identity(user_id=token.removeprefix("good-"), tier="free")

    return LiveChannelAuthorizer(identify, lambda user, cid: (user, cid) in members)


def event(operation: str, token: str | None = "good-bob", channel: str | None = None) -> dict:
    context = {"apiId": "x", "accountId": "1", "requestId": "r", "operation": operation,
               "channelNamespaceName": "conversations"}
    if channel is not None:
        context["channel"] = channel
    return {"authorizationToken": token, "requestContext": context, "requestHeaders": {}}


def test_the_authorizer_applies_the_apis_rules():
    cid = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    auth = authorizer({("bob", cid)})
    assert auth(event("EVENT_CONNECT"))["isAuthorized"] is True
    allowed = auth(event("EVENT_SUBSCRIBE", channel=f"/conversations/{cid}"))
    assert allowed == {"isAuthorized": True, "ttlOverride": 0, "handlerContext": {"userId": "bob"}}
    assert auth(event("EVENT_SUBSCRIBE", token="Bearer good-bob", channel=f"/conversations/{cid}"))["isAuthorized"]
    refused = [
        event("EVENT_SUBSCRIBE", token="good-carol", channel=f"/conversations/{cid}"),  # not a member
        event("EVENT_SUBSCRIBE", token="forged", channel=f"/conversations/{cid}"),  # bad token
        event("EVENT_SUBSCRIBE", token=None, channel=f"/conversations/{cid}"),
        event("EVENT_CONNECT", token="forged"),
        event("EVENT_SUBSCRIBE", channel="/conversations/*"),  # no wildcards
        event("EVENT_SUBSCRIBE", channel=f"/conversations/{cid}/more"),
        event("EVENT_SUBSCRIBE", channel=f"/other/{cid}"),
        event("EVENT_SUBSCRIBE"),
        event("EVENT_PUBLISH", channel=f"/conversations/{cid}"),  # publishing is IAM only
    ]
    for e in refused:
        assert auth(e) == {"isAuthorized": False, "ttlOverride": 0}, e


def test_membership_is_read_consistently_so_a_removed_member_is_refused_at_once(app, client, make_user):
    alice_id, alice = new_user(make_user)
    bob_id, _ = new_user(make_user)
    carol_id, _ = new_user(make_user)
    cid = create(client, alice, title="Live on AWS")
    container = app.state.container
    can_read = can_read_with(container.conversations_repo.get)
    assert not has_members(container.tables, cid)
    assert add_member(client, alice, cid, bob_id, "viewer").status_code == 201
    assert has_members(container.tables, cid)
    assert can_read(alice_id, cid) and can_read(bob_id, cid) and not can_read(carol_id, cid)
    assert client.delete(f"/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 204
    assert not can_read(bob_id, cid) and not has_members(container.tables, cid)
    assert not can_read(alice_id, new_id())
