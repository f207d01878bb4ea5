"""GET /conversations/{id}/export: JSON (every branch) or Markdown (the active branch), hot or cold."""

from __future__ import annotations

import json

from tests.coldstore.helpers import headers_for, seed


def export(cold, s, fmt: str | None = None, headers=None):
    params = {"format": fmt} if fmt else {}
    return cold.client.get(f"/conversations/{s.conversation_id}/export", params=params,
                           headers=headers or s.headers)


def test_json_export_has_every_branch(cold):
    s = seed(cold)
    r = export(cold, s)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    disposition = r.headers["content-disposition"]
    assert disposition == f'attachment; filename="planning-a-trip-to-lisbon-{s.conversation_id}.json"'
    body = json.loads(r.content)
    assert body["format"] == "parley.conversation/1"
    assert body["conversation"]["conversationId"] == s.conversation_id
    assert body["conversation"]["systemPrompt"] == "Answer like a travel agent."
    assert body["conversation"]["cold"] is False
    assert body["activeBranch"] == s.message_ids
    ids = [m["messageId"] for m in body["messages"]]
    assert sorted(ids) == sorted(s.message_ids + s.other_branch_ids)
    fork = next(m for m in body["messages"] if m["messageId"] == s.message_ids[1])
    assert fork["childrenIds"] == [s.message_ids[2], s.other_branch_ids[0]]
    assert len(next(m for m in body["messages"] if m["messageId"] == s.message_ids[3])["content"]) > 4000


def test_markdown_export_has_the_active_branch(cold):
    s = seed(cold)
    r = export(cold, s, "markdown")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/markdown")
    assert r.headers["content-disposition"].endswith(f'-{s.conversation_id}.md"')
    text = r.text
    assert text.startswith("# Planning a trip to Lisbon\n")
    assert "## System prompt" in text and "Answer like a travel agent." in text
    assert text.count("## User") == 3 and text.count("## Assistant (parley-fast)") == 3
    assert "user says 2:" in text and "the other branch" not in text
    assert text.index("user says 0") < text.index("assistant says 0") < text.index("user says 1")


def test_a_cold_conversation_exports_the_same_without_being_restored(cold):
    s = seed(cold)
    hot_json, hot_md = json.loads(export(cold, s).content), export(cold, s, "markdown").text
    cold.archive(s.conversation_id)
    cold_json, cold_md = json.loads(export(cold, s).content), export(cold, s, "markdown").text

    assert cold_json["conversation"]["cold"] is True
    for body in (hot_json, cold_json):
        body.pop("exportedAt")
        body["conversation"].pop("cold")
    assert cold_json == hot_json
    assert cold_md == hot_md
    assert cold.stub(s.conversation_id)["cold"] == {"BOOL": True}
    assert [i["sk"]["S"] for i in cold.partition(s.conversation_id)] == ["C"]
    assert cold.object_exists(s.user_id, s.conversation_id)


def test_a_cold_export_shows_a_rename_made_while_cold(cold):
    s = seed(cold, turns=1)
    cold.archive(s.conversation_id)
    cold.client.patch(f"/conversations/{s.conversation_id}", json={"title": "Été à Lisbonne"}, headers=s.headers)
    r = export(cold, s)
    assert json.loads(r.content)["conversation"]["title"] == "Été à Lisbonne"
    assert r.headers["content-disposition"] == f'attachment; filename="ete-a-lisbonne-{s.conversation_id}.json"'


def test_another_users_conversation_is_404(cold):
    s = seed(cold, turns=1)
    stranger = headers_for("someone-else")
    assert export(cold, s, headers=stranger).status_code == 404
    cold.archive(s.conversation_id)
    r = export(cold, s, headers=stranger)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert export(cold, s, "markdown", headers=stranger).status_code == 404


def test_unknown_format_is_422_and_unknown_id_is_404(cold):
    s = seed(cold, turns=1)
    r = export(cold, s, "pdf")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    missing = cold.client.get("/conversations/01ARZ3NDEKTSV4RRFFQ69G5FAV/export", headers=s.headers)
    assert missing.status_code == 404
    assert cold.client.get(f"/conversations/{s.conversation_id}/export").status_code == 401


def test_the_export_is_described_in_openapi(cold):
    spec = cold.client.get("/openapi.json").json()
    op = spec["paths"]["/conversations/{conversation_id}/export"]["get"]
    content = op["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ConversationExport"}
    assert "text/markdown" in content
    fmt = next(p for p in op["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["json", "markdown"]
