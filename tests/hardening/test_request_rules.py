"""Request bodies are taken exactly as typed: no coercion, no silent success for what does not exist."""

from __future__ import annotations

import pytest


def create(client, auth, **body) -> str:
    r = client.post("/conversations", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["conversationId"]


@pytest.mark.parametrize("value", [False, True, "5", "0.5", [1], {"usd": 1}])
def test_cap_takes_only_a_number_or_null(client, auth, value):
    r = client.put("/usage/cap", json={"monthlyCapUsd": value}, headers=auth)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert client.get("/usage", headers=auth).json()["cost"]["cap"] is None


@pytest.mark.parametrize("body", [{"archived": "yes"}, {"archived": 1}, {"archived": "true"}, {"title": 5},
                                  {"currentMessageId": 7}])
def test_patch_takes_only_exact_types(client, auth, body):
    cid = create(client, auth)
    assert client.patch(f"/conversations/{cid}", json=body, headers=auth).status_code == 422
    listed = client.get("/conversations", headers=auth).json()["conversations"]
    assert [c["conversationId"] for c in listed] == [cid]  # not archived


@pytest.mark.parametrize(("path", "body"), [
    ("/conversations", {"title": 5}),
    ("/conversations", {"systemPrompt": ["x"]}),
    ("/api-keys", {"name": 12}),
    ("/attachments", {"filename": "a.txt", "size": "10"}),
    ("/attachments", {"filename": "a.txt", "size": 10.5}),
    ("/dev/token", {"userId": "u", "tier": 1}),
])
def test_other_bodies_refuse_coercion(client, auth, path, body):
    assert client.post(path, json=body, headers=auth).status_code == 422


def test_message_bodies_refuse_coercion(client, auth):
    cid = create(client, auth)
    r = client.post(f"/conversations/{cid}/messages", json={"content": "hi", "attachments": "x"}, headers=auth)
    assert r.status_code == 422
    r = client.post(f"/conversations/{cid}/messages", json={"content": 5}, headers=auth)
    assert r.status_code == 422


@pytest.mark.parametrize("body", [{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"},
                                  {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "n": "1"},
                                  {"model": "auto", "messages": [{"role": "user", "content": "hi"}],
                                   "temperature": "0.5"}])
def test_completion_bodies_refuse_coercion(client, auth, body):
    r = client.post("/v1/chat/completions", json=body, headers=auth)
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"


def test_patch_with_nothing_to_change_still_needs_the_conversation(client, auth, make_user):
    cid = create(client, auth)
    assert client.patch(f"/conversations/{cid}", json={}, headers=auth).json() == {"success": True}
    assert client.patch(f"/conversations/{cid}", json={}, headers=make_user()).status_code == 404
    assert client.patch("/conversations/01ARZ3NDEKTSV4RRFFQ69G5FAV", json={}, headers=auth).status_code == 404
    client.delete(f"/conversations/{cid}", headers=auth)
    assert client.patch(f"/conversations/{cid}", json={}, headers=auth).status_code == 404


@pytest.mark.parametrize(("sent", "stored"), [
    ("Plan\x00 for\x07 today", "Plan for today"),
    ("tab\tand\nnewline", "tab and newline"),
    ("\u202eevil\u202c\x85name\x7f", "evil name"),
    ("zero\u200bwidth", "zerowidth"),
])
def test_titles_lose_control_and_invisible_characters(client, auth, sent, stored):
    cid = create(client, auth, title=sent)
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == stored
    client.patch(f"/conversations/{cid}", json={"title": sent + "!"}, headers=auth)
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == stored + "!"


@pytest.mark.parametrize("title", ["", "   ", "\x00\x01", "\u200b\u202e", "x" * 256])
def test_titles_with_nothing_visible_or_too_long_are_422(client, auth, title):
    assert client.post("/conversations", json={"title": title}, headers=auth).status_code == 422
    cid = create(client, auth)
    assert client.patch(f"/conversations/{cid}", json={"title": title}, headers=auth).status_code == 422


@pytest.mark.parametrize("path", ["/conversations", "/usage/cap", "/v1/chat/completions"])
def test_a_body_that_is_not_json_is_415(client, auth, path):
    method = "PUT" if path == "/usage/cap" else "POST"
    r = client.request(method, path, content=b"hello", headers=auth | {"content-type": "text/plain"})
    assert r.status_code == 415
    body = r.json()
    assert (body.get("code") or body["error"]["code"]) == "unsupported_media_type"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("OPTIONS", "/conversations", "GET, HEAD, POST"),
    ("PUT", "/conversations", "GET, HEAD, POST"),
    ("OPTIONS", "/conversations/01ARZ3NDEKTSV4RRFFQ69G5FAV", "DELETE, GET, HEAD, PATCH"),
    ("GET", "/usage/cap", "PUT"),
    ("DELETE", "/v1/chat/completions", "POST"),
])
def test_undeclared_methods_are_405_with_every_allowed_method(client, auth, method, path, allow):
    r = client.request(method, path, headers=auth)
    assert r.status_code == 405 and r.headers["allow"] == allow
