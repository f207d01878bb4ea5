"""Sending messages: the SSE contract, persistence, context."""

from __future__ import annotations

import pytest

from tests.support import ScriptedBackend, backend, parse_sse


def new_conversation(client, auth, **body) -> str:
    return client.post("/conversations", json=body, headers=auth).json()["conversationId"]


def send(client, auth, cid, content="Hi there", **extra):
    r = client.post(f"/conversations/{cid}/messages", json={"content": content, **extra}, headers=auth)
    return r


def test_event_order_payloads_and_ids(app, client, auth):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["Hel", "lo", " there", "!"])):
        r = send(client, auth, cid)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events, _ = parse_sse(r.text)
    names = [e.name for e in events]
    assert names == ["message_start"] + ["content_chunk"] * 4 + ["message_end"]
    start, end = events[0].data, events[-1].data
    assert set(start) >= {"messageId", "conversationId", "model", "userMessageId"}
    assert start["conversationId"] == cid
    assert end["messageId"] == start["messageId"]
    assert end["finishReason"] == "stop"
    assert set(end["tokensUsed"]) == {"input", "output"} and end["tokensUsed"]["output"] > 0
    assert end["cost"] > 0
    ids = [int(e.id) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert "".join(e.data["delta"] for e in events if e.name == "content_chunk") == "Hello there!"


def test_saved_content_equals_deltas_and_conversation_updated(app, client, auth):
    cid = new_conversation(client, auth)
    before = client.get(f"/conversations/{cid}", headers=auth).json()
    with backend(app, ScriptedBackend(["An", " answer", " with", " ünïcode ✓"])):
        events, _ = parse_sse(send(client, auth, cid, "What is it?").text)
    streamed = "".join(e.data["delta"] for e in events if e.name == "content_chunk")
    body = client.get(f"/conversations/{cid}", headers=auth).json()
    user, assistant = body["messages"]
    assert user["role"] == "user" and user["content"] == "What is it?"
    assert assistant["role"] == "assistant" and assistant["content"] == streamed
    assert assistant["parentMessageId"] == user["messageId"]
    assert assistant["finishReason"] == "stop"
    assert assistant["tokensUsed"]["input"] > 0 and assistant["tokensUsed"]["output"] > 0
    assert assistant["details"]["contextFrom"] == user["messageId"]
    assert assistant["details"]["contextMessages"] == 1
    assert body["currentMessageId"] == assistant["messageId"]
    assert body["updatedAt"] > before["updatedAt"]
    listed = client.get("/conversations", headers=auth).json()["conversations"][0]
    assert listed["conversationId"] == cid and listed["preview"]


def test_context_across_turns(app, client, auth):
    cid = new_conversation(client, auth, systemPrompt="Answer like a pirate.")
    scripted = ScriptedBackend(["ok"])
    with backend(app, scripted):
        send(client, auth, cid, "My name is Ada.")
        send(client, auth, cid, "What is my name?")
    request = scripted.requests[-1]
    roles = [m.role for m in request.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert request.messages[0].content == "Answer like a pirate."
    assert request.messages[1].content == "My name is Ada."
    assert request.messages[-1].content == "What is my name?"
    # user text never joins the system role
    assert all("Ada" not in m.content for m in request.messages if m.role == "system")


def test_empty_and_oversized_content_are_422_and_store_nothing(client, auth, settings):
    cid = new_conversation(client, auth)
    for content in ["", "   \n\t "]:
        r = send(client, auth, cid, content)
        assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = send(client, auth, cid, "x" * (settings.max_message_chars + 1))
    assert r.status_code == 422
    assert client.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"] == []


def test_unknown_model_and_foreign_conversation(client, auth, make_user):
    cid = new_conversation(client, auth)
    assert send(client, auth, cid, model="nope").status_code == 422
    other = make_user()
    r = send(client, other, cid)
    assert r.status_code == 404
    assert client.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"] == []


def test_backend_failure_mid_stream_saves_partial(app, client, auth):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["one", " two", " three"], fail_after=2)):
        events, _ = parse_sse(send(client, auth, cid, "count").text)
    assert events[-1].name == "error"
    assert events[-1].data["retryable"] is True
    assert [e.name for e in events].count("message_end") == 0
    msgs = client.get(f"/conversations/{cid}", headers=auth).json()["messages"]
    assert msgs[0]["content"] == "count"
    assert msgs[1]["content"] == "one two" and msgs[1]["finishReason"] == "error"


def test_fallback_when_model_unavailable_before_first_token(app, client, auth):
    cid = new_conversation(client, auth, model="parley-fast")
    calls = []

    class FirstUnavailable(ScriptedBackend):
        async def stream(self, spec, request):
            calls.append(spec.id)
            if len(calls) == 1:
                self.unavailable = True
            else:
                self.unavailable = False
            async for e in super().stream(spec, request):
                yield e

    with backend(app, FirstUnavailable(["fine"])):
        events, _ = parse_sse(send(client, auth, cid).text)
    assert calls == ["parley-fast", "parley-smart"]
    # The stream says which model answers before its first token, and still ends with one message_end.
    assert [e.name for e in events] == ["message_start", "model_switched", "content_chunk", "message_end"]
    assert events[0].data["model"] == "parley-fast"
    assert events[1].data == {"model": "parley-smart", "previousModel": "parley-fast", "reason": "model_unavailable"}
    assert events[-1].name == "message_end" and events[-1].data["model"] == "parley-smart"
    mid = events[0].data["messageId"]
    resumed, _ = parse_sse(client.get(f"/conversations/{cid}/messages/{mid}/events", headers=auth).text)
    assert resumed[0].name == "message_start" and resumed[0].data["model"] == "parley-smart"
    assistant = client.get(f"/conversations/{cid}", headers=auth).json()["messages"][-1]
    assert assistant["model"] == "parley-smart"
    assert assistant["details"]["fallbackFrom"] == ["parley-fast"]


@pytest.mark.parametrize("reason", ["length"])
def test_length_finish_reason(app, client, auth, reason):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["cut"], finish_reason=reason)):
        events, _ = parse_sse(send(client, auth, cid).text)
    assert events[-1].data["finishReason"] == reason
