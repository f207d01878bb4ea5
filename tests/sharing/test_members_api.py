"""Members of a shared conversation: roles enforced on every route, strangers see nothing."""

from __future__ import annotations

import concurrent.futures

from tests.sharing.helpers import add_member, create, new_user, send


def test_participant_reads_sends_and_is_charged(client, make_user):
    alice_id, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    cid = create(client, alice, title="Team plan")
    send(client, alice, cid, "alice asks")
    r = add_member(client, alice, cid, bob_id, "participant")
    assert r.status_code == 201, r.text
    assert r.json()["userId"] == bob_id and r.json()["role"] == "participant"

    detail = client.get(f"/conversations/{cid}", headers=bob)
    assert detail.status_code == 200 and detail.json()["role"] == "participant"
    assert detail.json()["ownerId"] == alice_id
    send(client, bob, cid, "bob asks")
    messages = client.get(f"/conversations/{cid}", headers=alice).json()["messages"]
    assert [(m["role"], m["authorId"]) for m in messages] == [
        ("user", alice_id), ("assistant", alice_id), ("user", bob_id), ("assistant", bob_id)]
    # charged to the sender, never to the owner
    assert client.get("/usage", headers=bob).json()["requests"]["used"] == 1
    assert client.get("/usage", headers=alice).json()["requests"]["used"] == 1

    shared = client.get("/conversations", params={"shared": "true"}, headers=bob).json()["conversations"]
    assert [(c["conversationId"], c["role"], c["title"]) for c in shared] == [(cid, "participant", "Team plan")]
    listed = client.get("/conversations", headers=bob).json()["conversations"]
    assert [(c["conversationId"], c["role"]) for c in listed] == [(cid, "participant")]
    assert client.get("/conversations", params={"shared": "false"}, headers=bob).json()["conversations"] == []
    own = client.get("/conversations", headers=alice).json()["conversations"]
    assert [c["role"] for c in own if c["conversationId"] == cid] == ["owner"]

    members = client.get(f"/conversations/{cid}/members", headers=bob).json()
    assert members["ownerId"] == alice_id
    assert [(m["userId"], m["role"]) for m in members["members"]] == [(alice_id, "owner"), (bob_id, "participant")]


def test_only_the_owner_manages(client, make_user):
    _, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    carol_id, _ = new_user(make_user)
    cid = create(client, alice, title="Owned")
    send(client, alice, cid, "hello")
    add_member(client, alice, cid, bob_id, "participant")
    for r in (
        client.patch(f"/conversations/{cid}", json={"title": "Bob's now"}, headers=bob),
        client.patch(f"/conversations/{cid}", json={"archived": True}, headers=bob),
        client.delete(f"/conversations/{cid}", headers=bob),
        add_member(client, bob, cid, carol_id, "viewer"),
        client.post(f"/conversations/{cid}/shares", json={}, headers=bob),
        client.get(f"/conversations/{cid}/shares", headers=bob),
    ):
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden_role"
    detail = client.get(f"/conversations/{cid}", headers=alice).json()
    assert detail["title"] == "Owned" and detail["archived"] is False
    assert len(client.get(f"/conversations/{cid}/members", headers=alice).json()["members"]) == 2


def test_viewer_reads_but_cannot_send(client, make_user):
    _, alice = new_user(make_user)
    vic_id, vic = new_user(make_user)
    cid = create(client, alice)
    events = send(client, alice, cid, "hello")
    answer_id = events[0].data["messageId"]
    add_member(client, alice, cid, vic_id, "viewer")
    assert client.get(f"/conversations/{cid}", headers=vic).status_code == 200
    assert client.get(f"/conversations/{cid}/messages", headers=vic).status_code == 200
    for r in (
        client.post(f"/conversations/{cid}/messages", json={"content": "let me in"}, headers=vic),
        client.post(f"/conversations/{cid}/messages/{answer_id}/regenerate", json={}, headers=vic),
        client.post(f"/conversations/{cid}/typing", headers=vic),
    ):
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden_role"
    assert len(client.get(f"/conversations/{cid}", headers=alice).json()["messages"]) == 2
    assert client.get("/usage", headers=vic).json()["requests"]["used"] == 0


def test_participant_regenerates_only_own_turns(client, make_user):
    _, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    cid = create(client, alice)
    alice_answer = send(client, alice, cid, "alice asks")[0].data["messageId"]
    add_member(client, alice, cid, bob_id, "participant")
    bob_answer = send(client, bob, cid, "bob asks")[0].data["messageId"]
    r = client.post(f"/conversations/{cid}/messages/{alice_answer}/regenerate", json={}, headers=bob)
    assert r.status_code == 403 and r.json()["code"] == "forbidden_role"
    assert client.post(f"/conversations/{cid}/messages/{bob_answer}/regenerate", json={},
                       headers=bob).status_code == 200


def test_strangers_get_404_everywhere(client, make_user):
    _, alice = new_user(make_user)
    _, mallory = new_user(make_user)
    cid = create(client, alice)
    answer = send(client, alice, cid, "hello")[0].data["messageId"]
    responses = [
        client.get(f"/conversations/{cid}", headers=mallory),
        client.get(f"/conversations/{cid}/messages", headers=mallory),
        client.post(f"/conversations/{cid}/messages", json={"content": "hi"}, headers=mallory),
        client.post(f"/conversations/{cid}/messages/{answer}/regenerate", json={}, headers=mallory),
        client.get(f"/conversations/{cid}/members", headers=mallory),
        add_member(client, mallory, cid, "someone-else", "viewer"),
        client.delete(f"/conversations/{cid}/members/someone-else", headers=mallory),
        client.post(f"/conversations/{cid}/typing", headers=mallory),
        client.get(f"/conversations/{cid}/live", headers=mallory),
        client.patch(f"/conversations/{cid}", json={"title": "x"}, headers=mallory),
        client.delete(f"/conversations/{cid}", headers=mallory),
    ]
    for r in responses:
        assert r.status_code == 404, (r.request.url, r.text)
        assert r.json()["code"] == "not_found"
    assert client.get(f"/conversations/{cid}", headers=alice).status_code == 200


def test_removed_member_and_leaving(client, make_user):
    _, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    carol_id, carol = new_user(make_user)
    cid = create(client, alice)
    add_member(client, alice, cid, bob_id, "participant")
    add_member(client, alice, cid, carol_id, "viewer")
    # a member removes only themself
    r = client.delete(f"/conversations/{cid}/members/{carol_id}", headers=bob)
    assert r.status_code == 403 and r.json()["code"] == "forbidden_role"
    assert client.delete(f"/conversations/{cid}/members/{carol_id}", headers=carol).status_code == 204
    assert client.get(f"/conversations/{cid}", headers=carol).status_code == 404
    assert client.delete(f"/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 204
    assert client.get(f"/conversations/{cid}", headers=bob).status_code == 404
    assert client.post(f"/conversations/{cid}/messages", json={"content": "x"}, headers=bob).status_code == 404
    assert client.get("/conversations", params={"shared": "true"}, headers=bob).json()["conversations"] == []
    assert client.delete(f"/conversations/{cid}/members/{bob_id}", headers=alice).status_code == 404


def test_bad_member_input_changes_nothing(client, make_user):
    alice_id, alice = new_user(make_user)
    bob_id, _ = new_user(make_user)
    _, mallory = new_user(make_user)
    cid = create(client, alice)
    assert add_member(client, alice, cid, bob_id, "participant").status_code == 201
    dup = add_member(client, alice, cid, bob_id, "viewer")
    assert dup.status_code == 409 and dup.json()["code"] == "already_member"
    own = add_member(client, alice, cid, alice_id, "viewer")
    assert own.status_code == 422 and own.json()["code"] == "cannot_add_owner"
    typo = add_member(client, alice, cid, "dave", "viewr")
    assert typo.status_code == 422 and typo.json()["code"] == "validation_error"
    bad_id = add_member(client, alice, cid, "no spaces/allowed", "viewer")
    assert bad_id.status_code == 422 and bad_id.json()["code"] == "invalid_user_id"
    assert client.post(f"/conversations/{cid}/members", json={"userId": 7, "role": "viewer"},
                       headers=alice).status_code == 422
    other = create(client, mallory)
    assert add_member(client, alice, other, bob_id, "viewer").status_code == 404
    members = client.get(f"/conversations/{cid}/members", headers=alice).json()["members"]
    assert [(m["userId"], m["role"]) for m in members] == [(alice_id, "owner"), (bob_id, "participant")]


def test_deleting_the_conversation_removes_members(client, make_user):
    _, alice = new_user(make_user)
    bob_id, bob = new_user(make_user)
    cid = create(client, alice)
    add_member(client, alice, cid, bob_id, "viewer")
    assert client.delete(f"/conversations/{cid}", headers=alice).status_code == 200
    assert client.get(f"/conversations/{cid}", headers=bob).status_code == 404
    assert client.get("/conversations", params={"shared": "true"}, headers=bob).json()["conversations"] == []


def test_concurrent_sends_by_members_land_in_one_order(client, make_user):
    _, alice = new_user(make_user)
    members = [new_user(make_user) for _ in range(3)]
    cid = create(client, alice)
    for uid, _ in members:
        add_member(client, alice, cid, uid, "participant")
    everyone = [alice] + [h for _, h in members]
    with concurrent.futures.ThreadPoolExecutor(len(everyone)) as pool:
        list(pool.map(lambda h: send(client, h, cid, "at the same time"), everyone))
    views = [client.get(f"/conversations/{cid}", headers=h).json()["messages"] for h in everyone]
    assert all(v == views[0] for v in views)
    branch = views[0]
    assert len(branch) == 2 * len(everyone)  # one chain: nobody's turn forked off or got lost
    assert len({m["authorId"] for m in branch if m["role"] == "user"}) == len(everyone)
    tree = client.get(f"/conversations/{cid}/messages", headers=alice).json()["messages"]
    assert len(tree) == len(branch)
