"""Search covers the conversations shared with the caller, while they are a member, and no others."""

from __future__ import annotations

import uuid

from tests.search.test_search_api import new_conversation, results, say, search
from tests.sharing.helpers import add_member

SHAPE = {"conversationId", "messageId", "title", "role", "snippet", "createdAt"}


def _user(make_user) -> tuple[str, dict[str, str]]:
    uid = f"user-{uuid.uuid4().hex[:12]}"
    return uid, make_user(user_id=uid)


def test_members_of_any_role_find_a_shared_conversations_messages(app, client, make_user):
    _, alice = _user(make_user)
    bob_id, bob = _user(make_user)
    carol_id, carol = _user(make_user)
    cid = new_conversation(client, alice, title="Okapi expedition")
    say(app, client, alice, cid, "where do okapis live", answer="Okapis live in the Ituri rainforest.")
    assert add_member(client, alice, cid, bob_id, "participant").status_code == 201
    assert add_member(client, alice, cid, carol_id, "viewer").status_code == 201
    say(app, client, bob, cid, "bob asks about okapi stripes")

    owner_view = results(client, alice, "okapi")
    for member in (bob, carol):
        found = results(client, member, "okapi")
        assert all(set(r) == SHAPE for r in found)
        assert sorted((r["messageId"] or "", r["role"]) for r in found) == sorted(
            (r["messageId"] or "", r["role"]) for r in owner_view)
        assert {r["conversationId"] for r in found} == {cid}
        assert {r["title"] for r in found} == {"Okapi expedition"}
        assert [r["role"] for r in results(client, member, "rainforest")] == ["assistant"]
        assert [r["role"] for r in results(client, member, "expedition")] == ["title"]
    assert len(owner_view) == 4  # the title, alice's message and answer, bob's message (its answer: "Noted.")


def test_own_and_shared_hits_together_and_paging_walks_each_once(app, client, make_user):
    _, alice = _user(make_user)
    bob_id, bob = _user(make_user)
    shared = new_conversation(client, alice)
    for i in range(4):
        say(app, client, alice, shared, f"pangolin fact {i}")
    assert add_member(client, alice, shared, bob_id, "viewer").status_code == 201
    own = new_conversation(client, bob)
    for i in range(3):
        say(app, client, bob, own, f"pangolin note {i}")
    everything = results(client, bob, "pangolin", limit=50)
    assert len(everything) == 7
    assert {r["conversationId"] for r in everything} == {shared, own}
    seen, cursor, pages = [], None, 0
    while True:
        body = search(client, bob, "pangolin", limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [r["messageId"] for r in body["results"]]
        pages += 1
        cursor = body.get("nextCursor")
        if not cursor:
            break
    assert pages == 4 and sorted(seen) == sorted(r["messageId"] for r in everything)


def test_a_removed_member_stops_finding_it_at_once_and_strangers_never_do(app, client, make_user):
    alice_id, alice = _user(make_user)
    bob_id, bob = _user(make_user)
    carol_id, carol = _user(make_user)
    _, stranger = _user(make_user)
    cid = new_conversation(client, alice, title="Quokka plans")
    say(app, client, alice, cid, "quokka selfies on Rottnest")
    # another of alice's conversations, never shared: no member finds it
    private = new_conversation(client, alice, title="private quokka diary")
    say(app, client, alice, private, "my own quokka notes")
    assert add_member(client, alice, cid, bob_id, "participant").status_code == 201
    assert add_member(client, alice, cid, carol_id, "viewer").status_code == 201
    assert {r["conversationId"] for r in results(client, bob, "quokka")} == {cid}
    assert results(client, stranger, "quokka") == []

    assert client.delete(f"/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 204
    assert client.delete(f"/conversations/{cid}/members/{carol_id}", headers=carol).status_code == 204  # leaves
    for gone in (bob, carol):
        assert results(client, gone, "quokka") == []
        assert results(client, gone, "rottnest") == []
    assert {r["conversationId"] for r in results(client, alice, "quokka")} == {cid, private}


def test_a_deleted_shared_conversation_is_gone_for_members(app, client, make_user):
    _, alice = _user(make_user)
    bob_id, bob = _user(make_user)
    cid = new_conversation(client, alice)
    say(app, client, alice, cid, "tapir snorkelling")
    assert add_member(client, alice, cid, bob_id, "viewer").status_code == 201
    assert len(results(client, bob, "tapir")) == 1
    assert client.delete(f"/conversations/{cid}", headers=alice).status_code == 200
    assert results(client, bob, "tapir") == []
