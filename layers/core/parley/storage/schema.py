"""Every table of Parley, bound to the names in settings: what local mode creates and the CDK app
deploys come from the same item models, so they cannot drift."""

from __future__ import annotations

from pynamodb.models import Model

from parley.settings import Settings
from parley.storage.api_keys_table import build_api_keys_table
from parley.storage.attachment_table import build_attachment_table
from parley.storage.dynamo import create_table, describe
from parley.storage.ops_tables import build_ops_tables
from parley.storage.profile_table import build_profile_table
from parley.storage.tables import build_conversation_table
from parley.storage.usage_table import build_usage_table

__all__ = ["create_tables", "describe", "table_models"]


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
    """Create the missing tables."""
    for model in table_models(settings):
        create_table(model)
