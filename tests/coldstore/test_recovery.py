"""A crash at any step loses nothing: the data stays readable, and the next run (or access)
completes or undoes the half-done move."""

from __future__ import annotations

import pytest

from parley.coldstore.archiver import ARCHIVED, BUSY, CHANGED, CLEANED, RESTORED
from parley.coldstore.config import ColdStoreConfig
from parley.coldstore.stub import without_control
from parley.errors import ServiceUnavailable
from parley.ids import now_ms
from tests.coldstore.helpers import SimulatedCrash, backdate, raw_items, seed, snapshot_api

STALE_ARCHIVE_MS = int(ColdStoreConfig().archive_stale_after_s * 1000) + 1000
STALE_RESTORE_MS = int(ColdStoreConfig().restore_stale_after_s * 1000) + 1000

ARCHIVE_STEPS = ["archive.marked", "archive.written", "archive.verified", "archive.flipped", "archive.deleting"]
RESTORE_STEPS = ["restore.claimed", "restore.put", "restore.flipped", "restore.object_deleted"]


def crash_archive(cold, s, step: str) -> int:
    """Archive until ``step`` crashes it; returns the run's time.

    The conversation is backdated rather than the run set in the future, so that a run of the job
    finds this conversation and not every other test's.
    """
    cold.faults.at(step)
    now = now_ms()
    with pytest.raises(SimulatedCrash):
        cold.store.archive(s.conversation_id, now=now)
    return now


def assert_whole(cold, s, expected) -> None:
    detail, tree = snapshot_api(cold, s)
    assert (detail, tree) == expected


@pytest.mark.parametrize("step", ARCHIVE_STEPS)
def test_rerunning_the_job_completes_or_undoes_a_crashed_archive(cold, step):
    s = seed(cold, turns=55)  # 112 messages: the deletes need two transactions
    backdate(cold, s.conversation_id, 45)
    expected = snapshot_api(cold, s)
    items = raw_items(cold, s.conversation_id)
    crashed_at = crash_archive(cold, s, step)

    # Work in progress is left alone until it is stale...
    assert cold.store.archive(s.conversation_id, now=crashed_at + 1000) == BUSY
    # ...then the job finishes it (a crash before the flip is undone and the move redone).
    assert cold.store.archive(s.conversation_id, now=crashed_at + STALE_ARCHIVE_MS) == ARCHIVED

    stub = cold.stub(s.conversation_id)
    assert stub["cold"] == {"BOOL": True} and "cold_state" not in stub
    assert [i["sk"]["S"] for i in cold.partition(s.conversation_id)] == ["C"]
    assert cold.object_exists(s.user_id, s.conversation_id)
    assert_whole(cold, s, expected)
    assert raw_items(cold, s.conversation_id) == items
    assert not cold.object_exists(s.user_id, s.conversation_id)


@pytest.mark.parametrize("step", ARCHIVE_STEPS)
def test_a_crashed_archive_is_still_readable_and_the_job_tidies_up(cold, step):
    s = seed(cold, turns=55)
    backdate(cold, s.conversation_id, 45)
    expected = snapshot_api(cold, s)
    items = raw_items(cold, s.conversation_id)
    crashed_at = crash_archive(cold, s, step)

    # A reader between the crash and the next run sees the whole conversation.
    assert_whole(cold, s, expected)
    assert raw_items(cold, s.conversation_id).keys() == items.keys()

    report = cold.store.run(now=crashed_at + STALE_ARCHIVE_MS)
    assert report.outcomes["error"] == 0
    stub = cold.stub(s.conversation_id)
    assert "cold_state" not in stub and "cold_token" not in stub
    if stub.get("cold"):
        assert cold.object_exists(s.user_id, s.conversation_id)
    assert_whole(cold, s, expected)
    assert raw_items(cold, s.conversation_id) == items
    assert not cold.object_exists(s.user_id, s.conversation_id)


def test_a_run_through_the_job_repairs_crashes_it_finds(cold):
    s = seed(cold, turns=2, branch=False)
    backdate(cold, s.conversation_id, 45)
    expected = snapshot_api(cold, s)
    cold.faults.at("archive.flipped")
    with pytest.raises(SimulatedCrash):
        cold.store.run()
    report = cold.store.run(now=now_ms() + STALE_ARCHIVE_MS)
    assert report.outcomes[ARCHIVED] >= 1
    assert [i["sk"]["S"] for i in cold.partition(s.conversation_id)] == ["C"]
    assert_whole(cold, s, expected)


def _crash_restore(cold, s, step: str) -> None:
    cold.archive(s.conversation_id)
    cold.faults.at(step)
    with pytest.raises(SimulatedCrash):
        cold.container.conversations.read(s.user_id, s.conversation_id)


@pytest.mark.parametrize("step", RESTORE_STEPS)
def test_the_next_access_finishes_a_crashed_restore(cold, step):
    s = seed(cold)
    expected = snapshot_api(cold, s)
    items = raw_items(cold, s.conversation_id)
    _crash_restore(cold, s, step)
    cold.clock.offset_ms = STALE_RESTORE_MS  # the crashed claim is now stale
    assert_whole(cold, s, expected)
    after = raw_items(cold, s.conversation_id)
    assert {k: without_control(v) for k, v in after.items()} == items
    stub = cold.stub(s.conversation_id)
    assert "cold" not in stub
    if step in ("restore.flipped", "restore.object_deleted"):
        # Hot already; only the archive's deletion was left, which the job's next run finishes.
        assert stub["cold_state"] == {"S": "cleanup"}
        cold.store.run(now=now_ms() + STALE_RESTORE_MS)
        assert raw_items(cold, s.conversation_id) == items
    assert not cold.object_exists(s.user_id, s.conversation_id)


@pytest.mark.parametrize("step", RESTORE_STEPS)
def test_the_job_finishes_a_crashed_restore(cold, step):
    s = seed(cold)
    expected = snapshot_api(cold, s)
    items = raw_items(cold, s.conversation_id)
    _crash_restore(cold, s, step)
    later = now_ms() + STALE_RESTORE_MS
    cold.clock.offset_ms = STALE_RESTORE_MS
    assert cold.store.archive(s.conversation_id, now=later) in (RESTORED, CLEANED)
    stub = cold.stub(s.conversation_id)
    assert "cold" not in stub and "cold_state" not in stub
    assert not cold.object_exists(s.user_id, s.conversation_id)
    assert raw_items(cold, s.conversation_id) == items
    assert_whole(cold, s, expected)


def test_an_access_during_a_fresh_restore_waits_then_answers_503(cold):
    s = seed(cold, turns=1)
    _crash_restore(cold, s, "restore.claimed")  # a claim that looks alive (not stale)
    with pytest.raises(ServiceUnavailable):
        cold.container.conversations.read(s.user_id, s.conversation_id)
    r = cold.client.get(f"/conversations/{s.conversation_id}", headers=s.headers)
    assert r.status_code == 503 and r.json()["retryable"] is True


def test_a_send_during_archiving_wins(cold):
    s = seed(cold, turns=2, big=False)

    def send() -> None:
        r = cold.client.post(f"/conversations/{s.conversation_id}/messages", json={"content": "Still there?"},
                             headers=s.headers)
        assert r.status_code == 200

    cold.faults.at("archive.verified", action=send)
    assert cold.archive(s.conversation_id) == CHANGED
    stub = cold.stub(s.conversation_id)
    assert "cold" not in stub and "cold_state" not in stub
    assert not cold.object_exists(s.user_id, s.conversation_id)
    detail, _ = snapshot_api(cold, s)
    assert detail["messages"][-2]["content"] == "Still there?"
    assert len(detail["messages"]) == 6


def test_a_branch_switch_during_archiving_wins(cold):
    s = seed(cold)

    def switch() -> None:
        r = cold.client.patch(f"/conversations/{s.conversation_id}",
                              json={"currentMessageId": s.other_branch_ids[-1]}, headers=s.headers)
        assert r.status_code == 200

    cold.faults.at("archive.verified", action=switch)
    assert cold.archive(s.conversation_id) == CHANGED
    detail, _ = snapshot_api(cold, s)
    assert detail["currentMessageId"] == s.other_branch_ids[-1]
    assert not cold.object_exists(s.user_id, s.conversation_id)


def test_a_rename_during_archiving_is_kept(cold):
    s = seed(cold)

    def rename() -> None:
        assert cold.client.patch(f"/conversations/{s.conversation_id}", json={"title": "Renamed meanwhile"},
                                 headers=s.headers).status_code == 200

    cold.faults.at("archive.written", action=rename)
    assert cold.archive(s.conversation_id) == ARCHIVED
    assert cold.stub(s.conversation_id)["title"] == {"S": "Renamed meanwhile"}
    detail, _ = snapshot_api(cold, s)
    assert detail["title"] == "Renamed meanwhile"


def test_a_read_while_items_are_deleted_restores_and_stops_the_archiver(cold):
    s = seed(cold, turns=55)
    expected = snapshot_api(cold, s)
    items = raw_items(cold, s.conversation_id)
    seen: list[int] = []

    def read() -> None:
        seen.append(len(cold.partition(s.conversation_id)))
        assert snapshot_api(cold, s) == expected

    cold.faults.at("archive.deleting", nth=1, action=read)
    assert cold.archive(s.conversation_id) == RESTORED
    assert seen and seen[0] < len(items)  # the first transaction had deleted part of it
    assert raw_items(cold, s.conversation_id) == items
    stub = cold.stub(s.conversation_id)
    assert "cold" not in stub and "cold_state" not in stub
    assert not cold.object_exists(s.user_id, s.conversation_id)


def test_a_corrupt_archive_is_never_used_silently(cold):
    s = seed(cold, turns=1)
    cold.archive(s.conversation_id)
    key = cold.store.object_key(s.user_id, s.conversation_id)
    cold.container.s3.put_object(Bucket=cold.settings.bucket_data, Key=key, Body=b"not gzip",
                                 ServerSideEncryption="AES256")
    r = cold.client.get(f"/conversations/{s.conversation_id}", headers=s.headers)
    assert r.status_code == 500 and r.json()["code"] == "cold_archive_error"
    assert cold.stub(s.conversation_id)["cold"] == {"BOOL": True}
