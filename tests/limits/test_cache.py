"""Response cache: hits, misses and bypasses."""

from __future__ import annotations

import uuid

from tests.support import ScriptedBackend, backend, parse_sse


def ask(client, auth, content, **conv):
    cid = client.post("/conversations", json=conv, headers=auth).json()["conversationId"]
    events, _ = parse_sse(client.post(f"/conversations/{cid}/messages", json={"content": content},
                                      headers=auth).text)
    return cid, events


def test_same_first_question_is_a_shared_hit(limits_app, lclient, make_user):
    question = f"What is the capital of Portugal? {uuid.uuid4()}"
    metrics = limits_app.state.container.metrics.values
    hits_before = len(metrics["CacheHits"])
    _, first = ask(lclient, make_user(), question)
    cid, second = ask(lclient, make_user(), question)
    assert first[-1].data["cached"] is False and first[-1].data["cost"] > 0
    assert second[0].data.get("cached") is True
    assert second[-1].data["cached"] is True and second[-1].data["cost"] == 0
    text = lambda evs: "".join(e.data["delta"] for e in evs if e.name == "content_chunk")  # noqa: E731
    assert text(first) == text(second)
    assert len(metrics["CacheHits"]) == hits_before + 1
    saved = lclient.get(f"/conversations/{cid}", headers=make_user()).status_code
    assert saved == 404  # still a normal, owned conversation


def test_custom_system_prompt_is_scoped_to_the_user(lclient, make_user):
    question = f"Tell me a fact {uuid.uuid4()}"
    alice, bob = make_user(), make_user()
    ask(lclient, alice, question, systemPrompt="Be brief.")
    _, bobs = ask(lclient, bob, question, systemPrompt="Be brief.")
    assert bobs[-1].data["cached"] is False
    _, again = ask(lclient, alice, question, systemPrompt="Be brief.")
    assert again[-1].data["cached"] is True


def test_regenerate_never_reads_the_cache(limits_app, lclient, make_user):
    question = f"Name a color {uuid.uuid4()}"
    auth = make_user()
    cid, _ = ask(lclient, auth, question)
    answer = lclient.get(f"/conversations/{cid}", headers=auth).json()["messages"][-1]
    with backend(limits_app, ScriptedBackend(["a different answer"])) as scripted:
        r = lclient.post(f"/conversations/{cid}/messages/{answer['messageId']}/regenerate", headers=auth)
    events, _ = parse_sse(r.text)
    assert events[-1].data["cached"] is False
    assert len(scripted.requests) == 1


def test_errors_and_stopped_answers_are_not_cached(limits_app, lclient, make_user):
    question = f"Break please {uuid.uuid4()}"
    with backend(limits_app, ScriptedBackend(["partial", " more"], fail_after=1)):
        _, failed = ask(lclient, make_user(), question)
    assert failed[-1].name == "error"
    with backend(limits_app, ScriptedBackend(["fresh"])) as scripted:
        _, retry = ask(lclient, make_user(), question)
    assert retry[-1].data["cached"] is False and len(scripted.requests) == 1


def test_cache_can_be_turned_off(client, make_user, app):
    # the session app runs with cache_enabled=False
    question = f"Same question {uuid.uuid4()}"
    with backend(app, ScriptedBackend(["x"])) as scripted:
        ask(client, make_user(), question)
        _, second = ask(client, make_user(), question)
    assert len(scripted.requests) == 2 and second[-1].data["cached"] is False
