"""Temporary chats: no list, no search, no memory read or written, expiry after 30 days."""

from __future__ import annotations

from parley.ids import now_ms
from tests.personal.helpers import new_conversation, system_texts, turn

DAY_MS = 86_400_000


def test_temporary_chat_leaves_no_trace(app, client, auth):
    assert client.post("/memories", json={"content": "My dog is called Rex"}, headers=auth).status_code == 201
    cid = new_conversation(client, auth, temporary=True, title="ephemeral walrus")
    detail = client.get(f"/conversations/{cid}", headers=auth).json()
    assert detail["temporary"] is True
    assert 29 * DAY_MS < detail["expiresAt"] - detail["createdAt"] <= 30 * DAY_MS

    request, end = turn(app, client, auth, cid, "Remember that my walrus likes fish. What does my dog eat?")
    assert "memoryCreated" not in end  # writes no memory
    assert not any("Rex" in s for s in system_texts(request))  # reads none
    assert [m["content"] for m in client.get("/memories", headers=auth).json()["memories"]] == ["My dog is called Rex"]

    listed = client.get("/conversations", headers=auth).json()["conversations"]
    assert cid not in [c["conversationId"] for c in listed]
    archived = client.get("/conversations", params={"archived": "true"}, headers=auth).json()["conversations"]
    assert cid not in [c["conversationId"] for c in archived]
    for q in ["walrus", "fish", "ephemeral"]:
        assert client.get("/search", params={"q": q}, headers=auth).json()["results"] == [], q
    # It still works as a conversation while it lives.
    assert len(client.get(f"/conversations/{cid}", headers=auth).json()["messages"]) == 2
    r = client.patch(f"/conversations/{cid}", json={"archived": True}, headers=auth)
    assert r.status_code == 400 and r.json()["code"] == "temporary_conversation"


def test_temporary_chat_items_carry_a_ttl_and_expire_on_read(app, client, auth):
    cid = new_conversation(client, auth, temporary=True)
    turn(app, client, auth, cid, "hello")
    table = app.state.container.tables
    items = list(table.item.query(cid, consistent_read=True))
    assert {i.sk[:2] for i in items} == {"C", "M#"}
    expiries = {int(i.expires_at.timestamp()) for i in items}
    assert all(e > now_ms() / 1000 + 29 * 86_400 for e in expiries)
    # DynamoDB deletes expired items within days, not at once: reads treat them as gone already.
    conversation = table.conversation.get(cid, "C")
    conversation.update(actions=[table.conversation.expires_at.set(conversation.expires_at.replace(year=2020))])
    assert client.get(f"/conversations/{cid}", headers=auth).status_code == 404
    r = client.post(f"/conversations/{cid}/messages", json={"content": "still there?"}, headers=auth)
    assert r.status_code == 404


def test_ordinary_chats_have_no_ttl(app, client, auth):
    cid = new_conversation(client, auth)
    turn(app, client, auth, cid, "hello")
    items = list(app.state.container.tables.item.query(cid, consistent_read=True))
    assert all(i.expires_at is None for i in items)
    detail = client.get(f"/conversations/{cid}", headers=auth).json()
    assert detail["temporary"] is False and detail["expiresAt"] is None


def test_temporary_must_be_a_boolean(client, auth):
    assert client.post("/conversations", json={"temporary": "yes"}, headers=auth).status_code == 422


def test_oversized_contents_of_a_temporary_chat_go_where_they_expire(app, client, auth, settings):
    big = "w " * (settings.content_inline_max_bytes // 2 + 100)
    cid = new_conversation(client, auth, temporary=True)
    turn(app, client, auth, cid, big)
    table = app.state.container.tables
    [user] = [i for i in table.item.query(cid, consistent_read=True) if getattr(i, "role", None) == "user"]
    assert user.content is None and user.content_key.startswith("temporary/conversations/")
    blobs = app.state.container.blobs
    assert blobs.get_text(user.content_key) == big
    assert client.get(f"/conversations/{cid}", headers=auth).json()["messages"][0]["content"] == big
    assert client.delete(f"/conversations/{cid}", headers=auth).status_code == 200
    listed = blobs.client.list_objects_v2(Bucket=blobs.bucket, Prefix=f"temporary/conversations/{cid}/")
    assert listed.get("KeyCount", 0) == 0
