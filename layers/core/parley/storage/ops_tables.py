"""Tables for short-lived records: the response cache and idempotency records (both with TTL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model


@dataclass(frozen=True)
class OpsTables:
    cache: type[Model]
    idempotency: type[Model]


def _meta(table_name: str, region: str, host: str | None) -> type:
    attrs: dict[str, Any] = {"table_name": table_name, "region": region, "billing_mode": "PAY_PER_REQUEST",
                             "max_retry_attempts": 5}
    if host:
        attrs["host"] = host
    return type("Meta", (), attrs)


def build_ops_tables(cache_table: str, idempotency_table: str, region: str, host: str | None) -> OpsTables:
    class CacheEntry(Model):
        Meta = _meta(cache_table, region, host)

        pk = UnicodeAttribute(hash_key=True)  # sha256 of everything that determines the answer
        answer = UnicodeAttribute()
        model = UnicodeAttribute()
        input_tokens = NumberAttribute(default=0)
        output_tokens = NumberAttribute(default=0)
        created_at = NumberAttribute()
        expires_at = TTLAttribute()

    class IdempotencyRecord(Model):
        Meta = _meta(idempotency_table, region, host)

        pk = UnicodeAttribute(hash_key=True)  # sha256 of user, route and key
        status = UnicodeAttribute()  # "in_progress" or "complete"
        fingerprint = UnicodeAttribute()  # sha256 of the request body
        conversation_id = UnicodeAttribute(null=True)
        message_id = UnicodeAttribute(null=True)
        response = UnicodeAttribute(null=True)  # JSON of a finished non-streaming response
        created_at = NumberAttribute()
        expires_at = TTLAttribute()

    return OpsTables(cache=CacheEntry, idempotency=IdempotencyRecord)
