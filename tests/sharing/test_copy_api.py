""""Continue this conversation": POST /shared/{shareId}/copy copies a share's snapshot into the caller's account."""

from __future__ import annotations

from tests.sharing.helpers import create, new_user, send


def shared(client, owner, cid: str) -> str:
    r = client.post(f"/conversations/{cid}/shares", json={}, headers=owner)
    assert r.status_code == 201, r.text
    return r.json()["shareId"]


def test_the_copy_is_the_snapshot_in_a_new_conversation_the_reader_owns(client, make_user):
    alice_id, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    cid = create(client, alice, title="Lisbon trip", systemPrompt="secret instructions: talk like a pirate")
    send(client, alice, cid, "what to see in Lisbon?")
    send(client, alice, cid, "and where to eat?")
    sid = shared(client, alice, cid)
    send(client, alice, cid, "said after sharing")
    snapshot = client.get(f"/shared/{sid}").json()["messages"]

    r = client.post(f"/shared/{sid}/copy", headers=bob)
    assert r.status_code == 201, r.text
    body = r.json()
    copy_id = body["conversationId"]
    assert copy_id != cid and body["role"] == "owner" and body["title"] == "Lisbon trip"
    assert body["preview"] and body["preview"][:40] == " ".join(snapshot[-1]["content"].split())[:40]

    detail = client.get(f"/conversations/{copy_id}", headers=bob).json()
    assert detail["ownerId"] in (None, bob_id) and detail["role"] == "owner"
    assert not detail.get("systemPrompt") and "pirate" not in str(detail)
    messages = detail["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [(m["role"], m["content"]) for m in snapshot]
    assert len(messages) == 4  # the message sent after sharing is not in the copy
    assert all(m["messageId"] not in {s["messageId"] for s in snapshot} for m in messages)  # new ids
    assert [m["parentMessageId"] for m in messages] == [None] + [m["messageId"] for m in messages[:-1]]
    assert detail["currentMessageId"] == messages[-1]["messageId"]
    assert {m["authorId"] for m in messages} == {bob_id}
    assert all(m["attachments"] == [] for m in messages)
    tree = client.get(f"/conversations/{copy_id}/messages", headers=bob).json()["messages"]
    assert [m["messageId"] for m in tree] == [m["messageId"] for m in messages]  # stored in branch order

    # bob's own conversation: listed as his, he continues it, alice cannot see it
    listed = client.get("/conversations", headers=bob).json()["conversations"]
    assert [(c["conversationId"], c["role"]) for c in listed] == [(copy_id, "owner")]
    send(client, bob, copy_id, "bob continues")
    after = client.get(f"/conversations/{copy_id}", headers=bob).json()["messages"]
    assert len(after) == 6 and after[4]["parentMessageId"] == messages[-1]["messageId"]
    assert client.get(f"/conversations/{copy_id}", headers=alice).status_code == 404
    # alice's conversation is untouched; copying charged bob nothing (only his one send)
    assert len(client.get(f"/conversations/{cid}", headers=alice).json()["messages"]) == 6
    assert client.get("/usage", headers=bob).json()["requests"]["used"] == 1


def test_copy_needs_sign_in_and_a_live_link(client, make_user):
    _, alice = new_user(make_user)
    _, bob = new_user(make_user)
    cid = create(client, alice, title="Short-lived")
    send(client, alice, cid, "hello")
    sid = shared(client, alice, cid)
    assert client.post(f"/shared/{sid}/copy").status_code == 401
    for unknown in ("A" * 32, "not-a-share"):
        r = client.post(f"/shared/{unknown}/copy", headers=bob)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert client.delete(f"/conversations/{cid}/shares/{sid}", headers=alice).status_code == 204
    r = client.post(f"/shared/{sid}/copy", headers=bob)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    sid = shared(client, alice, cid)
    assert client.delete(f"/conversations/{cid}", headers=alice).status_code == 200
    assert client.post(f"/shared/{sid}/copy", headers=bob).status_code == 404
    assert client.get("/conversations", headers=bob).json()["conversations"] == []


def test_an_empty_share_copies_to_an_empty_conversation_and_the_owner_may_copy_too(client, make_user):
    _, alice = new_user(make_user)
    cid = create(client, alice)
    sid = shared(client, alice, cid)
    r = client.post(f"/shared/{sid}/copy", headers=alice)
    assert r.status_code == 201, r.text
    copy_id = r.json()["conversationId"]
    detail = client.get(f"/conversations/{copy_id}", headers=alice).json()
    assert detail["messages"] == [] and detail["currentMessageId"] is None
    send(client, alice, copy_id, "a first message in the copy")
    assert {c["conversationId"] for c in client.get("/conversations", headers=alice).json()["conversations"]} == {
        cid, copy_id}
