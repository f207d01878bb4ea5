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
from parley.sharing.appsync import AppSyncEventsPublisher, PublishFailed, channel_of
from parley.sharing.aws_live import build_live_hub
from parley.sharing.live import LiveHub
from parley.sharing.live_auth import LiveChannelAuthorizer, live_key_with
from parley.sharing.remote import RemoteRelay
from tests.sharing.helpers import add_member, create, new_user

DOMAIN = "abc123.appsync-api.eu-west-1.amazonaws.com"
KEY = "0123456789abcdef0123456789abcdef"
CID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


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
    publisher(http).publish(channel_of(CID, KEY), events)
    assert [len(body["events"]) for _, _, body in http.calls] == [5, 2]
    url, headers, body = http.calls[0]
    assert url == f"https://{DOMAIN}/event"
    assert body["channel"] == f"/conversations/{CID}/{KEY}"
    assert [json.loads(e) for e in body["events"]] == events[:5]  # each event is a JSON string, in order
    auth = headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/appsync/aws4_request" in auth and "SignedHeaders=" in auth
    assert headers["X-Amz-Security-Token"] == "session" and headers["X-Amz-Date"]


def test_a_refused_publish_raises_without_echoing_the_events():
    http = FakeHttp(status=403)
    with pytest.raises(PublishFailed) as raised:
        publisher(http).publish(channel_of(CID, KEY), [{"event": "typing", "id": 1, "data": {"x": "secret"}}])
    assert "403" in str(raised.value) and "secret" not in str(raised.value)


def test_the_hub_forwards_a_shared_conversations_turn_to_its_key_and_skips_private_ones():
    """The key comes with the turn (read with the conversation): no read of its own, none at all for
    a private conversation (no key)."""
    http = FakeHttp()
    shared, private = new_id(), new_id()
    hub = LiveHub(remote=RemoteRelay(publisher(http)))

    async def scenario() -> RemoteRelay:
        for cid, key in ((private, None), (shared, KEY)):
            log = EventLog()
            hub.relay(cid, "bob", lambda: {"messageId": "m1", "content": "hi"}, log, key)
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
    assert channels == {f"/conversations/{shared}/{KEY}"}
    sent = [json.loads(e) for _, _, body in http.calls for e in body["events"]]
    assert [e["event"] for e in sent] == ["message", "answer_start", "answer_chunk", "answer_chunk", "answer_end"]
    assert [e["id"] for e in sent] == sorted(e["id"] for e in sent)  # in order
    assert "".join(e["data"].get("delta", "") for e in sent) == "Hello"
    assert all(e["data"]["authorId"] == "bob" for e in sent[1:])


def test_a_failed_publish_is_logged_and_the_hub_goes_on():
    http = FakeHttp(status=500)
    hub = LiveHub(remote=RemoteRelay(publisher(http)))

    async def scenario() -> None:
        hub.typing(CID, "bob", KEY)
        assert hub._remote is not None
        await hub._remote.flush()
        hub.publish(CID, "typing", {"userId": "bob", "typing": False})
        await hub._remote.flush()

    asyncio.run(scenario())
    assert len(http.calls) == 2


def test_a_rekey_goes_to_the_old_channel_at_once_without_the_new_key_and_then_nothing_does():
    http = FakeHttp()
    new_key = "f" * 32
    hub = LiveHub(remote=RemoteRelay(publisher(http)))

    async def scenario() -> None:
        hub.typing(CID, "bob", KEY)
        assert hub._remote is not None
        await hub._remote.flush()
        hub.rekey(CID, KEY, new_key)  # synchronous: a buffered route ends right after
        assert [b["channel"] for _, _, b in http.calls] == [f"/conversations/{CID}/{KEY}"] * 2
        hub.publish(CID, "typing", {"userId": "bob", "typing": False})
        await hub._remote.flush()

    asyncio.run(scenario())
    rekey = json.loads(http.calls[1][2]["events"][0])
    assert rekey["event"] == "rekey" and new_key not in json.dumps(http.calls[1][2])
    assert http.calls[2][2]["channel"] == f"/conversations/{CID}/{new_key}"  # later events: the new key


def test_settle_returns_once_the_answers_last_event_is_published():
    """The answer's stream ends after ``settle``: a Lambda whose response has ended may be frozen, so
    nothing of the answer may still wait in the queue then."""
    http = FakeHttp()
    hub = LiveHub(remote=RemoteRelay(publisher(http)))

    async def scenario() -> list[str]:
        log = EventLog()
        forward = hub.relay(CID, "bob", None, log, KEY)
        assert forward is not None
        log.start({"messageId": "a1"})
        log.chunk("Hi")
        log.end("message_end", {"messageId": "a1", "finishReason": "stop"})
        await hub.settle(forward)  # no sleeping, no flush of its own
        return [json.loads(e)["event"] for _, _, b in http.calls for e in b["events"]]

    assert asyncio.run(scenario()) == ["answer_start", "answer_chunk", "answer_end"]


def test_nothing_to_settle_for_a_conversation_nobody_follows():
    hub = LiveHub()  # local mode, no reader here

    async def scenario() -> None:
        assert hub.relay(CID, "bob", None, EventLog(), KEY) is None
        await hub.settle(None)

    asyncio.run(scenario())


def test_presence_is_published_to_appsync_and_a_reader_here_is_not_counted():
    http = FakeHttp()
    hub = LiveHub(remote=RemoteRelay(publisher(http)))

    async def scenario() -> None:
        follow = hub.follow(CID, "bob", None, ping_every=60, still_allowed=lambda: asyncio.sleep(0, True))
        hub.presence(CID, ["alice", "bob"], 7, KEY)  # what the presence store changed (sharing/presence.py)
        event = await anext(follow)
        assert event.name == "presence" and event.data["viewers"] == ["alice", "bob"]
        await follow.aclose()
        assert hub._remote is not None
        await hub._remote.flush()

    asyncio.run(scenario())
    [(_, _, body)] = http.calls
    assert body["channel"] == f"/conversations/{CID}/{KEY}"
    assert [json.loads(e)["event"] for e in body["events"]] == ["presence"]  # subscribing here counts nothing


def test_local_mode_and_an_unset_domain_publish_nowhere():
    assert build_live_hub(Settings(mode="local", live_events_http_domain=DOMAIN))._remote is None
    assert build_live_hub(Settings(mode="aws"))._remote is None


# -- the authorizer ---------------------------------------------------------------------------------

def authorizer(members: set[tuple[str, str]]) -> LiveChannelAuthorizer:
    def identify(token: str) -> Identity:
        if not token.startswith("good-"):
            raise Unauthorized("invalid token")
        return Identity(user_id=token.removeprefix("good-"), tier="free")

    return LiveChannelAuthorizer(identify, lambda user, cid: KEY if (user, cid) in members else None)


def event(operation: str, token: str | None = "good-bob", channel: str | None = None) -> dict:
    context = {"apiId": "x", "accountId": "1", "requestId": "r", "operation": operation,
               "channelNamespaceName": "conversations"}
    if channel is not None:
        context["channel"] = channel
    return {"authorizationToken": token, "requestContext": context, "requestHeaders": {}}


def test_the_authorizer_applies_the_apis_rules():
    cid = CID
    channel = f"/conversations/{cid}/{KEY}"
    auth = authorizer({("bob", cid)})
    assert auth(event("EVENT_CONNECT"))["isAuthorized"] is True
    allowed = auth(event("EVENT_SUBSCRIBE", channel=channel))
    assert allowed == {"isAuthorized": True, "ttlOverride": 0, "handlerContext": {"userId": "bob"}}
    assert auth(event("EVENT_SUBSCRIBE", token="Bearer good-bob", channel=channel))["isAuthorized"]
    refused = [
        event("EVENT_SUBSCRIBE", token="good-carol", channel=channel),  # not a member
        event("EVENT_SUBSCRIBE", token="forged", channel=channel),  # bad token
        event("EVENT_SUBSCRIBE", token=None, channel=channel),
        event("EVENT_CONNECT", token="forged"),
        event("EVENT_SUBSCRIBE", channel=f"/conversations/{cid}/{'e' * 32}"),  # an old (or guessed) key
        event("EVENT_SUBSCRIBE", channel=f"/conversations/{cid}"),  # no key
        event("EVENT_SUBSCRIBE", channel="/conversations/*"),  # no wildcards
        event("EVENT_SUBSCRIBE", channel=f"/conversations/{cid}/*"),
        event("EVENT_SUBSCRIBE", channel=f"{channel}/more"),
        event("EVENT_SUBSCRIBE", channel=f"/other/{cid}/{KEY}"),
        event("EVENT_SUBSCRIBE"),
        event("EVENT_PUBLISH", channel=channel),  # publishing is IAM only
    ]
    for e in refused:
        assert auth(e) == {"isAuthorized": False, "ttlOverride": 0}, e


def test_the_key_is_made_with_the_first_member_and_replaced_when_one_goes(app, client, make_user):
    """Read consistently (a removed member is refused at once); the key changes on every removal or
    leave, so a subscription made before it is on a channel nothing is published to."""
    alice_id, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    carol_id, _ = new_user(make_user)
    dave_id, _ = new_user(make_user)
    cid = create(client, alice, title="Live on AWS")
    container = app.state.container
    live_key = live_key_with(container.conversations_repo.get)
    assert live_key(alice_id, cid) is None  # never shared: nothing is ever published
    assert client.get(f"/conversations/{cid}/live/channel", headers=alice).json()["channel"] is None
    assert add_member(client, alice, cid, bob_id, "viewer").status_code == 201
    first = live_key(alice_id, cid)
    assert first is not None and len(first) == 32 and live_key(bob_id, cid) == first
    assert live_key(carol_id, cid) is None
    assert add_member(client, alice, cid, dave_id, "viewer").status_code == 201
    assert live_key(alice_id, cid) == first  # a second member: same key
    body = client.get(f"/conversations/{cid}/live/channel", headers=bob).json()
    assert body["channel"] == f"/conversations/{cid}/{first}" and body["realtimeUrl"].endswith("/event/realtime")
    assert client.delete(f"/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 204
    second = live_key(alice_id, cid)
    assert second not in (None, first) and live_key(bob_id, cid) is None
    assert client.get(f"/conversations/{cid}/live/channel", headers=bob).status_code == 404
    dave = make_user(user_id=dave_id)
    assert client.delete(f"/conversations/{cid}/members/{dave_id}", headers=dave).status_code == 204
    assert live_key(alice_id, cid) not in (None, first, second)  # leaving replaces it too
    assert live_key(alice_id, new_id()) is None


def test_every_keystroke_republishes_typing_and_one_stop_follows_the_last():
    hub = LiveHub(typing_ttl_s=0.3)

    async def scenario() -> list[tuple[str, bool]]:
        follow = hub.follow(CID, "alice", None, ping_every=60, still_allowed=lambda: asyncio.sleep(0, True))
        hub.typing(CID, "bob")
        await asyncio.sleep(0.2)
        hub.typing(CID, "bob")  # within the TTL: "typing" again, and the stop moves on
        seen = []
        while len(seen) < 3:
            event = await asyncio.wait_for(anext(follow), 2)
            seen.append((event.name, event.data["typing"]))
        await follow.aclose()
        return seen

    assert asyncio.run(scenario()) == [("typing", True), ("typing", True), ("typing", False)]
