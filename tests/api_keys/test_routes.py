"""API keys through the API: created and shown once, stored hashed, usable as a bearer token."""

from __future__ import annotations

import hashlib
import re
import uuid

import boto3
import pytest

KEY_RE = re.compile(r"^prly_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def create(kclient, auth, name: str = "ci") -> dict:
    r = kclient.post("/api-keys", json={"name": name}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_shows_the_key_once_and_list_never_does(kclient, make_user):
    auth = make_user()
    created = create(kclient, auth, "laptop")
    assert set(created) == {"apiKeyId", "key", "name", "prefix", "createdAt"}
    assert KEY_RE.match(created["key"])
    assert created["name"] == "laptop"
    assert created["prefix"].endswith("…")
    assert created["key"].startswith(created["prefix"].rstrip("…"))
    assert created["apiKeyId"] in created["key"]

    r = kclient.get("/api-keys", headers=auth)
    assert r.status_code == 200
    listed = r.json()["apiKeys"]
    assert [k["apiKeyId"] for k in listed] == [created["apiKeyId"]]
    assert set(listed[0]) == {"apiKeyId", "name", "prefix", "createdAt", "lastUsedAt"}
    assert listed[0]["prefix"] == created["prefix"] and listed[0]["createdAt"] == created["createdAt"]
    secret = created["key"].split("_", 2)[2]
    assert secret not in r.text


def test_the_table_holds_only_a_hash(kclient, keys, make_user):
    created = create(kclient, make_user())
    secret = created["key"].split("_", 2)[2]
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=keys.table.item.Meta.host)
    items = client.scan(TableName=keys.table.item.Meta.table_name)["Items"]
    values = [str(v) for item in items for v in item.values()]
    assert values, "the scan found nothing"
    assert not any(created["key"] in v or secret in v for v in values)
    digest = hashlib.sha256(created["key"].encode()).hexdigest()
    assert any(digest in v for v in values)


def test_key_works_as_bearer_with_the_owners_user_and_tier(kclient, make_user):
    auth = make_user("plus")
    cid = kclient.post("/conversations", json={"title": "mine"}, headers=auth).json()["conversationId"]
    key = create(kclient, auth)["key"]

    listed = kclient.get("/conversations", headers=bearer(key))
    assert listed.status_code == 200
    assert [c["conversationId"] for c in listed.json()["conversations"]] == [cid]
    assert kclient.get(f"/conversations/{cid}", headers=bearer(key)).status_code == 200
    assert kclient.get("/usage", headers=bearer(key)).json()["tier"] == "plus"

    # Another user's key sees none of it.
    other = create(kclient, make_user())["key"]
    assert kclient.get("/conversations", headers=bearer(other)).json()["conversations"] == []
    assert kclient.get(f"/conversations/{cid}", headers=bearer(other)).status_code == 404
    assert kclient.get("/usage", headers=bearer(other)).json()["tier"] == "free"


def test_last_used_is_recorded(kclient, make_user):
    auth = make_user()
    created = create(kclient, auth)
    assert kclient.get("/api-keys", headers=auth).json()["apiKeys"][0]["lastUsedAt"] is None
    kclient.get("/conversations", headers=bearer(created["key"]))
    last_used = kclient.get("/api-keys", headers=auth).json()["apiKeys"][0]["lastUsedAt"]
    assert isinstance(last_used, int) and last_used >= created["createdAt"]


def test_deleted_key_is_refused_and_a_second_delete_is_404(kclient, make_user):
    auth = make_user()
    created = create(kclient, auth)
    assert kclient.get("/conversations", headers=bearer(created["key"])).status_code == 200
    r = kclient.delete(f"/api-keys/{created['apiKeyId']}", headers=auth)
    assert r.status_code == 200 and r.json() == {"success": True}
    refused = kclient.get("/conversations", headers=bearer(created["key"]))
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    assert kclient.get("/api-keys", headers=auth).json()["apiKeys"] == []
    assert kclient.delete(f"/api-keys/{created['apiKeyId']}", headers=auth).status_code == 404


def test_another_users_key_id_is_404_and_the_key_survives(kclient, make_user):
    owner, intruder = make_user(), make_user()
    created = create(kclient, owner)
    r = kclient.delete(f"/api-keys/{created['apiKeyId']}", headers=intruder)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert kclient.get("/api-keys", headers=intruder).json()["apiKeys"] == []
    assert kclient.get("/conversations", headers=bearer(created["key"])).status_code == 200
    for bad in ("not-a-key-id", "0" * 16, "x" * 64):
        assert kclient.delete(f"/api-keys/{bad}", headers=owner).status_code == 404


def test_api_keys_cannot_manage_api_keys(kclient, make_user):
    auth = make_user()
    created = create(kclient, auth)
    key = bearer(created["key"])
    for r in (kclient.post("/api-keys", json={"name": "child"}, headers=key),
              kclient.get("/api-keys", headers=key),
              kclient.delete(f"/api-keys/{created['apiKeyId']}", headers=key)):
        assert r.status_code == 401
        assert r.json()["code"] == "api_key_not_allowed"
    assert len(kclient.get("/api-keys", headers=auth).json()["apiKeys"]) == 1


@pytest.mark.parametrize("token", [
    "prly_",
    "prly_0123456789abcdef_short",
    "prly_0123456789abcdef_" + "A" * 43,  # well formed, but no such key
])
def test_unknown_or_malformed_keys_are_401(kclient, token):
    r = kclient.get("/conversations", headers=bearer(token))
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_right_id_wrong_secret_is_401(kclient, make_user):
    key = create(kclient, make_user())["key"]
    prefix, key_id, secret = key.split("_", 2)
    forged = f"{prefix}_{key_id}_{'B' if secret[0] != 'B' else 'C'}{secret[1:]}"
    assert kclient.get("/conversations", headers=bearer(forged)).status_code == 401
    assert kclient.get("/conversations", headers=bearer(key)).status_code == 200


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": "a", "extra": 1}])
def test_bad_create_bodies_are_422(kclient, make_user, body):
    r = kclient.post("/api-keys", json=body, headers=make_user())
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


def test_routes_need_a_token(kclient):
    assert kclient.get("/api-keys").status_code == 401
    assert kclient.post("/api-keys", json={"name": "x"}).status_code == 401
    assert kclient.delete("/api-keys/0123456789abcdef").status_code == 401


def test_at_most_twenty_keys_per_user(kclient, make_user):
    auth = make_user()
    ids = [create(kclient, auth, f"k{i}")["apiKeyId"] for i in range(20)]
    r = kclient.post("/api-keys", json={"name": "one too many"}, headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "too_many_api_keys"
    assert kclient.delete(f"/api-keys/{ids[0]}", headers=auth).status_code == 200
    create(kclient, auth, "room again")
    assert len(kclient.get("/api-keys", headers=auth).json()["apiKeys"]) == 20


def test_listing_with_a_token_brings_the_keys_tier_up_to_date(kclient, make_user):
    user = f"tier-change-{uuid.uuid4().hex[:12]}"
    key = create(kclient, make_user("plus", user))["key"]
    assert kclient.get("/usage", headers=bearer(key)).json()["tier"] == "plus"
    # The user was moved to free: their next signed-in listing downgrades the key too.
    kclient.get("/api-keys", headers=make_user("free", user))
    assert kclient.get("/usage", headers=bearer(key)).json()["tier"] == "free"
