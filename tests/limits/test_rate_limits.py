"""Rate limits by tier: exact under concurrency, 429 with Retry-After, headers on every send."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from parley.auth import Identity
from parley.errors import RateLimited
from parley.limits.periods import periods_at
from tests.support import InFlight, LiveServer


def new_conversation(client, auth) -> str:
    return client.post("/conversations", json={}, headers=auth).json()["conversationId"]


def test_fifty_concurrent_admissions_against_ten(limits_app):
    ledger = limits_app.state.container.ledger
    who = Identity("concurrent-ledger-user", "free")

    def attempt(_):
        try:
            ledger.admit(who)
            return True
        except RateLimited:
            return False

    with InFlight() as wire, ThreadPoolExecutor(50) as pool:
        results = list(pool.map(attempt, range(50)))
    assert results.count(True) == 10
    # The admissions really raced: many conditional updates were at DynamoDB Local at once.
    assert wire.peak >= 5, wire.peak


def test_fifty_concurrent_sends_over_http_admit_exactly_ten(limits_app, make_user):
    auth = make_user("free")
    with LiveServer(limits_app) as server:
        cid = httpx.post(f"{server.url}/conversations", json={}, headers=auth).json()["conversationId"]

        def one(i):
            r = httpx.post(f"{server.url}/conversations/{cid}/messages", json={"content": f"q{i}"},
                           headers=auth, timeout=60)
            return r.status_code

        with InFlight() as wire, ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(one, range(50)))
        assert wire.peak >= 5, wire.peak  # no lock anywhere between the requests and DynamoDB
        assert statuses.count(200) == 10
        assert statuses.count(429) == 40
        tree = httpx.get(f"{server.url}/conversations/{cid}/messages", headers=auth).json()["messages"]
    assert len([m for m in tree if m["role"] == "user"]) == 10


def test_429_body_headers_and_nothing_stored(lclient, make_user):
    auth = make_user("free")
    cid = new_conversation(lclient, auth)
    for i in range(10):
        r = lclient.post(f"/conversations/{cid}/messages", json={"content": f"message {i}"}, headers=auth)
        assert r.status_code == 200
        assert r.headers["x-ratelimit-limit-requests"] == "10"
        assert r.headers["x-ratelimit-remaining-requests"] == str(9 - i)
        assert r.headers["x-ratelimit-reset-requests"].endswith("s")
    r = lclient.post(f"/conversations/{cid}/messages", json={"content": "one too many"}, headers=auth)
    assert r.status_code == 429
    body = r.json()
    assert body["code"] == "rate_limited" and body["retryable"] is True and body["message"]
    retry_after = int(r.headers["Retry-After"])
    expected = periods_at(time.time()).hour_ends - time.time()
    assert 1 <= retry_after <= expected + 2
    assert r.headers["x-ratelimit-remaining-requests"] == "0"
    contents = [m["content"] for m in lclient.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"]]
    assert "one too many" not in contents
    # regenerate counts as a send, so it is limited too
    last = lclient.get(f"/conversations/{cid}", headers=auth).json()["messages"][-1]
    r = lclient.post(f"/conversations/{cid}/messages/{last['messageId']}/regenerate", headers=auth)
    assert r.status_code == 429


def test_plus_tier_has_higher_limit(lclient, make_user):
    auth = make_user("plus")
    cid = new_conversation(lclient, auth)
    r = lclient.post(f"/conversations/{cid}/messages", json={"content": "hello"}, headers=auth)
    assert r.headers["x-ratelimit-limit-requests"] == "100"


def test_regenerate_counts_as_a_send(lclient, make_user):
    auth = make_user("free")
    cid = new_conversation(lclient, auth)
    lclient.post(f"/conversations/{cid}/messages", json={"content": "hello"}, headers=auth)
    last = lclient.get(f"/conversations/{cid}", headers=auth).json()["messages"][-1]
    r = lclient.post(f"/conversations/{cid}/messages/{last['messageId']}/regenerate", headers=auth)
    assert r.headers["x-ratelimit-remaining-requests"] == "8"


def test_rejected_send_gives_its_admission_back(lclient, make_user):
    auth = make_user("free")
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    for _ in range(12):
        r = lclient.post(f"/conversations/{missing}/messages", json={"content": "x"}, headers=auth)
        assert r.status_code == 404
    assert lclient.get("/usage", headers=auth).json()["requests"]["used"] == 0


def test_daily_token_limit(lclient, limits_app, make_user):
    auth = make_user("free")
    cid = new_conversation(lclient, auth)
    # ~6000 tokens of input passes the 5000-token daily limit after one turn
    r = lclient.post(f"/conversations/{cid}/messages", json={"content": "word " * 6000}, headers=auth)
    assert r.status_code == 200
    r = lclient.post(f"/conversations/{cid}/messages", json={"content": "again"}, headers=auth)
    assert r.status_code == 429
    assert "token" in r.json()["message"]
    assert 0 < int(r.headers["Retry-After"]) <= 86400 + 2
