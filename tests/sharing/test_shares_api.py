"""Share links: read-only snapshots of a conversation's active branch, readable without signing in."""

from __future__ import annotations

import base64

from tests.sharing.helpers import create, new_user, send


def share(client, auth, cid, **body):
    return client.post(f"/conversations/{cid}/shares", json=body, headers=auth)


def test_create_read_list_revoke(client, make_user):
    _, alice = new_user(make_user)
    cid = create(client, alice, title="Lisbon trip", systemPrompt="secret instructions: talk like a pirate")
    send(client, alice, cid, "what to see in Lisbon?")
    r = share(client, alice, cid)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"shareId", "url", "createdAt", "includeAttachments"}
    sid = body["shareId"]
    assert len(base64.urlsafe_b64decode(sid + "=" * (-len(sid) % 4))) >= 16  # >= 128 bits
    assert body["url"].endswith(f"/shared/{sid}")

    public = client.get(f"/shared/{sid}")  # no Authorization header
    assert public.status_code == 200, public.text
    page = public.json()
    assert page["title"] == "Lisbon trip" and page["sharedAt"] == body["createdAt"]
    assert [m["role"] for m in page["messages"]] == ["user", "assistant"]
    assert page["messages"][0]["content"] == "what to see in Lisbon?"
    assert "pirate" not in public.text and "systemPrompt" not in public.text

    listed = client.get(f"/conversations/{cid}/shares", headers=alice).json()["shares"]
    assert [s["shareId"] for s in listed] == [sid]

    assert client.delete(f"/conversations/{cid}/shares/{sid}", headers=alice).status_code == 204
    gone = client.get(f"/shared/{sid}")
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert client.get(f"/conversations/{cid}/shares", headers=alice).json()["shares"] == []
    assert client.delete(f"/conversations/{cid}/shares/{sid}", headers=alice).status_code == 404


def test_snapshot_does_not_change_after_new_messages(client, make_user):
    _, alice = new_user(make_user)
    cid = create(client, alice)
    send(client, alice, cid, "first question")
    sid = share(client, alice, cid).json()["shareId"]
    before = client.get(f"/shared/{sid}").json()
    send(client, alice, cid, "second question")
    client.patch(f"/conversations/{cid}", json={"title": "Renamed"}, headers=alice)
    assert client.get(f"/shared/{sid}").json() == before
    assert len(before["messages"]) == 2
    # a new share shows the conversation as it is now
    again = client.get(f"/shared/{share(client, alice, cid).json()['shareId']}").json()
    assert len(again["messages"]) == 4 and again["title"] == "Renamed"


def test_deleting_the_conversation_kills_its_links(client, make_user):
    _, alice = new_user(make_user)
    cid = create(client, alice)
    send(client, alice, cid, "hello")
    sids = [share(client, alice, cid).json()["shareId"] for _ in range(2)]
    assert client.delete(f"/conversations/{cid}", headers=alice).status_code == 200
    for sid in sids:
        assert client.get(f"/shared/{sid}").status_code == 404


def test_attachments_only_when_asked(client, make_user):
    _, alice = new_user(make_user)
    cid = create(client, alice)
    send(client, alice, cid, "hello")
    plain = client.get(f"/shared/{share(client, alice, cid).json()['shareId']}").json()
    assert all("attachments" not in m for m in plain["messages"])
    opted = client.get(f"/shared/{share(client, alice, cid, includeAttachments=True).json()['shareId']}").json()
    assert all(m["attachments"] == [] for m in opted["messages"])


def test_bad_input_and_other_users(client, make_user):
    _, alice = new_user(make_user)
    _, mallory = new_user(make_user)
    cid = create(client, alice)
    send(client, alice, cid, "hello")
    other = share(client, mallory, cid)
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert client.get(f"/conversations/{cid}/shares", headers=mallory).status_code == 404
    sid = share(client, alice, cid).json()["shareId"]
    assert client.delete(f"/conversations/{cid}/shares/{sid}", headers=mallory).status_code == 404
    assert client.get(f"/shared/{sid}").status_code == 200  # mallory's attempt changed nothing
    assert share(client, alice, cid, includeAttachments="yes").status_code == 422
    assert share(client, alice, cid, surprise=1).status_code == 422
    assert client.get("/shared/not-a-real-share-id-0000000000").status_code == 404
    assert client.get("/shared/..%2F..%2Fetc").status_code == 404
    assert share(client, alice, cid).status_code == 201 and client.post(
        f"/conversations/{cid}/shares", headers=alice).status_code == 201  # the body is optional


def test_a_large_snapshot_is_stored_whole(client, make_user, settings):
    _, alice = new_user(make_user)
    cid = create(client, alice)
    long_text = "lisbon " * (settings.content_inline_max_bytes // 7 + 500)  # over an item's inline limit
    send(client, alice, cid, long_text)
    sid = share(client, alice, cid).json()["shareId"]
    page = client.get(f"/shared/{sid}").json()
    assert page["messages"][0]["content"] == long_text
    assert client.delete(f"/conversations/{cid}/shares/{sid}", headers=alice).status_code == 204
    assert client.get(f"/shared/{sid}").status_code == 404
