"""The usage ledger and the spending cap."""

from __future__ import annotations

import pytest

from tests.support import parse_sse


def test_usage_arithmetic_matches_messages(lclient, make_user):
    auth = make_user("plus")
    cid = lclient.post("/conversations", json={"model": "parley-smart"}, headers=auth).json()["conversationId"]
    ends = []
    for i in range(3):
        events, _ = parse_sse(lclient.post(f"/conversations/{cid}/messages", json={"content": f"question {i}"},
                                           headers=auth).text)
        ends.append(events[-1].data)
    usage = lclient.get("/usage", headers=auth).json()
    assert usage["tier"] == "plus"
    assert usage["requests"]["used"] == 3 and usage["requests"]["remaining"] == 97
    assert usage["messagesToday"] == 3
    total_in = sum(e["tokensUsed"]["input"] for e in ends)
    total_out = sum(e["tokensUsed"]["output"] for e in ends)
    assert usage["tokens"]["input"] == total_in and usage["tokens"]["output"] == total_out
    assert usage["tokens"]["used"] == total_in + total_out
    assert usage["cost"]["monthToDate"] == pytest.approx(sum(e["cost"] for e in ends), abs=1e-9)
    assert usage["cost"]["currency"] == "USD"
    # cost from the catalog's prices
    spec = lclient.get("/models", headers=auth).json()["models"]
    smart = next(m for m in spec if m["id"] == "parley-smart")
    expected = ends[0]["tokensUsed"]["input"] / 1000 * smart["priceInPer1k"] + \
        ends[0]["tokensUsed"]["output"] / 1000 * smart["priceOutPer1k"]
    assert ends[0]["cost"] == pytest.approx(expected, rel=1e-6)
    detail = lclient.get(f"/conversations/{cid}", headers=auth).json()["usage"]
    assert detail["inputTokens"] == total_in and detail["outputTokens"] == total_out
    assert detail["cost"] == pytest.approx(usage["cost"]["monthToDate"], abs=1e-9)


def test_spending_cap_is_enforced_like_a_limit(lclient, make_user):
    auth = make_user("plus")
    cid = lclient.post("/conversations", json={}, headers=auth).json()["conversationId"]
    assert lclient.put("/usage/cap", json={"monthlyCapUsd": 0.0000001}, headers=auth).json() == {"success": True}
    assert lclient.get("/usage", headers=auth).json()["cost"]["cap"] == pytest.approx(0.0000001)
    r = lclient.post(f"/conversations/{cid}/messages", json={"content": "first"}, headers=auth)
    assert r.status_code == 429 and "cap of $0.0000001" in r.json()["message"]
    assert int(r.headers["Retry-After"]) >= 1
    lclient.put("/usage/cap", json={"monthlyCapUsd": None}, headers=auth)
    assert lclient.post(f"/conversations/{cid}/messages", json={"content": "third"}, headers=auth).status_code == 200
    assert lclient.put("/usage/cap", json={"monthlyCapUsd": -1}, headers=auth).status_code == 422


@pytest.mark.parametrize(("cap", "shown"), [(0, "$0.00"), (0.0001, "$0.0001")])
def test_a_cap_below_one_turn_refuses_the_first_send(lclient, make_user, cap, shown):
    auth = make_user("plus")
    cid = lclient.post("/conversations", json={}, headers=auth).json()["conversationId"]
    lclient.put("/usage/cap", json={"monthlyCapUsd": cap}, headers=auth)
    r = lclient.post(f"/conversations/{cid}/messages", json={"content": "hello"}, headers=auth)
    assert r.status_code == 429 and f"cap of {shown}" in r.json()["message"]
    completion = lclient.post("/v1/chat/completions", headers=auth,
                              json={"model": "auto", "messages": [{"role": "user", "content": "hello"}]})
    assert completion.status_code == 429
    usage = lclient.get("/usage", headers=auth).json()
    assert usage["requests"]["used"] == 0 and usage["cost"]["monthToDate"] == 0
    assert lclient.get(f"/conversations/{cid}", headers=auth).json()["messages"] == []


def test_a_send_is_refused_when_its_worst_case_would_pass_the_cap(lclient, make_user):
    auth = make_user("plus")
    cid = lclient.post("/conversations", json={"model": "parley-fast"}, headers=auth).json()["conversationId"]
    lclient.put("/usage/cap", json={"monthlyCapUsd": 1}, headers=auth)
    assert lclient.post(f"/conversations/{cid}/messages", json={"content": "one"}, headers=auth).status_code == 200
    spent = lclient.get("/usage", headers=auth).json()["cost"]["monthToDate"]
    assert 0 < spent < 0.01
    models = {m["id"]: m for m in lclient.get("/models", headers=auth).json()["models"]}
    # parley-fast may fall back to parley-smart: its whole output budget there is the worst case.
    worst_output = models["parley-fast"]["maxOutput"] / 1000 * models["parley-smart"]["priceOutPer1k"]
    lclient.put("/usage/cap", json={"monthlyCapUsd": spent + worst_output * 0.9}, headers=auth)
    r = lclient.post(f"/conversations/{cid}/messages", json={"content": "two"}, headers=auth)
    assert r.status_code == 429 and "could cost up to" in r.json()["message"]
    lclient.put("/usage/cap", json={"monthlyCapUsd": spent + worst_output * 2}, headers=auth)
    assert lclient.post(f"/conversations/{cid}/messages", json={"content": "two"}, headers=auth).status_code == 200


def test_usage_is_per_user(lclient, make_user):
    a, b = make_user(), make_user()
    cid = lclient.post("/conversations", json={}, headers=a).json()["conversationId"]
    lclient.post(f"/conversations/{cid}/messages", json={"content": "hi"}, headers=a)
    assert lclient.get("/usage", headers=b).json()["requests"]["used"] == 0
    assert lclient.get("/usage").status_code == 401
