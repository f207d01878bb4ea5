"""Wiring of the live channel: in-process only (local mode), or also published to AppSync Events (aws)."""

from __future__ import annotations

from parley.settings import Settings
from parley.sharing.appsync import AppSyncEventsPublisher
from parley.sharing.live import LiveHub
from parley.sharing.remote import RemoteRelay
from parley.storage.tables import MEMBER_SK_PREFIX, ConversationTable


def has_members(table: ConversationTable, conversation_id: str) -> bool:
    """Whether anyone besides the owner is in the conversation (one consistent Query, one item at most)."""
    found = table.member.query(conversation_id, table.member.sk.startswith(MEMBER_SK_PREFIX),
                               consistent_read=True, limit=1)
    return next(iter(found), None) is not None


def build_live_hub(settings: Settings, table: ConversationTable) -> LiveHub:
    if settings.mode != "aws" or not settings.live_events_http_domain:
        return LiveHub()
    import botocore.session  # aws mode only; credentials come from the function's role

    session = botocore.session.get_session()
    publisher = AppSyncEventsPublisher(settings.live_events_http_domain, settings.region, session.get_credentials)
    return LiveHub(remote=RemoteRelay(publisher, has_members=lambda cid: has_members(table, cid)))
