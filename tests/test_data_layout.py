"""Data layout: one item per message, one Query per conversation, S3 offload for big content."""

from __future__ import annotations

from botocore.hooks import HierarchicalEmitter  # noqa: F401  (botocore present)

from parley.conversations.model import Message
from parley.ids import new_id, now_ms
from parley.storage.tables import CONVERSATION_SK, message_sk


def _seed(app, auth, client, count: int, content=lambda i: f"message {i}") -> tuple[str, list[Message]]:
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    repo = app.state.container.conversations_repo
    messages, parent = [], None
    for i in range(count):
        m = Message(new_id(), cid, parent, "user" if i % 2 == 0 else "assistant", content(i), now_ms(), tokens=3)
        messages.append(m)
        parent = m.message_id
    repo.put_messages(messages)
    app.state.container.conversations_repo.update(_user(client, auth), cid, current_message_id=parent)
    return cid, messages


def _user(client, auth) -> str:
    import jwt

    return jwt.decode(auth["Authorization"].split()[1], options={"verify_signature": False})["sub"]


class CallCounter:
    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, *, model, **_):
        self.calls.append(model.name)


def test_conversation_with_many_messages_is_one_query(app, client, auth):
    cid, messages = _seed(app, auth, client, 300)
    table = app.state.container.tables.item
    conn = table._get_connection().connection
    counter = CallCounter()
    conn.client.meta.events.register("before-call.dynamodb", counter)
    try:
        body = client.get(f"/conversations/{cid}", headers=auth).json()
    finally:
        conn.client.meta.events.unregister("before-call.dynamodb", counter)
    assert counter.calls == ["Query"]
    assert [m["messageId"] for m in body["messages"]] == [m.message_id for m in messages]
    assert body["messages"][0]["parentMessageId"] is None


def test_items_are_one_per_message(app, client, auth):
    cid, messages = _seed(app, auth, client, 5)
    items = list(app.state.container.tables.item.query(cid))
    assert [i.sk for i in items] == [CONVERSATION_SK] + [message_sk(m.message_id) for m in messages]


def test_big_content_goes_to_s3_and_reads_back_whole(app, client, auth):
    big = "é" * 40_000  # 80 KB of UTF-8: over the inline limit
    cid, messages = _seed(app, auth, client, 2, content=lambda i: big if i == 0 else "small")
    item = app.state.container.tables.message.get(cid, message_sk(messages[0].message_id))
    assert item.content is None and item.content_key
    body = client.get(f"/conversations/{cid}", headers=auth).json()
    assert body["messages"][0]["content"] == big
    assert body["messages"][1]["content"] == "small"
    client.delete(f"/conversations/{cid}", headers=auth)
    s3 = app.state.container.s3
    left = s3.list_objects_v2(Bucket=app.state.container.settings.bucket_data, Prefix=f"conversations/{cid}/")
    assert left.get("KeyCount", 0) == 0
    assert list(app.state.container.tables.item.query(cid)) == []


def test_branch_switch_and_children(app, client, auth):
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    repo = app.state.container.conversations_repo
    root = Message(new_id(), cid, None, "user", "q", now_ms())
    a1 = Message(new_id(), cid, root.message_id, "assistant", "a1", now_ms())
    a2 = Message(new_id(), cid, root.message_id, "assistant", "a2", now_ms())
    repo.put_messages([root, a1, a2])
    user = _user(client, auth)
    repo.update(user, cid, current_message_id=a2.message_id)
    body = client.get(f"/conversations/{cid}", headers=auth).json()
    assert [m["content"] for m in body["messages"]] == ["q", "a2"]
    assert body["messages"][0]["childrenIds"] == [a1.message_id, a2.message_id]
    r = client.patch(f"/conversations/{cid}", json={"currentMessageId": a1.message_id}, headers=auth)
    assert r.status_code == 200
    body = client.get(f"/conversations/{cid}", headers=auth).json()
    assert [m["content"] for m in body["messages"]] == ["q", "a1"]
    tree = client.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"]
    assert len(tree) == 3
