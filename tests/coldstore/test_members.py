"""Members of a cold conversation reach it exactly as its owner does; nobody else does."""

from __future__ import annotations

import uuid

from parley.coldstore.archiver import ARCHIVED
from tests.coldstore.helpers import headers_for, seed, snapshot_api
from tests.support import parse_sse


def _member(cold, s, role: str) -> tuple[str, dict[str, str]]:
    uid = f"member-{uuid.uuid4().hex[:10]}"
    r = cold.client.post(f"/conversations/{s.conversation_id}/members", json={"userId": uid, "role": role},
                         headers=s.headers)
    assert r.status_code == 201, r.text
    return uid, headers_for(uid)


def _listed(cold, headers, **params) -> list[tuple[str, str, bool]]:
    r = cold.client.get("/conversations", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return [(c["conversationId"], c["role"], c["cold"]) for c in r.json()["conversations"]]


def test_a_viewer_reads_a_cold_conversation_which_restores_it(cold):
    s = seed(cold)
    viewer_id, viewer = _member(cold, s, "viewer")
    detail_before, tree_before = snapshot_api(cold, s)
    assert cold.archive(s.conversation_id) == ARCHIVED

    # Listed while cold (without restoring it), in both of the member's lists.
    assert _listed(cold, viewer) == [(s.conversation_id, "viewer", True)]
    assert _listed(cold, viewer, shared="true") == [(s.conversation_id, "viewer", True)]
    members = cold.client.get(f"/conversations/{s.conversation_id}/members", headers=viewer)
    assert members.status_code == 200, members.text
    assert [m["userId"] for m in members.json()["members"]] == [s.user_id, viewer_id]
    assert cold.object_exists(s.user_id, s.conversation_id)

    detail = cold.client.get(f"/conversations/{s.conversation_id}", headers=viewer)
    assert detail.status_code == 200, detail.text
    assert detail.json()["role"] == "viewer" and detail.json()["ownerId"] == s.user_id
    assert detail.json()["messages"] == detail_before["messages"]
    tree = cold.client.get(f"/conversations/{s.conversation_id}/messages", headers=viewer)
    assert tree.status_code == 200 and tree.json() == tree_before
    # Restored for everyone, once: the owner's view is what it was.
    assert not cold.object_exists(s.user_id, s.conversation_id)
    assert snapshot_api(cold, s) == (detail_before, tree_before)


def test_a_participant_sends_to_a_cold_conversation(cold):
    s = seed(cold, big=False)
    member_id, member = _member(cold, s, "participant")
    cold.archive(s.conversation_id)

    r = cold.client.post(f"/conversations/{s.conversation_id}/messages", json={"content": "and on day three?"},
                         headers=member)
    assert r.status_code == 200, r.text
    events, _ = parse_sse(r.text)
    assert events[-1].name == "message_end", events[-1]
    messages = cold.client.get(f"/conversations/{s.conversation_id}", headers=s.headers).json()["messages"]
    assert [m["messageId"] for m in messages[:-2]] == s.message_ids
    assert [(m["role"], m["authorId"]) for m in messages[-2:]] == [("user", member_id), ("assistant", member_id)]
    assert not cold.object_exists(s.user_id, s.conversation_id)


def test_strangers_and_removed_members_still_get_404(cold):
    s = seed(cold, big=False)
    gone_id, gone = _member(cold, s, "participant")
    cold.client.delete(f"/conversations/{s.conversation_id}/members/{gone_id}", headers=s.headers)
    later_id, later = _member(cold, s, "viewer")
    stranger = headers_for(f"stranger-{uuid.uuid4().hex[:10]}")
    cold.archive(s.conversation_id)
    # Removed while cold: the owner manages members without restoring it...
    r = cold.client.delete(f"/conversations/{s.conversation_id}/members/{later_id}", headers=s.headers)
    assert r.status_code == 204, r.text
    assert cold.object_exists(s.user_id, s.conversation_id)

    for headers in (stranger, gone, later):
        for path in ("", "/messages", "/members"):
            r = cold.client.get(f"/conversations/{s.conversation_id}{path}", headers=headers)
            assert r.status_code == 404, (path, r.text)
        r = cold.client.post(f"/conversations/{s.conversation_id}/messages", json={"content": "hi"}, headers=headers)
        assert r.status_code == 404, r.text
        assert _listed(cold, headers) == []
    # ...nobody of them restored it, and the restore (by the owner) brings no removed member back.
    assert cold.object_exists(s.user_id, s.conversation_id)
    snapshot_api(cold, s)
    assert not cold.object_exists(s.user_id, s.conversation_id)
    for headers in (gone, later):
        assert cold.client.get(f"/conversations/{s.conversation_id}", headers=headers).status_code == 404
    members = cold.client.get(f"/conversations/{s.conversation_id}/members", headers=s.headers).json()["members"]
    assert [m["userId"] for m in members] == [s.user_id]


def test_a_member_added_while_cold_reads_it(cold):
    s = seed(cold, big=False)
    cold.archive(s.conversation_id)
    _, member = _member(cold, s, "viewer")
    assert cold.object_exists(s.user_id, s.conversation_id)
    detail = cold.client.get(f"/conversations/{s.conversation_id}", headers=member)
    assert detail.status_code == 200, detail.text
    assert [m["messageId"] for m in detail.json()["messages"]] == s.message_ids
