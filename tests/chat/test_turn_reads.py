"""A turn reads the branch it continues, newest first, as far back as a context window reaches: not the
whole conversation (issue 21)."""

from __future__ import annotations

from contextlib import contextmanager

import botocore.client
from fastapi.testclient import TestClient

from parley.conversations.repository import TURN_READ_PAGE
from tests.support import parse_sse
from tests.workflows.test_summaries import make_app, send, small_window_catalog

LONG = "Facts about the project, line after line, all kept for later. " * 75  # ~900 tokens: 4 fill the window


@contextmanager
def api_calls():
    """Every AWS call made meanwhile: (operation, its parameters, its response)."""
    calls: list[tuple[str, dict, dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation_name, api_params):
        response = original(client, operation_name, api_params)
        calls.append((operation_name, api_params, response))
        return response

    botocore.client.BaseClient._make_api_call = recording
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original


def items_queried(calls: list[tuple[str, dict, dict]]) -> list[int]:
    """Items returned by each Query of the conversations table."""
    return [len(response.get("Items", [])) for name, params, response in calls
            if name == "Query" and params.get("TableName", "").endswith("-conversations")]


def test_a_long_conversation_is_not_read_whole_for_a_turn(make_user):
    app = make_app(small_window_catalog(window=4000), generate_titles=False)
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    turns = TURN_READ_PAGE // 2 + 5  # more messages than one page holds
    ends = [send(client, auth, cid, f"Item {i}: {LONG}") for i in range(turns)]
    # A summary an earlier answer started reads the whole conversation: under load it could still be
    # reading when the measured turn starts, and its Query would be counted as the turn's.
    app.state.container.workflows.wait()
    with api_calls() as calls:
        events = send(client, auth, cid, "What is the next item on the list?")
    counts = items_queried(calls)
    assert events[0].data["contextTrimmed"] or events[0].data["summaryUsed"]
    assert events[-1].name == "message_end"
    # The turn's own read: one page, newest first, covered the window (a summary the answer triggers
    # may read the whole conversation afterwards, off the hot path).
    assert counts[0] == TURN_READ_PAGE < 2 * turns

    # Regenerating an old answer reads back until it finds it, and answers on that branch.
    old = ends[1][-1].data["messageId"]
    r = client.post(f"/conversations/{cid}/messages/{old}/regenerate", json={}, headers=auth)
    assert r.status_code == 200
    events = parse_sse(r.text)[0]
    assert events[-1].name == "message_end"
    assert events[0].data["parentMessageId"] == ends[1][0].data["userMessageId"]


def test_a_short_conversation_is_read_in_one_call(make_user):
    client = TestClient(make_app(small_window_catalog(window=4000), generate_titles=False))
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    for i in range(3):
        send(client, auth, cid, f"Item {i}")
    with api_calls() as recorded:
        events = send(client, auth, cid, "And the next one?")
    counts, calls = items_queried(recorded), [name for name, _, _ in recorded]
    assert events[-1].name == "message_end"
    assert counts == [7]  # the conversation item and its six messages, in one Query
    # The hot path's budget: admission, that Query, the cache lookup, the turn's write.
    before_first_token = calls[: calls.index("TransactWriteItems") + 1]
    assert len(before_first_token) <= 4, calls

