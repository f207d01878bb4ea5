"""A turn reads the branch it continues, newest first, as far back as a context window reaches: not the
whole conversation (issue 21)."""

from __future__ import annotations

from contextlib import contextmanager

import botocore.client
from fastapi.testclient import TestClient

from tests.support import parse_sse
from tests.workflows.test_summaries import make_app, send, small_window_catalog

LONG = "Facts about the project, line after line, all kept for later. " * 75  # ~900 tokens: 4 fill the window


@contextmanager
def items_queried():
    counts: list[int] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(client, operation_name, api_params):
        response = original(client, operation_name, api_params)
        if operation_name == "Query" and api_params.get("TableName", "").endswith("-conversations"):
            counts.append(len(response.get("Items", [])))
        return response

    botocore.client.BaseClient._make_api_call = counting
    try:
        yield counts
    finally:
        botocore.client.BaseClient._make_api_call = original


def test_a_long_conversation_is_not_read_whole_for_a_turn(make_user):
    client = TestClient(make_app(small_window_catalog(window=4000), generate_titles=False))
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    ends = [send(client, auth, cid, f"Item {i}: {LONG}") for i in range(26)]  # 52 messages
    with items_queried() as counts:
        events = send(client, auth, cid, "What is the next item on the list?")
    assert events[0].data["contextTrimmed"] or events[0].data["summaryUsed"]
    assert events[-1].name == "message_end"
    assert sum(counts) < 52  # one page, newest first, covered the window

    # Regenerating an old answer reads back until it finds it, and answers on that branch.
    old = ends[1][-1].data["messageId"]
    r = client.post(f"/conversations/{cid}/messages/{old}/regenerate", json={}, headers=auth)
    assert r.status_code == 200
    events = parse_sse(r.text)[0]
    assert events[-1].name == "message_end"
    assert events[0].data["parentMessageId"] == ends[1][0].data["userMessageId"]
