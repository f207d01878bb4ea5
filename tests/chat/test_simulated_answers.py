"""Local mode's simulated answers through the API: shaped like the request, labelled in metadata only."""

from __future__ import annotations

from tests.support import parse_sse


def ask(client, auth, content: str, model: str = "auto") -> tuple[str, dict]:
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    r = client.post(f"/conversations/{cid}/messages", json={"content": content, "model": model}, headers=auth)
    assert r.status_code == 200, r.text
    events, _ = parse_sse(r.text)
    assert events[-1].name == "message_end", events[-1]
    detail = client.get(f"/conversations/{cid}", headers=auth).json()
    return cid, detail["messages"][-1]


def test_a_code_request_is_answered_with_code_and_labelled_simulated(client, auth):
    cid, answer = ask(client, auth, "Write a Python function that reverses a string")
    assert answer["model"] == "parley-code"
    assert "```python\ndef " in answer["content"]
    assert answer["details"]["simulated"] is True
    assert "simulator" not in answer["content"].lower()
    listed = client.get("/conversations", headers=auth).json()["conversations"]
    preview = next(c["preview"] for c in listed if c["conversationId"] == cid)
    assert preview.startswith(answer["content"].splitlines()[0])  # the first line reads as a preview


def test_a_comparison_is_answered_with_a_table(client, auth):
    _, answer = ask(client, auth, "Compare tea and coffee", model="parley-fast")
    assert "| Aspect | Tea | Coffee |" in answer["content"]
