"""Long conversations: summaries by the workflow, context with summaries, titles, 128K tokens."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.catalog import load_catalog
from parley.container import build_container
from parley.inference.base import InferenceError
from parley.settings import Settings
from parley.tokens import count_tokens
from tests.support import parse_sse


def small_window_catalog(window: int = 4000, max_output: int = 300):
    catalog = load_catalog()
    models = tuple(m.model_copy(update={"context_window": window, "max_output": max_output}) for m in catalog.models)
    return catalog.model_copy(update={"models": models})


def make_app(catalog=None, **overrides):
    prefix = f"wf-{uuid.uuid4().hex[:6]}"
    options = dict(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                   table_conversations=f"{prefix}-conversations", summary_keep_recent=2)
    settings = Settings(**{**options, **overrides})
    return create_app(settings, container=build_container(settings, catalog=catalog) if catalog else None)


def send(client, auth, cid, content, **extra):
    r = client.post(f"/conversations/{cid}/messages", json={"content": content, **extra}, headers=auth)
    assert r.status_code == 200, r.text
    return parse_sse(r.text)[0]


class Recording:
    """Wraps the real backend and records every request's size."""

    def __init__(self, inner, fail_summaries: bool = False):
        self.inner = inner
        self.sizes: list[tuple[str, int]] = []
        self.fail_summaries = fail_summaries

    async def stream(self, spec, request):
        total = sum(count_tokens(m.content) + 4 for m in request.messages if isinstance(m.content, str))
        self.sizes.append((spec.id, total + request.params.max_tokens))
        if self.fail_summaries and request.messages[0].content.startswith("Summarize"):
            raise InferenceError("summarizer down", retryable=True)
        async for event in self.inner.stream(spec, request):
            yield event


def test_title_is_generated_after_the_first_exchange(make_user):
    app = make_app()
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    send(client, auth, cid, "How do I bake sourdough bread at home?")
    app.state.container.workflows.wait()
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == "How do I bake sourdough bread"


def test_title_never_overwrites_the_users(make_user):
    app = make_app()
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={"title": "Mine"}, headers=auth).json()["conversationId"]
    send(client, auth, cid, "Tell me about volcanoes")
    app.state.container.workflows.wait()
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == "Mine"
    # renamed after creation, before the title workflow ran
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    client.patch(f"/conversations/{cid}", json={"title": "Renamed"}, headers=auth)
    send(client, auth, cid, "Tell me about glaciers")
    app.state.container.workflows.wait()
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == "Renamed"


def test_summary_is_made_and_used_on_later_turns(make_user):
    app = make_app(small_window_catalog(), generate_titles=False)
    client = TestClient(app)
    auth = make_user("plus")
    registry = app.state.container.backends
    recorder = Recording(registry.backend_for(app.state.container.catalog.get("parley-fast")))
    registry.override("simulator", recorder)
    cid = client.post("/conversations", json={"model": "parley-fast"}, headers=auth).json()["conversationId"]
    starts = []
    for i in range(14):
        events = send(client, auth, cid, f"Point {i}: " + "the quick brown fox jumps " * 30)
        starts.append(events[0].data)
        app.state.container.workflows.wait()
    items = list(app.state.container.tables.item.query(cid))
    summaries = [i for i in items if i.sk.startswith("S#")]
    assert summaries, "a summary was stored"
    assert any(s["summaryUsed"] for s in starts[-4:])
    window = app.state.container.catalog.get("parley-fast").context_window
    assert all(size <= window for _, size in recorder.sizes)
    # every message is still readable in full
    messages = client.get(f"/conversations/{cid}", headers=auth).json()["messages"]
    assert len(messages) == 28
    assert messages[0]["content"].startswith("Point 0:")
    last = messages[-1]
    assert last["summaryUsed"] is True and last["details"]["summaryThrough"]


def test_summary_applies_to_every_branch_through_its_message(make_user):
    app = make_app(small_window_catalog(), generate_titles=False)
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={"model": "parley-fast"}, headers=auth).json()["conversationId"]
    for i in range(14):
        send(client, auth, cid, f"Point {i}: " + "lorem ipsum dolor sit amet " * 30)
        app.state.container.workflows.wait()
    messages = client.get(f"/conversations/{cid}", headers=auth).json()["messages"]
    through = messages[-1]["details"]["summaryThrough"]
    position = [m["messageId"] for m in messages].index(through)
    # branch from an answer after the summarized part: the summary still applies
    later = next(m for m in messages[position + 2:] if m["role"] == "assistant")
    events = send(client, auth, cid, "a new branch", parentMessageId=later["messageId"])
    assert events[0].data["summaryUsed"] is True
    # branch from before it: it does not
    events = send(client, auth, cid, "an early branch", parentMessageId=messages[1]["messageId"])
    assert events[0].data["summaryUsed"] is False


def test_summarizer_failure_never_blocks_chatting(make_user):
    app = make_app(small_window_catalog(), generate_titles=False)
    client = TestClient(app)
    auth = make_user("plus")
    registry = app.state.container.backends
    recorder = Recording(registry.backend_for(app.state.container.catalog.get("parley-fast")), fail_summaries=True)
    registry.override("simulator", recorder)
    # no waiting on retries with backoff in this test
    app.state.container.workflows._retry_scale = 0.0
    cid = client.post("/conversations", json={"model": "parley-fast"}, headers=auth).json()["conversationId"]
    for i in range(16):
        events = send(client, auth, cid, f"Item {i}: " + "alpha beta gamma delta " * 60)
        assert events[-1].name == "message_end"
        app.state.container.workflows.wait()
    assert not [i for i in app.state.container.tables.item.query(cid) if i.sk.startswith("S#")]
    assert events[0].data["contextTrimmed"] is True
    assert app.state.container.metrics.values["WorkflowFailed"]


@pytest.mark.timeout(600)
def test_conversation_past_128k_tokens(make_user):
    """No model request exceeds the window; a summary is made and used; every message stays readable."""
    app = make_app(generate_titles=False, max_message_chars=100_000)
    client = TestClient(app)
    auth = make_user("plus")
    registry = app.state.container.backends
    recorder = Recording(registry.backend_for(app.state.container.catalog.get("parley-fast")))
    registry.override("simulator", recorder)
    cid = client.post("/conversations", json={"model": "parley-fast"}, headers=auth).json()["conversationId"]
    block = "Facts about the project, line after line, all kept for later. " * 380  # ~4.6K tokens
    total_tokens, starts = 0, []
    for i in range(30):
        content = f"Part {i}. {block}"
        total_tokens += count_tokens(content)
        events = send(client, auth, cid, content)
        starts.append(events[0].data)
        app.state.container.workflows.wait(120)
    assert total_tokens > 128_000
    window = app.state.container.catalog.get("parley-fast").context_window
    assert max(size for _, size in recorder.sizes) <= window
    assert [i for i in app.state.container.tables.item.query(cid) if i.sk.startswith("S#")]
    assert starts[-1]["summaryUsed"] is True
    messages = client.get(f"/conversations/{cid}", headers=auth).json()["messages"]
    assert len(messages) == 60
    assert all(m["content"] == f"Part {i}. {block}" for i, m in enumerate(messages[::2]))


def test_title_is_ready_when_the_first_answer_ends_and_keeps_punctuation(make_user):
    # The answer streams for about a second; the title starts with the turn, so it is stored by then.
    app = make_app(sim_ttft_ms=50, sim_tokens_per_s=60, sim_reply_tokens_min=60, sim_reply_tokens_max=60)
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    events = send(client, auth, cid, "Hi! What's the best Rust book?")
    assert events[-1].name == "message_end"
    title = client.get(f"/conversations/{cid}", headers=auth).json()["title"]
    assert title == "What's the best Rust book"
    app.state.container.workflows.wait()
