"""Conversation CRUD routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, status
from starlette.concurrency import run_in_threadpool

from parley.api.deps import (
    ChannelDep,
    ConversationId,
    ConversationsDep,
    IdempotencyHeader,
    IdentityDep,
    ListingDep,
    MembersDep,
)
from parley.api.lazy_routes import api_router
from parley.api.schemas import (
    ConversationDetail,
    ConversationList,
    ConversationSummary,
    CreateConversationRequest,
    CreateConversationResponse,
    ErrorBody,
    MessageBody,
    MessageList,
    SuccessBody,
    UpdateConversationRequest,
)
from parley.errors import ValidationFailed
from parley.idempotency.records import idempotency_key
from parley.ids import is_id

router = api_router(
    prefix="/conversations",
    tags=["conversations"],
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreateConversationResponse)
async def create_conversation(
    body: CreateConversationRequest,
    who: IdentityDep,
    conversations: ConversationsDep,
    idempotency: IdempotencyHeader = None,
) -> CreateConversationResponse:
    """Start a conversation. `model` defaults to `auto`; an unknown model is a 422.

    With an `Idempotency-Key`, a retry answers the first conversation instead of creating another.
    """
    key = idempotency_key(who.user_id, "create-conversation", idempotency, body.model_dump(mode="json"))
    # A coroutine with one hop for the write: a plain function would take a second to serialize its answer.
    conversation_id, created_at = await run_in_threadpool(
        conversations.create,
        who.user_id, title=body.title, model=body.model, system_prompt=body.system_prompt, idempotency=key,
        temporary=body.temporary,
    )
    return CreateConversationResponse(conversation_id=conversation_id, created_at=created_at)


@router.get("", response_model=ConversationList)
def list_conversations(
    who: IdentityDep,
    conversations: ConversationsDep,
    members: MembersDep,
    listing: ListingDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    archived: bool = False,
    shared: Annotated[bool | None, Query(description="true: only those shared with the caller; false: only the "
                                         "caller's own; absent: both")] = None,
) -> ConversationList:
    """The caller's conversations, a page at a time: their own, most recently updated first, merged with
    those others shared with them (each with its `role`), placed at the time they were shared.
    `shared=true`: only the shared ones, most recently shared first; `shared=false`: only their own.
    `archived=true`: their own archived conversations."""
    if shared:
        page = members.shared_with(who.user_id, limit=limit, cursor=cursor)
    elif archived or shared is False:
        page = conversations.list(who.user_id, archived=archived, limit=limit, cursor=cursor)
    else:
        page = listing.list(who.user_id, limit=limit, cursor=cursor)
    return ConversationList(
        conversations=[ConversationSummary.of(x) for x in page.conversations], next_cursor=page.next_cursor
    )


@router.get("/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: ConversationId, who: IdentityDep, conversations: ConversationsDep
) -> ConversationDetail:
    """The conversation with its active branch, root first."""
    conversation, branch, _ = conversations.read(who.user_id, conversation_id)
    return ConversationDetail(**ConversationDetail.fields_of(conversation),
                              messages=[MessageBody.of(m) for m in branch])


@router.get("/{conversation_id}/messages", response_model=MessageList)
def list_messages(conversation_id: ConversationId, who: IdentityDep, conversations: ConversationsDep) -> MessageList:
    """Every message of the tree, oldest first (for branch navigation)."""
    conversation, _, messages = conversations.read(who.user_id, conversation_id)
    return MessageList(
        conversation_id=conversation.conversation_id,
        current_message_id=conversation.current_message_id,
        messages=[MessageBody.of(m) for m in messages],
    )


@router.patch("/{conversation_id}", response_model=SuccessBody)
def update_conversation(
    conversation_id: ConversationId, body: UpdateConversationRequest, who: IdentityDep, conversations: ConversationsDep
) -> SuccessBody:
    """Rename, archive or unarchive, or switch the active branch."""
    if body.current_message_id is not None and not is_id(body.current_message_id):
        raise ValidationFailed("currentMessageId is not a valid message id")
    conversations.update(
        who.user_id,
        conversation_id,
        title=body.title,
        archived=body.archived,
        current_message_id=body.current_message_id,
    )
    return SuccessBody()


@router.delete("/{conversation_id}", response_model=SuccessBody)
def delete_conversation(conversation_id: ConversationId, who: IdentityDep, conversations: ConversationsDep,
                        channel: ChannelDep) -> SuccessBody:
    """Delete the conversation and everything it holds (its share links and members too)."""
    conversations.delete(who.user_id, conversation_id)
    channel.close(conversation_id)
    return SuccessBody()
