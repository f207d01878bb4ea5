"""API keys for programmatic users: format, hashing, the table and the repository.

A key reads ``prly_<key id>_<secret>``: 8 random bytes of id (16 hex digits) and 32 random bytes of
secret (``secrets.token_urlsafe``). Only the SHA-256 of the whole key is stored, under the key id,
so checking a key is one GetItem and one constant-time compare. A fast hash is enough here: a slow
one (bcrypt, scrypt, Argon2) protects low-entropy passwords from guessing once the hashes leak, but
a 256-bit random secret cannot be guessed at any speed, and every cache miss of the authorizer
would pay a slow hash's tens of milliseconds.

A key carries the tier its owner had when it was created (in AWS a user's tier is a Cognito group,
which nothing verifying a key can see without a call to Cognito). Whoever changes a user's tier
calls :meth:`ApiKeyRepository.sync_tier`; listing one's keys with a signed-in token does it too.

One table holds two kinds of item, keyed by ``pk`` alone:
``K#<key id>`` a key (the ``by_user`` index lists a user's keys in creation order) and
``U#<user id>`` the count of a user's keys, which the create transaction holds under the limit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError

from parley.auth.identity import TIERS, Identity, Tier
from parley.errors import Conflict, NotFound, ServiceUnavailable, Unauthorized
from parley.ids import now_ms
from parley.observability import logger
from parley.storage.api_keys_table import ApiKeyModel, ApiKeysTable
from parley.storage.dynamo import ConditionsFailed, Transactions, endpoint_of, is_condition_failure

if TYPE_CHECKING:
    from starlette.requests import Request

KEY_PREFIX = "prly_"
KEY_ID_BYTES = 8
SECRET_BYTES = 32
MAX_KEYS_PER_USER = 20
#: The last-used time is written at most this often per key, not on every request.
LAST_USED_INTERVAL_MS = 3600 * 1000

_KEY_RE = re.compile(r"^prly_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_NOT_FOUND = "API key not found"


def looks_like_api_key(token: str) -> bool:
    """Whether a bearer token is meant as an API key (JWTs never start with the prefix)."""
    return token.startswith(KEY_PREFIX)


def is_key_id(value: str) -> bool:
    return bool(_KEY_ID_RE.match(value))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh ``(key id, key)``."""
    key_id = secrets.token_hex(KEY_ID_BYTES)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"


def key_id_of(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    match = _KEY_RE.match(key)
    return match.group(1) if match else None


def display_prefix(key: str) -> str:
    """Enough of a key to recognise it in a list; the secret's first 4 characters reveal nothing useful."""
    return key[: len(KEY_PREFIX) + 2 * KEY_ID_BYTES + 5] + "…"


def key_pk(key_id: str) -> str:
    return f"K#{key_id}"


def owner_pk(user_id: str) -> str:
    return f"U#{user_id}"


# -- the repository -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedKey:
    """A new key: the only value that ever holds ``key`` (shown to the user once)."""

    key_id: str
    key: str
    name: str
    prefix: str
    created_at: int


@dataclass(frozen=True)
class ApiKeyInfo:
    key_id: str
    name: str
    prefix: str
    tier: str
    created_at: int
    last_used_at: int | None


@dataclass(frozen=True)
class KeyMatch:
    identity: Identity
    key_id: str


class TooManyKeys(Conflict):
    code = "too_many_api_keys"


class ApiKeyRepository:
    def __init__(
        self,
        table: ApiKeysTable,
        *,
        max_per_user: int = MAX_KEYS_PER_USER,
        last_used_interval_ms: int = LAST_USED_INTERVAL_MS,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._t = table
        self._max = max_per_user
        self._interval = last_used_interval_ms
        self._clock = clock
        self._transaction = Transactions(endpoint_of(table.item))

    @property
    def table(self) -> ApiKeysTable:
        return self._t

    def create(self, who: Identity, name: str) -> CreatedKey:
        """A new key for ``who``, with their current tier; refused past the per-user limit."""
        key_id, key = new_key()
        now = self._clock()
        item = self._t.key(key_pk(key_id))
        item.key_id = key_id
        item.owner = who.user_id
        item.created_sk = f"{now:015d}#{key_id}"
        item.name = name
        item.prefix = display_prefix(key)
        item.secret_hash = hash_key(key)
        item.tier = who.tier
        item.created_at = now
        owner, count = self._t.owner(owner_pk(who.user_id)), self._t.owner.key_count
        try:
            with self._transaction() as tx:
                # The counter item may not exist yet: ADD creates it, and the kind is set alongside.
                tx.update(
                    owner,
                    actions=[count.add(1), self._t.owner.kind.set(self._t.owner)],
                    condition=count.does_not_exist() | (count < self._max),
                )
                tx.save(item, condition=self._t.key.pk.does_not_exist())
        except ConditionsFailed as exc:
            if exc.any("update"):  # the counter
                raise TooManyKeys(f"at most {self._max} API keys per user; delete one first") from exc
            raise
        return CreatedKey(key_id=key_id, key=key, name=name, prefix=item.prefix, created_at=now)

    def list(self, user_id: str, tier: Tier | None = None) -> list[ApiKeyInfo]:
        """The user's keys, oldest first (from the index, so a key made a moment ago may lag).

        With ``tier`` (the owner's current one, from a signed-in token), keys recorded with another
        tier are brought up to date on the way: a write only where one differs.
        """
        infos = []
        for item in self._t.by_user.query(user_id):
            if tier is not None and item.tier != tier and self._set_tier(item, tier):
                item.tier = tier
            infos.append(self._info(item))
        return infos

    def delete(self, user_id: str, key_id: str) -> None:
        """Revoke (delete) a key; another user's key or a missing one is NotFound."""
        if not is_key_id(key_id):
            raise NotFound(_NOT_FOUND)
        key = self._t.key(key_pk(key_id))
        owner, count = self._t.owner(owner_pk(user_id)), self._t.owner.key_count
        try:
            with self._transaction() as tx:
                tx.delete(key, condition=self._t.key.owner == user_id)
                tx.update(owner, actions=[count.add(-1)])
        except ConditionsFailed as exc:
            if exc.any("delete"):
                raise NotFound(_NOT_FOUND) from exc
            raise

    def sync_tier(self, user_id: str, tier: Tier) -> int:
        """Give every key of the user ``tier`` (for whatever changes a user's tier); returns how many
        changed."""
        return sum(self._set_tier(item, tier) for item in self._t.by_user.query(user_id) if item.tier != tier)

    def _set_tier(self, item: ApiKeyModel, tier: Tier) -> bool:
        try:
            item.update(actions=[self._t.key.tier.set(tier)], condition=self._t.key.pk.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False  # deleted meanwhile: nothing to update
            raise
        return True

    def authenticate(self, key: str) -> KeyMatch:
        """The identity a key stands for; Unauthorized for anything but a live key."""
        key_id = key_id_of(key)
        if key_id is None:
            raise Unauthorized("invalid API key")
        try:
            item = self._t.key.get(key_pk(key_id), consistent_read=True)
        except DoesNotExist as exc:
            raise Unauthorized("invalid API key") from exc
        except PynamoDBException as exc:
            raise ServiceUnavailable("could not check the API key") from exc
        if not hmac.compare_digest(item.secret_hash, hash_key(key)):
            raise Unauthorized("invalid API key")
        self._touch(item)
        tier: Tier = item.tier if item.tier in TIERS else "free"
        return KeyMatch(Identity(user_id=item.owner, tier=tier), key_id)

    def _touch(self, item: ApiKeyModel) -> None:
        """Record the last use, at most once per interval per key (a write per request would cost more
        than the read); concurrent callers race on the condition and only one writes."""
        now = self._clock()
        last = item.last_used_at
        if last is not None and now - int(last) < self._interval:
            return
        attr = self._t.key.last_used_at
        try:
            item.update(
                actions=[attr.set(now)],
                condition=self._t.key.pk.exists() & (attr.does_not_exist() | (attr <= now - self._interval)),
            )
        except PynamoDBException as exc:
            # Bookkeeping only: a lost race or a throttled write must not refuse a valid key.
            logger.info("api key last-used not updated", extra={"api_key_id": item.key_id,
                                                                 "error_type": type(exc).__name__})

    @staticmethod
    def _info(item: ApiKeyModel) -> ApiKeyInfo:
        return ApiKeyInfo(
            key_id=item.key_id,
            name=item.name,
            prefix=item.prefix,
            tier=item.tier,
            created_at=int(item.created_at),
            last_used_at=None if item.last_used_at is None else int(item.last_used_at),
        )


# -- local mode: bearer tokens that are API keys --------------------------------------------------


def authenticated_with_api_key(request: Request) -> bool:
    """Whether the request's credential is an API key (in either mode the Authorization header is
    what was checked: by the authenticator locally, by the Lambda authorizer in AWS)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and looks_like_api_key(token.strip())
