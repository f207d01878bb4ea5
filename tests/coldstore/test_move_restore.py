"""Idle conversations move to S3 and come back, transparently, on first access."""

from __future__ import annotations

import gzip
import json

from parley.coldstore.archiver import ALREADY_COLD, ARCHIVED, GENERATING, NOT_IDLE
from parley.coldstore.codec import unpack
from parley.ids import new_id, now_ms
from tests.coldstore.helpers import DAY_MS, backdate, raw_items, seed, snapshot_api
from tests.support import parse_sse


def test_archive_moves_every_item_and_leaves_a_stub(cold):
    s = seed(cold)
    before = raw_items(cold, s.conversation_id)
    assert len(before) == 1 + 8 + 2  # conversation, 3 turns + a 2-message branch, two summaries

    assert cold.archive(s.conversation_id) == ARCHIVED

    left = cold.partition(s.conversation_id)
    assert [i["sk"]["S"] for i in left] == ["C"]
    stub = left[0]
    assert stub["cold"] == {"BOOL": True}
    assert stub["cold_key"]["S"] == f"cold/{s.user_id}/{s.conversation_id}.json.gz"
    assert "cold_state" not in stub and "cold_token" not in stub
    for kept in ("title", "preview", "updated_at", "model", "list_pk", "list_sk", "user_id", "kind"):
        assert stub[kept] == before[(s.conversation_id, "C")][kept]
    for shed in ("system_prompt", "current_message_id", "message_count", "total_cost_nusd"):
        assert shed not in stub

    obj = cold.container.s3.get_object(Bucket=cold.settings.bucket_data, Key=stub["cold_key"]["S"])
    assert obj["ServerSideEncryption"] == "AES256"
    archive = unpack(obj["Body"].read())
    assert archive.user_id == s.user_id
    assert {(i["pk"]["S"], i["sk"]["S"]): i for i in archive.items} == before
    assert obj["Metadata"]["sha256"] == archive.manifest.sha256


def test_object_is_gzipped_json_lines(cold):
    s = seed(cold, turns=1, branch=False, summary=False)
    cold.archive(s.conversation_id)
    key = cold.store.object_key(s.user_id, s.conversation_id)
    body = cold.container.s3.get_object(Bucket=cold.settings.bucket_data, Key=key)["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "parley.cold/1" and header["itemCount"] == len(lines) - 1 == 3


def test_cold_conversations_stay_listed(cold):
    s = seed(cold)
    listed_before = cold.client.get("/conversations", headers=s.headers).json()["conversations"]
    cold.archive(s.conversation_id)
    listed = cold.client.get("/conversations", headers=s.headers).json()["conversations"]
    assert len(listed) == 1
    assert listed[0]["cold"] is True
    assert {k: v for k, v in listed[0].items() if k != "cold"} == {
        k: v for k, v in listed_before[0].items() if k != "cold"}
    assert listed_before[0]["cold"] is False


def test_reading_restores_as_if_it_never_left(cold):
    s = seed(cold)
    detail_before, tree_before = snapshot_api(cold, s)
    items_before = raw_items(cold, s.conversation_id)
    cold.archive(s.conversation_id)

    detail, tree = snapshot_api(cold, s)

    assert detail == detail_before
    assert tree == tree_before
    _, _, summaries = cold.repo.load_all(s.user_id, s.conversation_id)
    assert [(x.through_message_id, x.text) for x in summaries] == [(s.message_ids[3], "They planned Lisbon.")]
    assert [m["messageId"] for m in detail["messages"]] == s.message_ids
    assert detail["systemPrompt"] == "Answer like a travel agent."
    assert len(detail["messages"][3]["content"]) > 4000  # the oversized answer, read through its S3 pointer
    # Every item is back byte for byte, the summary included; no trace of the move remains.
    assert raw_items(cold, s.conversation_id) == items_before
    assert not cold.object_exists(s.user_id, s.conversation_id)
    listed = cold.client.get("/conversations", headers=s.headers).json()["conversations"]
    assert listed[0]["cold"] is False


def test_sending_to_a_cold_conversation_restores_and_continues(cold):
    s = seed(cold, big=False)
    cold.archive(s.conversation_id)
    r = cold.client.post(f"/conversations/{s.conversation_id}/messages", json={"content": "And Porto?"},
                         headers=s.headers)
    assert r.status_code == 200, r.text
    events, _ = parse_sse(r.text)
    assert events[-1].name == "message_end", events[-1]
    start = next(e for e in events if e.name == "message_start").data
    detail, tree = snapshot_api(cold, s)
    ids = [m["messageId"] for m in detail["messages"]]
    assert ids == [*s.message_ids, start["userMessageId"], start["messageId"]]
    assert len(tree["messages"]) == 8 + 2
    assert cold.stub(s.conversation_id).get("cold") is None


def test_rename_and_archive_flag_work_on_a_stub_and_survive_restore(cold):
    s = seed(cold)
    cold.archive(s.conversation_id)
    assert cold.client.patch(f"/conversations/{s.conversation_id}", json={"title": "Lisbon, again"},
                             headers=s.headers).status_code == 200
    assert cold.client.patch(f"/conversations/{s.conversation_id}", json={"archived": True},
                             headers=s.headers).status_code == 200
    assert cold.stub(s.conversation_id)["cold"] == {"BOOL": True}  # still cold: neither needed the messages
    listed = cold.client.get("/conversations", params={"archived": True}, headers=s.headers).json()
    assert [(c["title"], c["cold"]) for c in listed["conversations"]] == [("Lisbon, again", True)]
    detail, _ = snapshot_api(cold, s)
    assert detail["title"] == "Lisbon, again" and detail["archived"] is True
    assert len(detail["messages"]) == 6


def test_only_idle_conversations_move(cold):
    s = seed(cold, turns=1)
    assert cold.archive(s.conversation_id, later_ms=29 * DAY_MS) == NOT_IDLE
    assert cold.archive(s.conversation_id) == ARCHIVED
    assert cold.archive(s.conversation_id) == ALREADY_COLD


def test_a_live_generation_keeps_it_hot(cold):
    s = seed(cold, turns=1, branch=False)
    backdate(cold, s.conversation_id, 40)
    mid = new_id()
    cold.ddb.put_item(TableName=cold.table, Item={
        "pk": {"S": s.conversation_id}, "sk": {"S": f"M#{mid}"}, "kind": {"S": "message"},
        "message_id": {"S": mid}, "role": {"S": "assistant"}, "status": {"S": "generating"},
        "created_at": {"N": str(now_ms() - 40 * DAY_MS)}, "checkpoint_at": {"N": str(now_ms())},
    })
    assert cold.store.archive(s.conversation_id) == GENERATING
    assert "cold_state" not in cold.stub(s.conversation_id)
    assert not cold.object_exists(s.user_id, s.conversation_id)


def test_run_archives_the_idle_ones_and_resumes_across_runs(cold):
    idle = [seed(cold, turns=1, branch=False, big=False) for _ in range(5)]
    fresh = seed(cold, turns=1, branch=False, big=False)
    for s in idle:
        backdate(cold, s.conversation_id, 45)
    small = cold.store.tuned(scan_page_size=3)
    reports = []
    for _ in range(50):
        reports.append(small.run(max_conversations=2))
        if reports[-1].complete:
            break
    assert reports[-1].complete
    assert len(reports) >= 3  # at most 2 per run
    assert sum(r.archived for r in reports) >= 5
    for s in idle:
        assert cold.stub(s.conversation_id)["cold"] == {"BOOL": True}
    assert "cold" not in cold.stub(fresh.conversation_id)
    # A complete pass forgets its position: the next run starts from the top.
    assert cold.store._ctx.objects.get(cold.store._sweep.cursor_key) is None
    detail, _ = snapshot_api(cold, idle[0])
    assert len(detail["messages"]) == 2
