"""Idempotency records, scoped to the user and the route.

A record is written in the same transaction as what the request creates, so either both exist or
neither does; a repeat finds it and answers what the first answered (or 409 while the first runs).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from parley.errors import Conflict, ValidationFailed
from parley.ids import now_ms
from parley.storage.ops_tables import IdempotencyRecord

MAX_KEY_CHARS = 255


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    record_id: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class PriorResult:
    status: str
    conversation_id: str | None
    message_id: str | None
    response: dict[str, Any] | None


def idempotency_key(user_id: str, route: str, key: str | None, body: Any) -> IdempotencyKey | None:
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_CHARS:
        raise ValidationFailed(f"Idempotency-Key must be 1 to {MAX_KEY_CHARS} characters")
    record_id = hashlib.sha256(f"{user_id}\x00{route}\x00{key}".encode()).hexdigest()
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return IdempotencyKey(record_id, fingerprint)


class IdempotencyStore:
    def __init__(self, model: type[IdempotencyRecord], *, ttl_s: int) -> None:
        self._model = model
        self._ttl = timedelta(seconds=ttl_s)

    def new_record(self, key: IdempotencyKey, *, status: str, conversation_id: str | None = None,
                   message_id: str | None = None, response: dict[str, Any] | None = None) -> IdempotencyRecord:
        """An item to save inside the caller's transaction (with :meth:`condition`)."""
        return self._model(
            key.record_id,
            status=status,
            fingerprint=key.fingerprint,
            conversation_id=conversation_id,
            message_id=message_id,
            response=json.dumps(response) if response is not None else None,
            created_at=now_ms(),
            expires_at=self._ttl,
        )

    def condition(self) -> Condition:
        return self._model.pk.does_not_exist()

    def completion(self, key: IdempotencyKey) -> tuple[IdempotencyRecord, list[Action]]:
        """Item and actions marking a record complete (for the finishing transaction)."""
        return self._model(key.record_id), [self._model.status.set("complete")]

    def forget(self, key: IdempotencyKey) -> None:
        """Remove a record whose request could not finish, so that a retry can run it again."""
        self._model(key.record_id).delete()

    def prior(self, key: IdempotencyKey) -> PriorResult | None:
        try:
            item = self._model.get(key.record_id, consistent_read=True)
        except DoesNotExist:
            return None
        if item.fingerprint != key.fingerprint:
            # 409: the key conflicts with the request it already stands for (the body is valid as such).
            raise Conflict("this Idempotency-Key was used with a different request body", code="idempotency_key_reused")
        return PriorResult(
            status=item.status,
            conversation_id=item.conversation_id,
            message_id=item.message_id,
            response=json.loads(item.response) if item.response else None,
        )

    @staticmethod
    def in_progress() -> Conflict:
        return Conflict("the first request with this Idempotency-Key is still running", code="request_in_progress",
                        retryable=True, retry_after_s=1)
