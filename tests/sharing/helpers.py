"""Small HTTP helpers for the sharing tests."""

from __future__ import annotations

import uuid

from tests.support import parse_sse


def new_user(make_user) -> tuple[str, dict[str, str]]:
    uid = f"user-{uuid.uuid4().hex[:12]}"
    return uid, make_user(user_id=uid)


def create(client, auth, **body) -> str:
    r = client.post("/conversations", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["conversationId"]


def send(client, auth, cid: str, content: str):
    r = client.post(f"/conversations/{cid}/messages", json={"content": content}, headers=auth)
    assert r.status_code == 200, r.text
    events, _ = parse_sse(r.text)
    assert events[-1].name == "message_end", events[-1]
    return events


def add_member(client, owner, cid: str, user_id: str, role: str = "participant"):
    return client.post(f"/conversations/{cid}/members", json={"userId": user_id, "role": role}, headers=owner)
