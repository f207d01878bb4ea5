"""Shared conversations: share links, members, typing and the live channel (Server-Sent Events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Request, Response, status

from parley.api.deps import ChannelDep, ConversationId, CopierDep, IdentityDep, MembersDep, SettingsDep, SharesDep
from parley.api.lazy_routes import api_router
from parley.api.openapi import LIVE_EVENT, LIVE_EVENT_NAMES
from parley.api.schemas import ConversationSummary, ErrorBody
from parley.api.sharing_schemas import (
    AddMemberRequest,
    CreateShareRequest,
    LiveChannelBody,
    MemberBody,
    MemberList,
    PresenceBody,
    ShareBody,
    SharedConversation,
    ShareList,
)
from parley.api.sse import SseResponse, encode_events
from parley.settings import Settings

router = api_router(tags=["sharing"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                                                 404: {"model": ErrorBody}, 422: {"model": ErrorBody}})

ShareId = Annotated[str, Path(max_length=64, description="A share link's id")]
UserId = Annotated[str, Path(max_length=128, description="A member's user id (a token subject)")]


def share_url(request: Request, share_id: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/shared/{share_id}"


@router.post("/conversations/{conversation_id}/shares", status_code=status.HTTP_201_CREATED,
             response_model=ShareBody)
def create_share(conversation_id: ConversationId, who: IdentityDep, shares: SharesDep, request: Request,
                 body: CreateShareRequest | None = None) -> ShareBody:
    """A read-only link to the active branch as it is now (owner only). Attachments are listed only
    with `includeAttachments`; the system prompt never is."""
    share = shares.create(who.user_id, conversation_id,
                            include_attachments=body.include_attachments if body else False)
    return ShareBody(share_id=share.share_id, url=share_url(request, share.share_id), created_at=share.created_at,
                     include_attachments=share.include_attachments)


@router.get("/conversations/{conversation_id}/shares", response_model=ShareList)
def list_shares(conversation_id: ConversationId, who: IdentityDep, shares: SharesDep, request: Request) -> ShareList:
    """The conversation's live links, oldest first (owner only)."""
    return ShareList(shares=[ShareBody(share_id=s.share_id, url=share_url(request, s.share_id),
                                       created_at=s.created_at, include_attachments=s.include_attachments)
                             for s in shares.list(who.user_id, conversation_id)])


@router.delete("/conversations/{conversation_id}/shares/{share_id}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response)
def revoke_share(conversation_id: ConversationId, share_id: ShareId, who: IdentityDep, shares: SharesDep) -> Response:
    """Revoke a link: from now on it answers 404."""
    shares.revoke(who.user_id, conversation_id, share_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/shared/{share_id}", response_model=SharedConversation, openapi_extra={"security": []})
def read_share(share_id: ShareId, shares: SharesDep) -> SharedConversation:
    """A shared snapshot. Needs no sign-in: the unguessable id is the credential."""
    snapshot = shares.read(share_id)
    return SharedConversation(title=snapshot["title"], messages=snapshot["messages"], shared_at=snapshot["sharedAt"])


@router.post("/shared/{share_id}/copy", status_code=status.HTTP_201_CREATED, response_model=ConversationSummary)
def copy_share(share_id: ShareId, who: IdentityDep, copier: CopierDep) -> ConversationSummary:
    """"Continue this conversation": the shared snapshot copied into the caller's own account as a new
    conversation they own (its messages only: no system prompt, no attachments). Needs sign-in."""
    return ConversationSummary.of(copier.copy(who.user_id, share_id))


@router.post("/conversations/{conversation_id}/members", status_code=status.HTTP_201_CREATED,
             response_model=MemberBody, responses={409: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def add_member(conversation_id: ConversationId, body: AddMemberRequest, who: IdentityDep,
               members: MembersDep) -> MemberBody:
    """Add a member (owner only): a `participant` reads and sends, a `viewer` reads. Any well-formed
    user id is accepted (users exist only as token subjects)."""
    member = members.add(who.user_id, conversation_id, body.user_id, body.role)
    return MemberBody(user_id=member.user_id, role=member.role, added_at=member.added_at)


@router.get("/conversations/{conversation_id}/members", response_model=MemberList)
def list_members(conversation_id: ConversationId, who: IdentityDep, members: MembersDep) -> MemberList:
    """The owner (role `owner`) and the members; any member may read it."""
    conversation, found = members.list(who.user_id, conversation_id)
    return MemberList(owner_id=conversation.user_id,
                      members=[MemberBody(user_id=m.user_id, role=m.role, added_at=m.added_at) for m in found])


@router.delete("/conversations/{conversation_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response)
def remove_member(conversation_id: ConversationId, user_id: UserId, who: IdentityDep, members: MembersDep) -> Response:
    """Remove a member (owner), or leave (a member removing themself). Access ends at once, the live
    channel included."""
    members.remove(who.user_id, conversation_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/conversations/{conversation_id}/typing", status_code=status.HTTP_204_NO_CONTENT,
             response_class=Response)
async def typing(conversation_id: ConversationId, who: IdentityDep, channel: ChannelDep) -> Response:
    """A keystroke: members viewing see "typing" until 5 s after the last one (owner and participants)."""
    await channel.typing(who, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/conversations/{conversation_id}/presence", response_model=PresenceBody)
async def viewing(conversation_id: ConversationId, who: IdentityDep, channel: ChannelDep) -> PresenceBody:
    """I am viewing this conversation (owner and members): a heartbeat, renewed every `heartbeatS`
    while the page is visible; a viewer not renewed within 2.5 heartbeats stops counting. Members viewing get a
    `presence` event whenever the set changes."""
    change = await channel.here(who, conversation_id)
    return PresenceBody(viewers=change.viewers, version=change.version, heartbeat_s=channel.heartbeat_s)


@router.delete("/conversations/{conversation_id}/presence", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response)
async def not_viewing(conversation_id: ConversationId, who: IdentityDep, channel: ChannelDep) -> Response:
    """I stopped viewing this conversation (a closed or hidden page)."""
    await channel.gone(who, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/conversations/{conversation_id}/live", response_model=None, status_code=200,
            responses={200: {"description": "Server-Sent Events: " + ", ".join(f"`{n}`" for n in LIVE_EVENT_NAMES),
                             "content": {"text/event-stream": {"schema": LIVE_EVENT}}},
                       422: {"model": ErrorBody}})
async def live(
    conversation_id: ConversationId,
    who: IdentityDep,
    channel: ChannelDep,
    last_event_id: Annotated[str, Header(alias="Last-Event-ID", pattern=r"^(-1|[0-9]{1,15})$",
                                         description="The last event seen; -1 (the default): none")] = "-1",
) -> SseResponse:
    """The conversation's live events, for its members. With `Last-Event-ID`, what was missed first."""
    after = None if last_event_id == "-1" else int(last_event_id)
    events = await channel.follow(who, conversation_id, after)
    return SseResponse(encode_events(events))


def realtime_url(settings: Settings, request: Request) -> str | None:
    """AppSync Events' endpoint on AWS; in local mode this server's own (sharing/realtime.py)."""
    if settings.mode == "local":
        scheme = "wss" if request.url.scheme == "https" else "ws"
        return f"{scheme}://{request.url.netloc}/event/realtime"
    domain = settings.live_events_realtime_domain
    return f"wss://{domain}/event/realtime" if domain else None


@router.get("/conversations/{conversation_id}/live/channel", response_model=LiveChannelBody)
async def live_channel(conversation_id: ConversationId, who: IdentityDep, channel: ChannelDep,
                       settings: SettingsDep, request: Request) -> LiveChannelBody:
    """The realtime channel of the conversation (owner and current members; anyone else 404). Its path
    holds a key that changes when a member is removed or leaves: subscribers get a `rekey` event on
    the old channel and ask here again."""
    return LiveChannelBody(channel=await channel.channel(who, conversation_id),
                           realtime_url=realtime_url(settings, request))
