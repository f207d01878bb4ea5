"""Deleting a conversation deletes its archive too, whatever state the move is in."""

from __future__ import annotations

import pytest

from parley.coldstore.archiver import CHANGED, VERIFY_FAILED
from tests.coldstore.helpers import seed


def delete(cold, s):
    return cold.client.delete(f"/conversations/{s.conversation_id}", headers=s.headers)


def test_deleting_a_cold_conversation_deletes_its_archive(cold):
    s = seed(cold)
    cold.archive(s.conversation_id)
    assert cold.object_exists(s.user_id, s.conversation_id)
    assert delete(cold, s).status_code == 200
    assert not cold.object_exists(s.user_id, s.conversation_id)
    assert cold.partition(s.conversation_id) == []
    assert cold.client.get(f"/conversations/{s.conversation_id}", headers=s.headers).status_code == 404
    assert cold.client.get(f"/conversations/{s.conversation_id}/export", headers=s.headers).status_code == 404
    assert cold.client.get("/conversations", headers=s.headers).json()["conversations"] == []


@pytest.mark.parametrize(("step", "outcome"), [
    ("archive.marked", CHANGED),
    ("archive.written", VERIFY_FAILED),  # the delete took the fresh archive with it
    ("archive.verified", CHANGED),
    ("archive.flipped", CHANGED),  # deleted (archive first) after the flip: the mover removes its archive
    ("archive.deleting", CHANGED),
])
def test_deleting_during_archiving_leaves_nothing_behind(cold, step, outcome):
    # No summary item: the repository's own delete skips items without a pynamodb discriminator.
    s = seed(cold, turns=55, summary=False)
    cold.faults.at(step, action=lambda: delete(cold, s))
    assert cold.archive(s.conversation_id) == outcome
    assert not cold.object_exists(s.user_id, s.conversation_id)
    assert cold.partition(s.conversation_id) == []


@pytest.mark.parametrize("step", ["restore.claimed", "restore.put"])
def test_deleting_during_a_restore_leaves_nothing_behind(cold, step):
    s = seed(cold)
    cold.archive(s.conversation_id)
    cold.faults.at(step, action=lambda: cold.container.conversations.delete(s.user_id, s.conversation_id))
    r = cold.client.get(f"/conversations/{s.conversation_id}", headers=s.headers)
    assert r.status_code == 404
    assert cold.partition(s.conversation_id) == []
    assert not cold.object_exists(s.user_id, s.conversation_id)


def test_discard_is_idempotent(cold):
    s = seed(cold, turns=1)
    cold.store.discard(s.user_id, s.conversation_id)  # nothing there yet
    cold.archive(s.conversation_id)
    cold.store.discard(s.user_id, s.conversation_id)
    cold.store.discard(s.user_id, s.conversation_id)
    assert not cold.object_exists(s.user_id, s.conversation_id)
