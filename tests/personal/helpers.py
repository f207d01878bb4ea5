"""Helpers of the instructions and memory tests: conversations, scripted turns, what reached the model."""

from __future__ import annotations

from tests.support import ScriptedBackend, backend, parse_sse


def new_conversation(client, auth, **body) -> str:
    r = client.post("/conversations", json=body, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["conversationId"]


def turn(app, client, auth, cid, content, answer="OK."):
    """Send one message; returns (the InferenceRequest the model got, message_end's data)."""
    with backend(app, ScriptedBackend([answer])) as scripted:
        r = client.post(f"/conversations/{cid}/messages", json={"content": content}, headers=auth)
    assert r.status_code == 200, r.text
    events, _ = parse_sse(r.text)
    assert events[-1].name == "message_end", events[-1]
    return scripted.requests[-1], events[-1].data


def system_texts(request) -> list[str]:
    return [m.content for m in request.messages if m.role == "system"]


def last_answer(client, auth, cid) -> dict:
    return client.get(f"/conversations/{cid}", headers=auth).json()["messages"][-1]
