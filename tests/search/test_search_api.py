"""Search through the HTTP API: ranking, word forms, phrases, snippets, isolation, deletes, cold, paging."""

from __future__ import annotations

import time

from parley.ids import now_ms
from tests.support import ScriptedBackend, backend, parse_sse

DAY_MS = 86_400_000


def new_conversation(client, auth, **body) -> str:
    r = client.post("/conversations", json=body, headers=auth)
    assert r.status_code == 201
    return r.json()["conversationId"]


def say(app, client, auth, cid, content, answer="Noted.") -> dict:
    """Send one message with a scripted answer; returns message_end's data."""
    with backend(app, ScriptedBackend([answer])):
        r = client.post(f"/conversations/{cid}/messages", json={"content": content}, headers=auth)
    assert r.status_code == 200
    events, _ = parse_sse(r.text)
    assert events[-1].name == "message_end", events[-1]
    return events[-1].data


def search(client, auth, q, **params):
    return client.get("/search", params={"q": q, **params}, headers=auth)


def results(client, auth, q, **params) -> list[dict]:
    r = search(client, auth, q, **params)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_finds_messages_of_both_roles_with_word_forms_and_accents(app, client, auth):
    cid = new_conversation(client, auth, title="Trip planning")
    say(app, client, auth, cid, "I love running in the mornings", answer="Try the café by the river.")
    found = results(client, auth, "run")
    assert [(r["conversationId"], r["role"]) for r in found] == [(cid, "user")]
    assert found[0]["title"] == "Trip planning"
    assert "<mark>running</mark>" in found[0]["snippet"]
    assert set(found[0]) == {"conversationId", "messageId", "title", "role", "snippet", "createdAt"}
    assert [r["role"] for r in results(client, auth, "cafe")] == ["assistant"]
    assert [r["role"] for r in results(client, auth, "CAFÉS")] == ["assistant"]
    # The title is searchable too: its hit has no message id.
    title_hit = results(client, auth, "planning")
    assert [(r["role"], r["messageId"]) for r in title_hit] == [("title", None)]


def test_message_id_and_time_point_at_the_message(app, client, auth):
    cid = new_conversation(client, auth)
    say(app, client, auth, cid, "zebra crossing rules")
    [hit] = results(client, auth, "zebra")
    messages = client.get(f"/conversations/{cid}", headers=auth).json()["messages"]
    user = next(m for m in messages if m["role"] == "user")
    assert hit["messageId"] == user["messageId"] and hit["createdAt"] == user["createdAt"]


def test_ranking_puts_the_better_match_first(app, client, auth):
    weak = new_conversation(client, auth)
    say(app, client, auth, weak, "a note about kayaks and many other unrelated things to pad the text out a lot")
    strong = new_conversation(client, auth)
    say(app, client, auth, strong, "kayak kayaking kayaks")
    both = new_conversation(client, auth)
    say(app, client, auth, both, "kayak paddle")
    order = [r["conversationId"] for r in results(client, auth, "kayak paddle")]
    assert order[0] == both  # matches both words
    assert order.index(strong) < order.index(weak)


def test_quoted_phrase_matches_only_adjacent_words(app, client, auth):
    a = new_conversation(client, auth)
    say(app, client, auth, a, "the blue whale is large")
    b = new_conversation(client, auth)
    say(app, client, auth, b, "a whale that is blue")
    assert [r["conversationId"] for r in results(client, auth, '"blue whale"')] == [a]
    assert {r["conversationId"] for r in results(client, auth, "blue whale")} == {a, b}


def test_snippet_is_escaped_except_for_marks(app, client, auth):
    cid = new_conversation(client, auth)
    say(app, client, auth, cid, 'quokka <script>alert("x")</script> & <b>bold</b>')
    [hit] = results(client, auth, "quokka")
    snippet = hit["snippet"]
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert snippet.startswith("<mark>quokka</mark>")
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_another_users_text_is_never_found(app, client, make_user):
    alice, bob = make_user(), make_user()
    cid = new_conversation(client, alice, title="wombat secrets")
    say(app, client, alice, cid, "my wombat password is hunter2")
    assert results(client, bob, "wombat") == []
    assert results(client, bob, "hunter2") == []
    assert len(results(client, alice, "wombat")) == 2


def test_deleting_a_conversation_removes_it_at_once(app, client, auth):
    cid = new_conversation(client, auth, title="narwhal")
    say(app, client, auth, cid, "narwhal tusks")
    assert len(results(client, auth, "narwhal")) == 2
    assert client.delete(f"/conversations/{cid}", headers=auth).status_code == 200
    assert results(client, auth, "narwhal") == []


def test_deleted_conversation_hidden_even_if_the_index_lags(app, client, auth):
    """On AWS the index is updated from the stream, later: results are checked against the table."""
    cid = new_conversation(client, auth)
    say(app, client, auth, cid, "axolotl habitat")
    index = app.state.container.conversations_repo._search
    app.state.container.conversations_repo._search = None  # the index does not hear of the delete
    try:
        assert client.delete(f"/conversations/{cid}", headers=auth).status_code == 200
    finally:
        app.state.container.conversations_repo._search = index
    assert results(client, auth, "axolotl") == []


def test_new_message_findable_within_two_seconds(app, client, auth):
    cid = new_conversation(client, auth)
    sent = time.monotonic()
    say(app, client, auth, cid, "pangolin scales")
    while not results(client, auth, "pangolin"):
        assert time.monotonic() - sent < 2.0
        time.sleep(0.05)


def test_rename_and_generated_answers_are_indexed(app, client, auth):
    cid = new_conversation(client, auth)
    say(app, client, auth, cid, "hello", answer="The capybara is the largest rodent.")
    assert [r["role"] for r in results(client, auth, "capybara")] == ["assistant"]
    assert client.patch(f"/conversations/{cid}", json={"title": "Ocelot facts"}, headers=auth).status_code == 200
    hits = results(client, auth, "ocelot")
    assert [(h["role"], h["title"]) for h in hits] == [("title", "Ocelot facts")]
    assert results(client, auth, "capybara")[0]["title"] == "Ocelot facts"


def test_archived_filter(app, client, auth):
    kept = new_conversation(client, auth)
    say(app, client, auth, kept, "lemur one")
    gone = new_conversation(client, auth)
    say(app, client, auth, gone, "lemur two")
    assert client.patch(f"/conversations/{gone}", json={"archived": True}, headers=auth).status_code == 200
    assert {r["conversationId"] for r in results(client, auth, "lemur")} == {kept, gone}
    assert {r["conversationId"] for r in results(client, auth, "lemur", archived="false")} == {kept}
    assert {r["conversationId"] for r in results(client, auth, "lemur", archived="true")} == {gone}
    say(app, client, auth, gone, "lemur three")  # a new message of an archived conversation is archived too
    assert {r["conversationId"] for r in results(client, auth, "lemur", archived="false")} == {kept}
    assert client.patch(f"/conversations/{gone}", json={"archived": False}, headers=auth).status_code == 200
    assert {r["conversationId"] for r in results(client, auth, "lemur", archived="false")} == {kept, gone}


def test_time_range_filter(app, client, auth):
    cid = new_conversation(client, auth)
    before = now_ms()
    say(app, client, auth, cid, "tapir sighting")
    after = now_ms()
    assert len(results(client, auth, "tapir", **{"from": before, "to": after})) == 1
    assert results(client, auth, "tapir", **{"from": after + 1}) == []
    assert results(client, auth, "tapir", to=before - 1) == []


def test_cold_conversation_is_found_and_still_found_after_restore(app, client, auth):
    cid = new_conversation(client, auth, title="Glacier notes")
    say(app, client, auth, cid, "the okapi lives in the forest")
    status = app.state.container.coldstore.archive(cid, now=now_ms() + 31 * DAY_MS)
    assert status == "archived", status
    [hit] = results(client, auth, "okapi")
    assert hit["conversationId"] == cid and hit["title"] == "Glacier notes"
    assert client.get(f"/conversations/{cid}", headers=auth).status_code == 200  # restores it
    assert [r["conversationId"] for r in results(client, auth, "okapi")] == [cid]


def test_cursor_pagination_walks_every_hit_once(app, client, auth):
    cid = new_conversation(client, auth)
    for i in range(7):
        say(app, client, auth, cid, f"meerkat number {i}")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        r = search(client, auth, "meerkat", **params)
        assert r.status_code == 200
        body = r.json()
        seen += [h["messageId"] for h in body["results"]]
        pages += 1
        cursor = body.get("nextCursor")
        if not cursor:
            break
    assert pages == 3 and len(seen) == 7 and len(set(seen)) == 7
    # A cursor belongs to its search.
    first = search(client, auth, "meerkat", limit=3).json()["nextCursor"]
    r = search(client, auth, "other", cursor=first)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = search(client, auth, "meerkat", cursor="not-a-cursor")
    assert r.status_code == 400


def test_bad_queries_are_clear_4xx_or_empty(client, auth):
    # Empty and blank queries break the declared schema (as too long ones do): a 422 that says why.
    for q in ["", "   "]:
        r = search(client, auth, q)
        assert r.status_code == 422 and r.json()["code"] == "validation_error" and "q" in r.json()["message"], r.text
    r = search(client, auth, "x" * 10_240)
    assert r.status_code == 422 and set(r.json()) == {"code", "message", "retryable"}
    for q in ["?!.,;:", '"', '""', '" "', "***", "AND OR NOT", "field:value", "(((", "title:[a TO z]"]:
        r = search(client, auth, q)
        assert r.status_code == 200, (q, r.text)
        assert isinstance(r.json()["results"], list)
    assert client.get("/search", headers=auth).status_code == 422
    assert search(client, auth, "x", limit=0).status_code == 422
    assert client.get("/search", params={"q": "x"}).status_code == 401


def test_a_lost_index_is_rebuilt_from_the_table_cold_and_archived_included(app, client, auth, settings, tmp_path):
    hot = new_conversation(client, auth, title="Hot one")
    say(app, client, auth, hot, "the quetzal has green feathers")
    shelved = new_conversation(client, auth)
    say(app, client, auth, shelved, "the quetzal nests in trees")
    client.patch(f"/conversations/{shelved}", json={"archived": True}, headers=auth)
    frozen = new_conversation(client, auth)
    say(app, client, auth, frozen, "the quetzal is sacred")
    assert app.state.container.coldstore.archive(frozen, now=now_ms() + 31 * DAY_MS) == "archived"
    temporary = new_conversation(client, auth, temporary=True)
    say(app, client, auth, temporary, "the quetzal in a temporary chat")

    # Another app on the same tables, with an empty index directory (a new machine, a lost folder).
    from fastapi.testclient import TestClient

    from parley.app import create_app

    other = create_app(settings.model_copy(update={"search_index_dir": str(tmp_path)}))
    with TestClient(other) as fresh:
        found = results(fresh, auth, "quetzal")
        assert {r["conversationId"] for r in found} == {hot, shelved, frozen}
        assert {r["conversationId"] for r in results(fresh, auth, "quetzal", archived="false")} == {hot, frozen}
        assert [r["title"] for r in results(fresh, auth, "hot")] == ["Hot one"]
    # Rebuilding read the cold conversation without restoring it.
    stub = app.state.container.tables.conversation.get(frozen, "C")
    assert stub.cold is True


def test_another_processes_writes_are_caught_up_before_a_search(app, client, auth, settings, tmp_path):
    """As in AWS until the stream indexer exists: each process has its own index and others write."""
    from fastapi.testclient import TestClient

    from parley.app import create_app

    other = create_app(settings.model_copy(update={"search_index_dir": str(tmp_path), "search_catch_up": True}))
    first = new_conversation(client, auth)
    say(app, client, auth, first, "the gharial has a long snout")
    with TestClient(other) as elsewhere:
        assert [r["conversationId"] for r in results(elsewhere, auth, "gharial")] == [first]
        second = new_conversation(client, auth)
        say(app, client, auth, second, "a gharial basks on the bank")  # written by the first process only
        assert {r["conversationId"] for r in results(elsewhere, auth, "gharial")} == {first, second}
        client.patch(f"/conversations/{first}", json={"archived": True}, headers=auth)
        assert {r["conversationId"] for r in results(elsewhere, auth, "gharial", archived="false")} == {second}
        assert {r["conversationId"] for r in results(elsewhere, auth, "gharial", archived="true")} == {first}
