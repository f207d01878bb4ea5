"""Edge cases of the chat path: replays of failed answers, oversized turns, resumes that lose their
answer, partial resume offsets, and the catalog behind authentication."""

from __future__ import annotations

import asyncio
import uuid

import jwt
import pytest

from parley.api.errors import status_of
from parley.chat.events import EventLog
from tests.support import ScriptedBackend, backend, parse_sse


def conversation(client, auth, **body) -> str:
    return client.post("/conversations", json=body, headers=auth).json()["conversationId"]


def test_replay_of_a_failed_answer_ends_with_its_error(app, client, make_user):
    auth = make_user("plus")
    cid = conversation(client, auth)
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    with backend(app, ScriptedBackend(["one", "two"], fail_after=1)):
        first = parse_sse(client.post(f"/conversations/{cid}/messages", json={"content": "q"},
                                      headers=auth | key).text)[0]
    replay = parse_sse(client.post(f"/conversations/{cid}/messages", json={"content": "q"},
                                   headers=auth | key).text)[0]
    assert first[-1].name == replay[-1].name == "error"
    assert replay[-1].data["code"] == first[-1].data["code"]
    assert replay[0].data["userMessageId"] == first[0].data["userMessageId"]


def test_a_second_send_with_the_same_key_while_the_first_is_prepared_is_409_not_404(app, make_user):
    from parley.auth.identity import Identity
    from parley.idempotency.records import idempotency_key

    turns = app.state.container.turns
    who = Identity(f"idem-{uuid.uuid4().hex[:6]}", "plus")
    cid = app.state.container.conversations.create(who.user_id, title=None, model=None, system_prompt=None)[0]
    key = idempotency_key(who.user_id, f"send:{cid}", "same", {"content": "x"})
    turns.prepare_send(who, cid, content="x", idempotency=key)  # started, not finished
    from parley.errors import Conflict

    with pytest.raises(Conflict) as raised:
        turns.prepare_send(who, cid, content="x", idempotency=key)
    assert status_of(raised.value) == 409 and raised.value.code == "request_in_progress"


def test_a_turn_too_large_for_the_chosen_model_falls_back_or_is_refused(app, client, make_user):
    auth = make_user("plus")
    huge = "7 " * 49_000  # ~49K tokens in 98K characters: more than the 32K code and vision models take
    cid = conversation(client, auth, model="parley-code")
    with backend(app, ScriptedBackend(["ok"])):
        events = parse_sse(client.post(f"/conversations/{cid}/messages", json={"content": huge},
                                       headers=auth).text)[0]
    assert events[0].data["model"] != "parley-code"  # a fallback with a larger window answered
    cid = conversation(client, auth, model="parley-vision")  # no fallbacks
    r = client.post(f"/conversations/{cid}/messages", json={"content": huge}, headers=auth)
    assert r.status_code == 422 and r.json()["code"] == "context_length_exceeded"
    assert client.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"] == []


def test_resuming_from_an_offset_inside_a_chunk_never_repeats_text():
    async def run() -> str:
        log = EventLog()
        log.start({})
        log.chunk("Hello ")
        log.chunk("world")
        log.end("message_end", {})
        return "".join([e.data["delta"] async for e in log.follow(8) if e is not None and e.name == "content_chunk"])

    assert asyncio.run(run()) == "rld"


def test_the_catalog_needs_a_token(client, auth):
    assert client.get("/models").status_code == 401
    assert client.get("/models", headers=auth).status_code == 200


def test_a_cursor_with_a_malformed_key_is_400(client, auth):
    from parley.conversations.cursor import encode_cursor

    bad = (["", ""], ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope"], ["x", "000000000000001#01ARZ3NDEKTSV4RRFFQ69G5FAV"])
    for values in bad:
        r = client.get("/conversations", params={"cursor": encode_cursor(values)}, headers=auth)
        assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


def test_a_summary_finished_after_the_conversation_was_deleted_is_not_stored(app, client, make_user):
    from parley.conversations.model import Summary
    from parley.errors import NotFound

    auth = make_user()
    cid = conversation(client, auth)
    repo = app.state.container.conversations_repo
    user_id = jwt.decode(auth["Authorization"].split()[1], options={"verify_signature": False})["sub"]
    client.delete(f"/conversations/{cid}", headers=auth)
    with pytest.raises(NotFound):
        repo.put_summary(user_id, cid, Summary("01ARZ3NDEKTSV4RRFFQ69G5FAV", "text", 1, 1), model="parley-fast")
    assert list(app.state.container.tables.item.query(cid)) == []
