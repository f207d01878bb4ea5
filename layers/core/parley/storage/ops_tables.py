"""Tables for short-lived records: the response cache and idempotency records (both with TTL)."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from parley.storage.dynamo import Endpoint, bind, nullable


class CacheEntry(Model):
    pk = UnicodeAttribute(hash_key=True)  # sha256 of everything that determines the answer
    answer = UnicodeAttribute()
    model = UnicodeAttribute()
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    created_at = NumberAttribute()
    expires_at = TTLAttribute()


class IdempotencyRecord(Model):
    pk = UnicodeAttribute(hash_key=True)  # sha256 of user, route and key
    status = UnicodeAttribute()  # "in_progress" or "complete"
    fingerprint = UnicodeAttribute()  # sha256 of the request body
    conversation_id = nullable(UnicodeAttribute())
    message_id = nullable(UnicodeAttribute())
    response = nullable(UnicodeAttribute())  # JSON of a finished non-streaming response
    created_at = NumberAttribute()
    expires_at = TTLAttribute()


@dataclass(frozen=True)
class OpsTables:
    cache: type[CacheEntry]
    idempotency: type[IdempotencyRecord]


def build_ops_tables(cache_table: str, idempotency_table: str, region: str, host: str | None) -> OpsTables:
    endpoint = Endpoint(region, host)
    return OpsTables(cache=bind(CacheEntry, cache_table, endpoint),
                     idempotency=bind(IdempotencyRecord, idempotency_table, endpoint))
