"""Wiring of the live channel: in-process only (local mode), or also published to AppSync Events (aws)."""

from __future__ import annotations

from parley.settings import Settings
from parley.sharing.appsync import AppSyncEventsPublisher
from parley.sharing.live import LiveHub
from parley.sharing.remote import RemoteRelay


def build_live_hub(settings: Settings) -> LiveHub:
    if settings.mode != "aws" or not settings.live_events_http_domain:
        return LiveHub()
    import botocore.session  # aws mode only; credentials come from the function's role

    session = botocore.session.get_session()
    publisher = AppSyncEventsPublisher(settings.live_events_http_domain, settings.region, session.get_credentials)
    return LiveHub(remote=RemoteRelay(publisher))
