"""The key repository on its own: last-used throttling, tier sync, limits, and storage failures."""

from __future__ import annotations

import uuid

import pytest

from parley.auth.api_keys import (
    ApiKeyRepository,
    TooManyKeys,
    display_prefix,
    hash_key,
    key_id_of,
    new_key,
)
from parley.auth.identity import Identity
from parley.errors import NotFound, ServiceUnavailable, Unauthorized
from parley.storage.api_keys_table import build_api_keys_table

HOUR_MS = 3600 * 1000


class Clock:
    def __init__(self, now: int = 1_800_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def user(tier: str = "free") -> Identity:
    return Identity(user_id=f"repo-{uuid.uuid4().hex[:12]}", tier=tier)  # type: ignore[arg-type]


def test_key_format_and_hash():
    key_id, key = new_key()
    assert key_id_of(key) == key_id
    assert len(key.split("_", 2)[2]) == 43  # 32 random bytes, URL-safe base64
    assert new_key()[1] != key
    assert hash_key(key) != hash_key(key + "x") and len(hash_key(key)) == 64
    assert display_prefix(key).rstrip("…") == key[: len(display_prefix(key)) - 1]
    for bad in ("", "prly_", "prly_XYZ_abc", key + "=", key.upper(), "Bearer " + key):
        assert key_id_of(bad) is None


def test_last_used_is_written_at_most_once_an_hour(keys):
    clock = Clock()
    repo = ApiKeyRepository(keys.table, clock=clock)
    who = user()
    created = repo.create(who, "k")

    def last_used() -> int | None:
        return repo.list(who.user_id)[0].last_used_at

    repo.authenticate(created.key)
    assert last_used() == clock.now
    first = clock.now
    clock.now += HOUR_MS - 1
    repo.authenticate(created.key)
    assert last_used() == first
    clock.now += 1
    repo.authenticate(created.key)
    assert last_used() == clock.now


def test_sync_tier_changes_only_what_differs(keys):
    who = user("plus")
    a = keys.create(who, "a")
    keys.create(who, "b")
    assert keys.authenticate(a.key).identity == Identity(who.user_id, "plus")
    assert keys.sync_tier(who.user_id, "plus") == 0
    assert keys.sync_tier(who.user_id, "free") == 2
    assert keys.authenticate(a.key).identity == Identity(who.user_id, "free")
    assert {k.tier for k in keys.list(who.user_id)} == {"free"}


def test_limit_is_per_user(keys):
    repo = ApiKeyRepository(keys.table, max_per_user=2)
    alice, bob = user(), user()
    first = repo.create(alice, "1")
    repo.create(alice, "2")
    with pytest.raises(TooManyKeys):
        repo.create(alice, "3")
    repo.create(bob, "1")
    repo.delete(alice.user_id, first.key_id)
    repo.create(alice, "3")
    assert sorted(k.name for k in repo.list(alice.user_id)) == ["2", "3"]


def test_delete_checks_the_owner(keys):
    alice, bob = user(), user()
    created = keys.create(alice, "k")
    with pytest.raises(NotFound):
        keys.delete(bob.user_id, created.key_id)
    assert keys.authenticate(created.key).identity.user_id == alice.user_id
    keys.delete(alice.user_id, created.key_id)
    with pytest.raises(Unauthorized):
        keys.authenticate(created.key)


def test_a_storage_failure_is_503_not_401(keys_app):
    s = keys_app.state.container.settings
    missing = ApiKeyRepository(build_api_keys_table("parley-no-such-table", s.region, s.dynamodb_endpoint))
    _, key = new_key()
    with pytest.raises(ServiceUnavailable):
        missing.authenticate(key)
