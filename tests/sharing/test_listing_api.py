"""The default GET /conversations: the caller's own conversations merged with those shared with them."""

from __future__ import annotations

import pytest

from parley.conversations.cursor import encode_cursor
from parley.conversations.reads import TURN_READ_PAGE
from parley.ids import now_ms
from parley.sharing.members import MAX_MEMBERS
from tests.sharing.helpers import add_member, create, new_user, send


def pages(client, auth, limit: int, **params) -> tuple[list[dict], int]:
    seen: list[dict] = []
    cursor, count = None, 0
    while True:
        body = client.get("/conversations", params={"limit": limit, **params} | ({"cursor": cursor} if cursor else {}),
                          headers=auth).json()
        count += 1
        assert len(body["conversations"]) <= limit
        seen += body["conversations"]
        cursor = body.get("nextCursor")
        if not cursor:
            return seen, count
        assert count < 50, "paging does not end"


@pytest.fixture
def mixed(client, make_user):
    """bob owns four conversations; alice and carol share three with him, in between (oldest first)."""
    bob_id, bob = new_user(make_user)
    alice_id, alice = new_user(make_user)
    carol_id, carol = new_user(make_user)
    order: list[tuple[str, str]] = []
    for step in range(7):
        if step % 2 == 0:
            order.append((create(client, bob, title=f"bob {step}"), "owner"))
        else:
            owner = alice if step != 3 else carol
            cid = create(client, owner, title=f"shared {step}")
            role = "viewer" if step == 5 else "participant"
            assert add_member(client, owner, cid, bob_id, role).status_code == 201
            order.append((cid, role))
    return {"bob": bob, "bob_id": bob_id, "alice": alice, "alice_id": alice_id, "carol": carol,
            "expected": list(reversed(order))}


def test_own_and_shared_are_merged_newest_first_with_their_role(client, mixed):
    everything = client.get("/conversations", params={"limit": 100}, headers=mixed["bob"]).json()
    assert everything.get("nextCursor") is None
    assert [(c["conversationId"], c["role"]) for c in everything["conversations"]] == mixed["expected"]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 6, 7])
def test_paging_across_both_kinds_is_exact(client, mixed, limit):
    seen, count = pages(client, mixed["bob"], limit)
    assert [(c["conversationId"], c["role"]) for c in seen] == mixed["expected"]  # no duplicate, no gap
    assert count == -(-7 // limit)  # the last page carries no cursor


def test_shared_true_and_false_split_them(client, mixed):
    shared = client.get("/conversations", params={"shared": "true"}, headers=mixed["bob"]).json()["conversations"]
    own = client.get("/conversations", params={"shared": "false"}, headers=mixed["bob"]).json()["conversations"]
    assert [c["conversationId"] for c in shared] == [cid for cid, role in mixed["expected"] if role != "owner"]
    assert [c["conversationId"] for c in own] == [cid for cid, role in mixed["expected"] if role == "owner"]
    assert {c["role"] for c in own} == {"owner"}
    # the owner's own list is unchanged: her shared conversations are hers, listed once, as owner
    alice_list = client.get("/conversations", headers=mixed["alice"]).json()["conversations"]
    assert {c["role"] for c in alice_list} == {"owner"} and len(alice_list) == 2


def test_a_removed_member_loses_the_entry_at_once_even_mid_paging(client, mixed):
    bob = mixed["bob"]
    first = client.get("/conversations", params={"limit": 2}, headers=bob).json()
    assert [c["conversationId"] for c in first["conversations"]] == [cid for cid, _ in mixed["expected"][:2]]
    removed = mixed["expected"][3][0]  # shared by carol, on the next page
    assert mixed["expected"][3][1] == "participant"
    r = client.delete(f"/conversations/{removed}/members/{mixed['bob_id']}", headers=mixed["carol"])
    assert r.status_code == 204
    cursor, rest = first["nextCursor"], []
    while cursor:
        body = client.get("/conversations", params={"limit": 2, "cursor": cursor}, headers=bob).json()
        rest += [c["conversationId"] for c in body["conversations"]]
        cursor = body.get("nextCursor")
    assert rest == [cid for cid, _ in mixed["expected"][2:] if cid != removed]
    again = [c["conversationId"] for c in client.get("/conversations", headers=bob).json()["conversations"]]
    assert removed not in again and len(again) == 6


def test_a_deleted_shared_conversation_leaves_the_list(client, mixed):
    gone = next(cid for cid, role in mixed["expected"] if role == "viewer")
    assert client.delete(f"/conversations/{gone}", headers=mixed["alice"]).status_code == 200
    listed = [c["conversationId"] for c in client.get("/conversations", headers=mixed["bob"]).json()["conversations"]]
    assert gone not in listed and len(listed) == 6


def test_archived_handling_is_unchanged(client, mixed):
    bob = mixed["bob"]
    own = [cid for cid, role in mixed["expected"] if role == "owner"]
    assert client.patch(f"/conversations/{own[1]}", json={"archived": True}, headers=bob).status_code == 200
    listed = [c["conversationId"] for c in client.get("/conversations", headers=bob).json()["conversations"]]
    assert own[1] not in listed and len(listed) == 6
    archived = client.get("/conversations", params={"archived": "true"}, headers=bob).json()["conversations"]
    assert [(c["conversationId"], c["role"], c["archived"]) for c in archived] == [(own[1], "owner", True)]


def test_bad_cursors_are_400(client, mixed):
    bob = mixed["bob"]
    own_cursor = client.get("/conversations", params={"limit": 1, "shared": "false"}, headers=bob).json()["nextCursor"]
    for cursor in ("!!not-a-cursor", own_cursor, encode_cursor(["all", "nope"]), encode_cursor(["all"]),
                   encode_cursor(["other", "000000000000001#01ARZ3NDEKTSV4RRFFQ69G5FAV"])):
        r = client.get("/conversations", params={"cursor": cursor}, headers=bob)
        assert r.status_code == 400, cursor
        assert r.json()["code"] == "invalid_cursor" and r.json()["message"]
    # and a merged cursor is no cursor for the shared-only list
    merged = client.get("/conversations", params={"limit": 1}, headers=bob).json()["nextCursor"]
    r = client.get("/conversations", params={"cursor": merged, "shared": "true"}, headers=bob)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"


def _ids(client, auth, **params) -> list[str]:
    body = client.get("/conversations", params={"limit": 100, **params}, headers=auth).json()
    return [c["conversationId"] for c in body["conversations"]]


def test_a_shared_conversation_moves_with_its_activity(client, mixed):
    bob = mixed["bob"]
    expected = [cid for cid, _ in mixed["expected"]]
    oldest_shared = next(cid for cid, role in reversed(mixed["expected"]) if role != "owner")  # alice's
    send(client, mixed["alice"], oldest_shared, "the owner writes")
    assert _ids(client, bob) == [oldest_shared] + [c for c in expected if c != oldest_shared]
    # a member's own send moves it for every member (here bob), and the owner's entry with it
    carols = mixed["expected"][3][0]
    send(client, bob, carols, "bob writes")
    assert _ids(client, bob)[:2] == [carols, oldest_shared]
    assert _ids(client, mixed["carol"])[0] == carols
    assert _ids(client, bob, shared="true")[:2] == [carols, oldest_shared]
    listed = client.get("/conversations", params={"limit": 1}, headers=bob).json()["conversations"][0]
    assert listed["role"] == "participant" and "bob writes" in listed["preview"]


def test_activity_between_pages_moves_entries_out_of_the_pages_still_to_come(client, mixed):
    """What a reader paging through sees when conversations get messages meanwhile: an entry that
    moves up (above the cursor) is not shown again on the later pages (no duplicate), and one that
    moves up from a later page is not shown there either (it heads a fresh first page); every
    other entry still comes exactly once, in order (no gap)."""
    bob = mixed["bob"]
    expected = [cid for cid, _ in mixed["expected"]]
    first = client.get("/conversations", params={"limit": 2}, headers=bob).json()
    assert [c["conversationId"] for c in first["conversations"]] == expected[:2]
    seen_shared = expected[1]  # shared, already on page one
    later_shared = next(cid for cid, role in mixed["expected"][4:] if role != "owner")  # on a later page
    later_own = expected[-1]
    send(client, mixed["alice"], seen_shared, "again")
    send(client, mixed["alice"], later_shared, "moving up")
    send(client, bob, later_own, "and mine")
    cursor, rest = first["nextCursor"], []
    while cursor:
        body = client.get("/conversations", params={"limit": 2, "cursor": cursor}, headers=bob).json()
        rest += [c["conversationId"] for c in body["conversations"]]
        cursor = body.get("nextCursor")
    assert rest == [c for c in expected[2:] if c not in (later_shared, later_own)]
    assert _ids(client, bob)[:3] == [later_own, later_shared, seen_shared]


def test_moving_entries_never_brings_back_a_removed_member(client, mixed):
    """The turn moves the entries of the members it read; one removed meanwhile stays removed."""
    repo = client.app.state.container.conversations_repo
    cid = mixed["expected"][1][0]
    r = client.delete(f"/conversations/{cid}/members/{mixed['bob_id']}", headers=mixed["alice"])
    assert r.status_code == 204
    repo.move_member_entries(mixed["alice_id"], cid, [mixed["bob_id"]], at=now_ms())
    assert cid not in _ids(client, mixed["bob"])
    assert client.get(f"/conversations/{cid}", headers=mixed["bob"]).status_code == 404
    members = client.get(f"/conversations/{cid}/members", headers=mixed["alice"]).json()["members"]
    assert [m["userId"] for m in members] == [mixed["alice_id"]]


def test_a_turns_first_read_holds_every_member():
    """The turn learns whose entries to move from its first page read newest first, where the
    member items (``U#``, sorting last) come first: a conversation's members must fit in it."""
    assert MAX_MEMBERS < TURN_READ_PAGE
