"""Conversation CRUD through the HTTP API."""

from __future__ import annotations

import time


def create(client, auth, **body) -> str:
    r = client.post("/conversations", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["conversationId"]


def test_create_returns_id_and_time(client, auth):
    before = int(time.time() * 1000)
    r = client.post("/conversations", json={"title": "Trip to Lisbon"}, headers=auth)
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"conversationId", "createdAt"}
    assert before - 5 <= body["createdAt"] <= int(time.time() * 1000) + 5


def test_create_defaults_and_read_back(client, auth):
    cid = create(client, auth)
    body = client.get(f"/conversations/{cid}", headers=auth).json()
    assert body["conversationId"] == cid
    assert body["title"] == "New chat"
    assert body["model"] == "auto"
    assert body["messages"] == []
    assert body["currentMessageId"] is None
    assert body["createdAt"] == body["updatedAt"]


def test_title_is_trimmed_and_bounded(client, auth):
    cid = create(client, auth, title="   Spaced    out  ")
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == "Spaced out"
    too_long = client.post("/conversations", json={"title": "x" * 256}, headers=auth)
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "validation_error"
    assert client.post("/conversations", json={"title": "x" * 255}, headers=auth).status_code == 201
    assert client.post("/conversations", json={"title": "   "}, headers=auth).status_code == 422


def test_unknown_model_is_422(client, auth):
    r = client.post("/conversations", json={"model": "gpt-17"}, headers=auth)
    assert r.status_code == 422
    assert r.json()["code"] == "unknown_model"
    assert client.post("/conversations", json={"model": "parley-fast"}, headers=auth).status_code == 201


def test_list_newest_first_with_pagination(client, make_user):
    auth = make_user()
    ids = [create(client, auth, title=f"c{i}") for i in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = client.get("/conversations", params=params, headers=auth).json()
        pages += 1
        seen += [c["conversationId"] for c in body["conversations"]]
        assert len(body["conversations"]) <= 3
        cursor = body.get("nextCursor")
        if not cursor:
            break
        assert all(ch.isalnum() or ch in "-_" for ch in cursor)
    assert pages == 3
    assert seen == list(reversed(ids))
    first = client.get("/conversations", headers=auth).json()["conversations"][0]
    assert set(first) >= {"conversationId", "title", "preview", "lastUpdated", "model"}


def test_list_limit_bounds_and_bad_cursor(client, auth):
    assert client.get("/conversations", params={"limit": 0}, headers=auth).status_code == 422
    assert client.get("/conversations", params={"limit": 101}, headers=auth).status_code == 422
    assert client.get("/conversations", params={"limit": "ten"}, headers=auth).status_code == 422
    assert client.get("/conversations", params={"limit": 100}, headers=auth).status_code == 200
    bad = client.get("/conversations", params={"cursor": "!!not-a-cursor"}, headers=auth)
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


def test_cursor_from_another_user_cannot_leak(client, make_user):
    alice, bob = make_user(), make_user()
    for _ in range(3):
        create(client, alice)
    cursor = client.get("/conversations", params={"limit": 1}, headers=alice).json()["nextCursor"]
    r = client.get("/conversations", params={"cursor": cursor}, headers=bob)
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        assert r.json()["conversations"] == []


def test_rename_archive_unarchive(client, auth):
    cid = create(client, auth, title="before")
    assert client.patch(f"/conversations/{cid}", json={"title": " after "}, headers=auth).json() == {"success": True}
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == "after"
    client.patch(f"/conversations/{cid}", json={"archived": True}, headers=auth)
    active = [c["conversationId"] for c in client.get("/conversations", headers=auth).json()["conversations"]]
    archived = client.get("/conversations", params={"archived": "true"}, headers=auth).json()["conversations"]
    assert cid not in active
    assert [c["conversationId"] for c in archived] == [cid]
    client.patch(f"/conversations/{cid}", json={"archived": False}, headers=auth)
    active = [c["conversationId"] for c in client.get("/conversations", headers=auth).json()["conversations"]]
    assert cid in active


def test_patch_validation(client, auth):
    cid = create(client, auth)
    assert client.patch(f"/conversations/{cid}", json={"title": ""}, headers=auth).status_code == 422
    assert client.patch(f"/conversations/{cid}", json={"title": 5}, headers=auth).status_code == 422
    assert client.patch(f"/conversations/{cid}", json={"bogus": 1}, headers=auth).status_code == 422
    r = client.patch(f"/conversations/{cid}", json={"currentMessageId": "nope"}, headers=auth)
    assert r.status_code == 422
    r = client.patch(f"/conversations/{cid}", json={"currentMessageId": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "message_not_in_conversation"
    r = client.patch(f"/conversations/{cid}", content=b"{not json", headers=auth | {"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"


def test_delete(client, auth):
    cid = create(client, auth)
    assert client.delete(f"/conversations/{cid}", headers=auth).json() == {"success": True}
    assert client.get(f"/conversations/{cid}", headers=auth).status_code == 404
    assert client.delete(f"/conversations/{cid}", headers=auth).status_code == 404
    ids = [c["conversationId"] for c in client.get("/conversations", headers=auth).json()["conversations"]]
    assert cid not in ids


def test_bad_ids_are_422_not_500(client, auth):
    for path in ["/conversations/not-an-id", "/conversations/123/messages", "/conversations/" + "Z" * 27]:
        r = client.get(path, headers=auth)
        assert r.status_code == 422, path
        assert set(r.json()) == {"code", "message", "retryable"}


def test_another_users_conversation_is_404_everywhere(client, make_user):
    alice, mallory = make_user(), make_user()
    cid = create(client, alice, title="private")
    calls = [
        ("GET", f"/conversations/{cid}", None),
        ("GET", f"/conversations/{cid}/messages", None),
        ("PATCH", f"/conversations/{cid}", {"title": "pwned"}),
        ("PATCH", f"/conversations/{cid}", {"archived": True}),
        ("DELETE", f"/conversations/{cid}", None),
    ]
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    for method, path, body in calls:
        theirs = client.request(method, path, json=body, headers=mallory)
        nobody = client.request(method, path.replace(cid, missing), json=body, headers=mallory)
        assert theirs.status_code == 404, (method, path)
        assert theirs.json() == nobody.json(), "another user's data must look exactly like missing data"
    listed = client.get("/conversations", headers=mallory).json()["conversations"]
    assert cid not in [c["conversationId"] for c in listed]
    body = client.get(f"/conversations/{cid}", headers=alice).json()
    assert body["title"] == "private" and body["archived"] is False


def test_health_and_openapi_need_no_token(client):
    assert client.get("/health").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ["/conversations", "/conversations/{conversation_id}", "/conversations/{conversation_id}/messages",
                 "/health"]:
        assert path in paths


def test_messages_route_returns_tree(client, auth):
    cid = create(client, auth)
    body = client.get(f"/conversations/{cid}/messages", headers=auth).json()
    assert body == {"conversationId": cid, "currentMessageId": None, "messages": []}
