"""Chat routes: send, regenerate, stop (streamed answers are Server-Sent Events)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from parley.api.deps import ContainerDep, ConversationId, IdentityDep, MessageId
from parley.api.schemas import ErrorBody, RegenerateRequest, SendMessageRequest, SuccessBody
from parley.api.sse import SseResponse
from parley.chat.generation import Generation
from parley.chat.service import CONTINUE

router = APIRouter(prefix="/conversations", tags=["chat"])

SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `message_start`, `content_chunk`..., then `message_end` or `error`",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    401: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
    429: {"model": ErrorBody},
}


def stream_of(generation: Generation, ping_every: float) -> SseResponse:
    return SseResponse(generation.log.follow(ping_every=ping_every), wait_until_saved=generation.wait)


@router.post("/{conversation_id}/messages", response_class=SseResponse, response_model=None,
             responses=SSE_DOC)
async def send_message(
    conversation_id: ConversationId, body: SendMessageRequest, who: IdentityDep, c: ContainerDep
) -> SseResponse:
    """Send a message and stream the answer.

    Without `parentMessageId` the message continues the active branch; with one it branches from
    there (to edit a message, send under its parent; `null` starts a new root).
    """
    parent = body.parent_message_id if "parent_message_id" in body.model_fields_set else CONTINUE
    plan = await run_in_threadpool(
        c.chat.prepare_send,
        who.user_id,
        conversation_id,
        content=body.content,
        parent_id=parent,
        model=body.model,
    )
    return stream_of(c.chat.start(plan), c.settings.ping_interval_s)


@router.post("/{conversation_id}/messages/{message_id}/regenerate", response_class=SseResponse,
             response_model=None, responses=SSE_DOC)
async def regenerate(
    conversation_id: ConversationId,
    message_id: MessageId,
    who: IdentityDep,
    c: ContainerDep,
    body: RegenerateRequest | None = None,
) -> SseResponse:
    """A new answer beside an existing one (`messageId`: the answer, or the user message it answers)."""
    plan = await run_in_threadpool(
        c.chat.prepare_regenerate, who.user_id, conversation_id, message_id, model=body.model if body else None
    )
    return stream_of(c.chat.start(plan), c.settings.ping_interval_s)


@router.post("/{conversation_id}/messages/{message_id}/stop", response_model=SuccessBody,
             responses={404: {"model": ErrorBody}})
async def stop(conversation_id: ConversationId, message_id: MessageId, who: IdentityDep,
               c: ContainerDep) -> SuccessBody:
    """End a generation in progress; what was generated is saved with `finishReason: "stopped"`."""
    await c.chat.stop(who.user_id, conversation_id, message_id)
    return SuccessBody()
