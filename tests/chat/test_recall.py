"""Recall in long conversations: older messages relevant to the new one come back into the context."""

from __future__ import annotations

import random
import uuid

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.container import build_container
from parley.context.recall import HEADER
from parley.settings import Settings
from parley.tokens import count_tokens
from tests.support import ScriptedBackend, backend, parse_sse
from tests.workflows.test_summaries import small_window_catalog

FILLER = ("weather garden river bicycle window paper music kitchen travel morning market bridge lamp "
          "pencil ocean forest cloud street table coffee").split()


def make_client(**overrides) -> tuple[object, TestClient]:
    prefix = f"recall-{uuid.uuid4().hex[:6]}"
    settings = Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False, generate_titles=False,
                        limit_free_per_hour=10_000, table_conversations=f"{prefix}-conversations",
                        summary_trigger_fraction=100.0, **overrides)
    app = create_app(settings, container=build_container(settings, catalog=small_window_catalog(3000)))
    return app, TestClient(app)


def send(app, client, auth, cid, content):
    with backend(app, ScriptedBackend(["Sure, noted that."])) as scripted:
        r = client.post(f"/conversations/{cid}/messages", json={"content": content}, headers=auth)
    assert r.status_code == 200, r.text
    events, _ = parse_sse(r.text)
    assert events[-1].name == "message_end", events[-1]
    return scripted.requests[-1], events[-1].data, events[0].data


def long_conversation(app, client, auth, turns: int = 30) -> tuple[str, str]:
    """A conversation with a fact at turn 2 buried under filler; returns (id, the fact's message id)."""
    rng = random.Random(7)
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    fact_id = ""
    for i in range(turns):
        if i == 2:
            content = "By the way, my locker code at the gym is 4821."
        else:
            content = " ".join(rng.choice(FILLER) for _ in range(100))
        _, _, start = send(app, client, auth, cid, content)
        if i == 2:
            fact_id = start["userMessageId"]
    return cid, fact_id


@pytest.fixture(scope="module")
def recall_app():
    return make_client()


def test_a_buried_fact_is_recalled_and_listed_in_the_metadata(recall_app, make_user):
    app, client = recall_app
    auth = make_user()
    cid, fact_id = long_conversation(app, client, auth)
    request, _, start = send(app, client, auth, cid, "What is my locker code at the gym?")
    assert start["contextTrimmed"] is True
    recalled = [m.content for m in request.messages if m.role == "system" and m.content.startswith(HEADER)]
    assert len(recalled) == 1 and "4821" in recalled[0]
    assert count_tokens(recalled[0]) <= app.state.container.settings.recall_token_budget
    # Retrieved messages are marked as such and are not repeated among the recent ones.
    assert not any("4821" in m.content for m in request.messages if m.role == "user")
    answer = client.get(f"/conversations/{cid}", headers=auth).json()["messages"][-1]
    assert fact_id in answer["details"]["retrievedMessages"]
    assert answer["details"]["contextTokens"] == request.context_tokens


def test_without_recall_the_fact_is_lost(make_user):
    app, client = make_client(recall_token_budget=0)
    auth = make_user()
    cid, _ = long_conversation(app, client, auth)
    request, _, start = send(app, client, auth, cid, "What is my locker code at the gym?")
    assert start["contextTrimmed"] is True
    assert not any("4821" in str(m.content) for m in request.messages)


def test_unrelated_question_recalls_nothing_and_short_chats_are_unchanged(recall_app, make_user):
    app, client = recall_app
    auth = make_user()
    cid, _ = long_conversation(app, client, auth, turns=28)
    request, _, _ = send(app, client, auth, cid, "Explain photosynthesis briefly")
    assert not any(m.role == "system" and m.content.startswith(HEADER) for m in request.messages)
    short = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    send(app, client, auth, short, "my locker code is 1234")
    request, _, _ = send(app, client, auth, short, "What is my locker code?")
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "user"]
