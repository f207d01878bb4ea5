"""Faults: DynamoDB throttling and transient errors, model failures, S3 unavailable.

Nothing is stored half-way, and no user message is ever lost: a turn is either refused cleanly
(503, retryable, nothing stored) or its user message is kept with whatever answer could be saved.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.settings import Settings
from tests.support import AwsFaults, ScriptedBackend, backend, parse_sse


@pytest.fixture(scope="module")
def fault_app():
    prefix = f"fault-{uuid.uuid4().hex[:6]}"
    return create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                               generate_titles=False, table_conversations=f"{prefix}-conversations",
                               table_usage=f"{prefix}-usage", bucket_data=f"{prefix}-data"))


@pytest.fixture
def c(fault_app):
    return TestClient(fault_app)


def new_conversation(c, auth) -> str:
    return c.post("/conversations", json={}, headers=auth).json()["conversationId"]


def tree(c, auth, cid):
    return c.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"]


def test_brief_throttling_is_retried_transparently(c, make_user):
    auth = make_user("plus")
    cid = new_conversation(c, auth)
    # A turn reads its conversation with one Query (the newest page of its items).
    with AwsFaults().add("Query", times=2).add("TransactWriteItems", times=1) as faults:
        r = c.post(f"/conversations/{cid}/messages", json={"content": "hello"}, headers=auth)
    assert r.status_code == 200 and parse_sse(r.text)[0][-1].name == "message_end"
    assert faults.hits.count("Query") == 2 and faults.hits.count("TransactWriteItems") == 1
    assert [m["role"] for m in tree(c, auth, cid)] == ["user", "assistant"]


def test_persistent_throttling_is_a_clean_503_and_stores_nothing(c, make_user):
    auth = make_user("plus")
    cid = new_conversation(c, auth)
    with AwsFaults().add("TransactWriteItems"):
        r = c.post(f"/conversations/{cid}/messages", json={"content": "hello"}, headers=auth)
    assert r.status_code == 503
    assert r.json()["retryable"] is True and r.headers["Retry-After"]
    assert tree(c, auth, cid) == []
    assert c.get("/usage", headers=auth).json()["requests"]["used"] == 0  # the admission was given back


def test_reads_under_throttling_answer_503(c, make_user):
    auth = make_user()
    cid = new_conversation(c, auth)
    with AwsFaults().add("Query", code="ProvisionedThroughputExceededException"):
        r = c.get(f"/conversations/{cid}", headers=auth)
    assert r.status_code == 503 and r.json()["code"] == "service_unavailable"


def test_saving_the_answer_retries_until_it_lands(fault_app, c, make_user):
    auth = make_user("plus")
    cid = new_conversation(c, auth)
    with backend(fault_app, ScriptedBackend(["the ", "answer"])):
        # The first transaction (the user message) goes through, then the save fails 6 times in a row.
        with AwsFaults().add("TransactWriteItems", skip=1, times=6, code="InternalServerError", status=500) as f:
            events, _ = parse_sse(c.post(f"/conversations/{cid}/messages", json={"content": "q"},
                                         headers=auth).text)
    assert f.hits.count("TransactWriteItems") == 6
    assert events[-1].name == "message_end"
    saved = tree(c, auth, cid)
    assert [m["content"] for m in saved] == ["q", "the answer"]


def test_model_unavailable_without_fallback_keeps_the_user_message(fault_app, c, make_user):
    auth = make_user("plus")
    cid = c.post("/conversations", json={"model": "parley-vision"}, headers=auth).json()["conversationId"]
    with backend(fault_app, ScriptedBackend(unavailable=True)):
        events, _ = parse_sse(c.post(f"/conversations/{cid}/messages", json={"content": "describe"},
                                     headers=auth).text)
    assert events[-1].name == "error" and events[-1].data["retryable"] is True
    saved = tree(c, auth, cid)
    assert saved[0]["content"] == "describe"
    assert saved[1]["finishReason"] == "error" and saved[1]["content"] == ""


def test_s3_unavailable_for_large_content_stores_nothing(c, make_user):
    auth = make_user("plus")
    cid = new_conversation(c, auth)
    big = "long text " * 5000  # 50 KB: goes to S3
    with AwsFaults().add("PUT s3", service="s3", code="ServiceUnavailable", status=503):
        r = c.post(f"/conversations/{cid}/messages", json={"content": big}, headers=auth)
    assert r.status_code == 503
    assert tree(c, auth, cid) == []
    r = c.post(f"/conversations/{cid}/messages", json={"content": big}, headers=auth)
    assert r.status_code == 200
    assert tree(c, auth, cid)[0]["content"] == big
