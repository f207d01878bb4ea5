"""Branching: edit, regenerate, branch switching, children."""

from __future__ import annotations

from tests.support import ScriptedBackend, backend, parse_sse


def new_conversation(client, auth) -> str:
    return client.post("/conversations", json={}, headers=auth).json()["conversationId"]


def send(client, auth, cid, content, **extra):
    r = client.post(f"/conversations/{cid}/messages", json={"content": content, **extra}, headers=auth)
    assert r.status_code == 200, r.text
    return parse_sse(r.text)[0]


def branch(client, auth, cid):
    return client.get(f"/conversations/{cid}", headers=auth).json()["messages"]


def test_edit_creates_sibling_branch_and_switching_works(app, client, auth):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["answer"])):
        send(client, auth, cid, "first question")
        send(client, auth, cid, "second question")
        original = branch(client, auth, cid)
        assert [m["content"] for m in original] == ["first question", "answer", "second question", "answer"]
        # edit the second question: send under its parent (the first answer)
        events = send(client, auth, cid, "second question, edited", parentMessageId=original[1]["messageId"])
    edited = branch(client, auth, cid)
    assert [m["content"] for m in edited][:3] == ["first question", "answer", "second question, edited"]
    assert edited[1]["childrenIds"] == [original[2]["messageId"], edited[2]["messageId"]]
    assert events[0].data["userMessageId"] == edited[2]["messageId"]
    # switch back to the original branch by picking the sibling
    r = client.patch(f"/conversations/{cid}", json={"currentMessageId": original[2]["messageId"]}, headers=auth)
    assert r.status_code == 200
    assert [m["messageId"] for m in branch(client, auth, cid)] == [m["messageId"] for m in original]
    tree = client.get(f"/conversations/{cid}/messages", headers=auth).json()["messages"]
    assert len(tree) == 6


def test_edit_first_message_with_explicit_null_parent(app, client, auth):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["a"])):
        send(client, auth, cid, "root one")
        send(client, auth, cid, "root two", parentMessageId=None)
    msgs = branch(client, auth, cid)
    assert [m["content"] for m in msgs] == ["root two", "a"]
    assert msgs[0]["parentMessageId"] is None


def test_parent_must_be_an_assistant_message_in_this_conversation(app, client, auth):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["a"])):
        send(client, auth, cid, "q")
    user_id = branch(client, auth, cid)[0]["messageId"]
    r = client.post(f"/conversations/{cid}/messages", json={"content": "x", "parentMessageId": user_id}, headers=auth)
    assert r.status_code == 422
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    r = client.post(f"/conversations/{cid}/messages", json={"content": "x", "parentMessageId": missing}, headers=auth)
    assert r.status_code == 404


def test_regenerate_adds_assistant_sibling(app, client, auth):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["first answer"])):
        send(client, auth, cid, "question")
    first = branch(client, auth, cid)
    with backend(app, ScriptedBackend(["second answer"])) as scripted:
        r = client.post(f"/conversations/{cid}/messages/{first[1]['messageId']}/regenerate", json={}, headers=auth)
    events = parse_sse(r.text)[0]
    assert events[0].name == "message_start" and events[-1].name == "message_end"
    now = branch(client, auth, cid)
    assert [m["content"] for m in now] == ["question", "second answer"]
    assert now[0]["childrenIds"] == [first[1]["messageId"], now[1]["messageId"]]
    # the regenerated answer saw the same context (the question), not the old answer
    assert [m.content for m in scripted.requests[0].messages[1:]] == ["question"]
    # regenerating from the user message works too, and foreign users get 404
    with backend(app, ScriptedBackend(["third"])):
        r = client.post(f"/conversations/{cid}/messages/{first[0]['messageId']}/regenerate", headers=auth)
    assert r.status_code == 200
    assert len(branch(client, auth, cid)[0]["childrenIds"]) == 3


def test_regenerate_foreign_or_missing_is_404(app, client, auth, make_user):
    cid = new_conversation(client, auth)
    with backend(app, ScriptedBackend(["a"])):
        send(client, auth, cid, "q")
    mid = branch(client, auth, cid)[1]["messageId"]
    other = make_user()
    assert client.post(f"/conversations/{cid}/messages/{mid}/regenerate", headers=other).status_code == 404
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert client.post(f"/conversations/{cid}/messages/{missing}/regenerate", headers=auth).status_code == 404
