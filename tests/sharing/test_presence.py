"""Who is viewing a conversation: heartbeats kept in the table (DynamoDB Local), the same in both modes,
published only when the set changes."""

from __future__ import annotations

import asyncio
import json
import threading

from parley.auth.identity import Identity
from parley.ids import now_ms
from parley.sharing.channel import LiveChannel
from parley.sharing.live import LiveHub
from parley.sharing.presence import PresenceStore
from parley.sharing.remote import RemoteRelay
from tests.sharing.helpers import add_member, create, new_user
from tests.sharing.test_live_aws import FakeHttp, publisher


def shared(client, make_user, role: str = "viewer"):
    alice_id, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    cid = create(client, alice, title="presence")
    assert add_member(client, alice, cid, bob_id, role).status_code == 201
    return cid, (alice_id, alice), (bob_id, bob)


def presence_events(app, cid: str) -> list[dict]:
    channel = app.state.container.live._channels.get(cid)
    return [e.data for e in channel.log if e.name == "presence"] if channel else []


def test_heartbeats_say_who_is_viewing_and_a_leave_removes_them(app, client, make_user):
    cid, (alice_id, alice), (bob_id, bob) = shared(client, make_user)
    r = client.put(f"/conversations/{cid}/presence", headers=bob)  # a viewer views, too
    assert r.status_code == 200, r.text
    assert r.json()["viewers"] == [bob_id] and r.json()["heartbeatS"] == 30
    both = client.put(f"/conversations/{cid}/presence", headers=alice).json()
    assert both["viewers"] == sorted([alice_id, bob_id]) and both["version"] > r.json()["version"]
    assert client.delete(f"/conversations/{cid}/presence", headers=bob).status_code == 204
    assert client.put(f"/conversations/{cid}/presence", headers=alice).json()["viewers"] == [alice_id]
    published = presence_events(app, cid)
    assert [e["viewers"] for e in published] == [[bob_id], sorted([alice_id, bob_id]), [alice_id]]
    assert [e["version"] for e in published] == sorted({e["version"] for e in published})


def test_a_heartbeat_that_changes_nothing_publishes_nothing(app, client, make_user):
    cid, _, (_, bob) = shared(client, make_user)
    for _ in range(4):
        assert client.put(f"/conversations/{cid}/presence", headers=bob).status_code == 200
    assert len(presence_events(app, cid)) == 1


def test_non_members_and_removed_members_get_404_and_change_nothing(app, client, make_user):
    cid, (_, alice), (bob_id, bob) = shared(client, make_user)
    _, carol = new_user(make_user)
    for method in ("put", "delete"):
        r = client.request(method.upper(), f"/conversations/{cid}/presence", headers=carol)
        assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    assert client.delete(f"/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 204
    assert client.put(f"/conversations/{cid}/presence", headers=bob).status_code == 404
    assert presence_events(app, cid) == []
    assert client.put("/conversations/not-an-id/presence", headers=alice).status_code in (404, 422)


def test_a_viewer_who_stops_renewing_is_dropped_by_the_next_heartbeat(app):
    store = PresenceStore(app.state.container.tables, heartbeat_s=30)
    cid, now = f"c-{now_ms()}", now_ms()
    store.beat(cid, "alice", now)
    assert store.beat(cid, "bob", now).viewers == ["alice", "bob"]
    later = now + store.ttl_ms + 1  # alice's laptop was closed; bob's page renews
    change = store.beat(cid, "bob", later)
    assert change.viewers == ["bob"] and change.changed
    assert store.beat(cid, "bob", later + 1).changed is False  # alice's item is gone, not re-dropped
    assert store.leave(cid, "bob", later + 2).viewers == []


def test_racing_heartbeats_publish_each_set_once_and_end_with_everyone(app):
    store = PresenceStore(app.state.container.tables, heartbeat_s=30)
    cid, now = f"c-{now_ms()}", now_ms()
    users = [f"u{i}" for i in range(8)]
    changes = []
    start = threading.Barrier(len(users))

    def beat(user: str) -> None:
        start.wait()
        changes.append(store.beat(cid, user, now))

    threads = [threading.Thread(target=beat, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    published = sorted((c for c in changes if c.changed), key=lambda c: c.version)
    assert len({c.version for c in published}) == len(published)  # no version published twice
    # The last writer's look sees everyone, so the newest publication is the whole set.
    assert max(published, key=lambda c: c.version).viewers == users
    again = store.beat(cid, "u0", now)
    assert again.viewers == users and not again.changed


def test_on_aws_a_heartbeat_and_a_keystroke_are_published_before_their_request_returns(app, client, make_user):
    """Behind Mangum a Lambda may be frozen once its response is sent: the routes wait for the publish."""
    cid, _, (bob_id, _) = shared(client, make_user, role="participant")
    http = FakeHttp()
    container = app.state.container
    hub = LiveHub(remote=RemoteRelay(publisher(http)))
    channel = LiveChannel(hub, container.conversations_repo, PresenceStore(container.tables, heartbeat_s=30),
                          ping_every=60, run_blocking=container.channel._run_blocking)
    bob = Identity(user_id=bob_id, tier="free")

    async def scenario() -> list[list[str]]:
        seen = []
        await channel.here(bob, cid)
        seen.append(published(http))
        await channel.typing(bob, cid)
        seen.append(published(http))
        return seen

    assert asyncio.run(scenario()) == [["presence"], ["presence", "typing"]]


def published(http: FakeHttp) -> list[str]:
    return [json.loads(e)["event"] for _, _, body in http.calls for e in body["events"]]
