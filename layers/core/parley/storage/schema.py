"""Table definitions derived from the pynamodb models: what local mode creates and the CDK app
deploys come from the same place, so they cannot drift."""

from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from parley.attachments.store import build_attachment_table
from parley.auth.api_keys import build_api_keys_table
from parley.settings import Settings
from parley.storage.ops_tables import build_ops_tables
from parley.storage.profile_table import build_profile_table
from parley.storage.tables import build_conversation_table
from parley.storage.usage_table import build_usage_table


def table_models(settings: Settings) -> list[type[Model]]:
    """Every pynamodb model that owns a table, bound to the names in ``settings``.

    The CDK app deploys exactly these (keys, indexes, TTL); local mode creates them.
    """
    region, host = settings.region, settings.dynamodb_endpoint
    conversations = build_conversation_table(settings.table_conversations, region, host)
    usage = build_usage_table(settings.table_usage, region, host)
    ops = build_ops_tables(settings.table_cache, settings.table_idempotency, region, host)
    api_keys = build_api_keys_table(settings.table_api_keys, region, host)
    attachments = build_attachment_table(settings.table_attachments, region, host)
    profiles = build_profile_table(settings.table_profiles, region, host)
    return [conversations.item, usage.ledger, ops.cache, ops.idempotency, api_keys.item, attachments.record,
            profiles.item]


def create_tables(settings: Settings) -> None:
    """Create the missing tables (pynamodb's create_table also turns on each model's TTL)."""
    for model in table_models(settings):
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")


def describe(model: type[Model]) -> dict[str, Any]:
    """Key schema, attribute definitions, indexes and TTL as CloudFormation-shaped values."""
    schema = model._get_schema()  # pynamodb's own description of keys and indexes
    ttl = [name for name, attr in model.get_attributes().items() if type(attr).__name__ == "TTLAttribute"]
    return {
        "table_name": model.Meta.table_name,
        "attribute_definitions": list(schema["attribute_definitions"]),
        "key_schema": list(schema["key_schema"]),
        "global_secondary_indexes": [
            {"IndexName": i["index_name"], "KeySchema": list(i["key_schema"]), "Projection": dict(i["projection"])}
            for i in schema.get("global_secondary_indexes", [])
        ],
        "ttl_attribute": ttl[0] if ttl else None,
    }
