"""Request and response bodies of shares, members and the live channel (camelCase on the wire)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from parley.api.schemas import CamelModel, RequestModel


class StrictBody(RequestModel):
    pass


class CreateShareRequest(StrictBody):
    include_attachments: bool = False


class ShareBody(CamelModel):
    share_id: str
    url: str
    created_at: int
    include_attachments: bool = False


class ShareList(CamelModel):
    shares: list[ShareBody]


class SharedConversation(CamelModel):
    """What a share link shows: the snapshot, never the system prompt or usage."""

    title: str
    messages: list[dict[str, Any]]
    shared_at: int


class AddMemberRequest(StrictBody):
    user_id: str = Field(min_length=1, max_length=128)
    role: Literal["participant", "viewer"]


class MemberBody(CamelModel):
    user_id: str
    role: str
    added_at: int | None = None


class MemberList(CamelModel):
    owner_id: str
    members: list[MemberBody]


class LiveChannelBody(CamelModel):
    """Where a member's browser subscribes to the live channel (the AppSync Events protocol in both
    modes; docs/sharing.md)."""

    #: ``/conversations/<id>/<key>``; null while the conversation has never had members.
    channel: str | None
    #: The realtime WebSocket endpoint (``wss://<realtime domain>/event/realtime``), when known here.
    realtime_url: str | None


class PresenceBody(CamelModel):
    """Who is viewing the conversation now (including the caller), and how often to say so again."""

    viewers: list[str]
    #: Increases with every change of ``viewers``; the same as the live channel's `presence` events.
    version: int
    #: Renew within this many seconds (a viewer not renewed for 2.5 times it stops counting).
    heartbeat_s: int
