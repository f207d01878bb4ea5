"""Concurrent first accesses to a cold conversation restore it once; all of them see all of it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.coldstore.helpers import raw_items, seed, snapshot_api


def test_concurrent_first_reads_restore_once(cold):
    s = seed(cold, turns=40)
    expected = snapshot_api(cold, s)
    items = raw_items(cold, s.conversation_id)
    cold.archive(s.conversation_id)
    key = cold.store.object_key(s.user_id, s.conversation_id)

    archive_reads: list[str] = []
    claims: list[str] = []

    def count_reads(params, **_):
        if params.get("Key") == key:
            archive_reads.append(threading.current_thread().name)

    def count_claims(params, **_):
        values = params.get("ExpressionAttributeValues") or {}
        if {"S": "restoring"} in values.values():
            claims.append(threading.current_thread().name)

    s3_events = cold.container.s3.meta.events
    ddb_events = cold.ddb.meta.events
    s3_events.register("before-parameter-build.s3.GetObject", count_reads)
    ddb_events.register("before-parameter-build.dynamodb.UpdateItem", count_claims)
    threads = 8
    barrier = threading.Barrier(threads)

    def read(_: int):
        barrier.wait()
        conversation, branch, tree = cold.container.conversations.read(s.user_id, s.conversation_id)
        return conversation.current_message_id, [m.message_id for m in branch], len(tree)

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(read, range(threads)))
    finally:
        s3_events.unregister("before-parameter-build.s3.GetObject", count_reads)
        ddb_events.unregister("before-parameter-build.dynamodb.UpdateItem", count_claims)

    assert len(archive_reads) == 1, archive_reads  # one restore read the archive
    assert len(claims) >= threads  # ...though every reader tried to claim it
    messages = sum(1 for _, sk in items if sk.startswith("M#"))
    assert all(r == (s.message_ids[-1], s.message_ids, messages) for r in results)
    assert raw_items(cold, s.conversation_id) == items
    assert snapshot_api(cold, s) == expected


def test_concurrent_sends_to_a_cold_conversation_all_land(cold):
    s = seed(cold, turns=2, big=False, branch=False)
    cold.archive(s.conversation_id)
    threads = 4
    barrier = threading.Barrier(threads)

    def send(i: int) -> int:
        barrier.wait()
        # A new root each: concurrent sends on one branch would race for the same parent.
        r = cold.client.post(f"/conversations/{s.conversation_id}/messages",
                             json={"content": f"question {i}", "parentMessageId": s.message_ids[-1]},
                             headers=s.headers)
        return r.status_code

    with ThreadPoolExecutor(max_workers=threads) as pool:
        codes = list(pool.map(send, range(threads)))
    assert codes == [200] * threads
    _, tree = snapshot_api(cold, s)
    contents = {m["content"] for m in tree["messages"]}
    assert {f"question {i}" for i in range(threads)} <= contents
    assert len(tree["messages"]) == 4 + 2 * threads
