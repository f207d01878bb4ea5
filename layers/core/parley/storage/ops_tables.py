"""Tables for short-lived records: the response cache and idempotency records (both with TTL)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from parley.storage.models import model_meta


@dataclass(frozen=True)
class OpsTables:
    cache: type[Model]
    idempotency: type[Model]


def build_ops_tables(cache_table: str, idempotency_table: str, region: str, host: str | None) -> OpsTables:
    class CacheEntry(Model):
        Meta = model_meta(cache_table, region, host)

        pk = UnicodeAttribute(hash_key=True)  # sha256 of everything that determines the answer
        answer = UnicodeAttribute()
        model = UnicodeAttribute()
        input_tokens = NumberAttribute(default=0)
        output_tokens = NumberAttribute(default=0)
        created_at = NumberAttribute()
        expires_at = TTLAttribute()

    class IdempotencyRecord(Model):
        Meta = model_meta(idempotency_table, region, host)

        pk = UnicodeAttribute(hash_key=True)  # sha256 of user, route and key
        status = UnicodeAttribute()  # "in_progress" or "complete"
        fingerprint = UnicodeAttribute()  # sha256 of the request body
        conversation_id = UnicodeAttribute(null=True)
        message_id = UnicodeAttribute(null=True)
        response = UnicodeAttribute(null=True)  # JSON of a finished non-streaming response
        created_at = NumberAttribute()
        expires_at = TTLAttribute()

    return OpsTables(cache=CacheEntry, idempotency=IdempotencyRecord)
