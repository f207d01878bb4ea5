"""Temporary chats expire (TTL) rather than move to cold storage."""

from __future__ import annotations

from tests.coldstore.helpers import backdate, headers_for


def test_the_job_leaves_temporary_chats_to_their_expiry(cold):
    auth = headers_for("cold-temporary-user")
    ids = {}
    for kind in ("temporary", "ordinary"):
        r = cold.client.post("/conversations", json={"temporary": kind == "temporary"}, headers=auth)
        ids[kind] = r.json()["conversationId"]
        assert cold.client.post(f"/conversations/{ids[kind]}/messages", json={"content": "hello"},
                                headers=auth).status_code == 200
        backdate(cold, ids[kind], 45)
    for _ in range(20):
        if cold.store.run(max_conversations=100).complete:
            break
    assert "cold" not in cold.stub(ids["temporary"])
    assert cold.stub(ids["ordinary"])["cold"] == {"BOOL": True}
