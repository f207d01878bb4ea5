"""Chat routes: send, regenerate, stop (streamed answers are Server-Sent Events)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Query
from starlette.concurrency import run_in_threadpool

from parley.api.deps import (
    ConversationId,
    IdempotencyHeader,
    IdentityDep,
    LiveDep,
    MessageId,
    RunnerDep,
    StreamsDep,
    TurnsDep,
)
from parley.api.errors import quota_headers
from parley.api.lazy_routes import api_router
from parley.api.openapi import CHAT_EVENT
from parley.api.schemas import ErrorBody, MessageBody, RegenerateRequest, SendMessageRequest, SuccessBody
from parley.api.sse import SseResponse, encode_events
from parley.chat.generation import Generation
from parley.chat.options import CONTINUE
from parley.chat.plan import Replay, TurnPlan
from parley.chat.replays import Replays
from parley.chat.runner import TurnRunner
from parley.errors import ValidationFailed
from parley.idempotency.records import idempotency_key
from parley.sharing.live import LiveHub

router = api_router(prefix="/conversations", tags=["chat"])

SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `message_start`, `content_chunk`..., then `message_end` or `error`",
        "content": {"text/event-stream": {"schema": CHAT_EVENT}},
    },
}



def respond(result: TurnPlan | Replay, runner: TurnRunner, live: LiveHub) -> SseResponse:
    if isinstance(result, Replay):
        return replay_response(result)
    generation: Generation = runner.start(result)
    forward = None
    if result.conversation_id:  # members viewing the conversation see the turn live
        sent = result.user_message
        user_message = (lambda: MessageBody.of(sent).model_dump(by_alias=True)) if sent is not None else None
        author = result.identity.user_id if result.identity else result.user_id
        forward = live.relay(result.conversation_id, author, user_message, generation.log, result.live_key)
    return SseResponse(
        encode_events(generation.log.batches(ping_every=runner.ping_every)),
        wait_until_saved=generation.wait,
        before_end=(lambda: live.settle(forward)) if forward is not None else None,
        headers=quota_headers(result.quota),
    )


def replay_response(replay: Replay) -> SseResponse:
    """A finished idempotent send, answered again from what was saved."""
    return SseResponse(encode_events(Replays.events(replay).follow()), headers={"idempotent-replayed": "true"})


@router.post("/{conversation_id}/messages", response_model=None, status_code=200, responses=SSE_DOC)
async def send_message(
    conversation_id: ConversationId,
    body: SendMessageRequest,
    who: IdentityDep,
    turns: TurnsDep,
    runner: RunnerDep,
    live: LiveDep,
    idempotency: IdempotencyHeader = None,
) -> SseResponse:
    """Send a message and stream the answer.

    Without `parentMessageId` the message continues the active branch; with one it branches from
    there (to edit a message, send under its parent; `null` starts a new root). With an
    `Idempotency-Key`, a retry never stores a second message: it streams the first answer again
    (or gets 409 while that answer is still being generated).
    """
    key = idempotency_key(who.user_id, f"send:{conversation_id}", idempotency, body.model_dump(mode="json"))
    if key is not None and (replay := await run_in_threadpool(turns.check_replay, who, key)) is not None:
        return replay_response(replay)
    parent = body.parent_message_id if "parent_message_id" in body.model_fields_set else CONTINUE
    result = await run_in_threadpool(
        turns.prepare_send, who, conversation_id,
        content=body.content, parent_id=parent, model=body.model, idempotency=key,
        attachments=tuple(body.attachments),
    )
    return respond(result, runner, live)


@router.post("/{conversation_id}/messages/{message_id}/regenerate", response_model=None,
             status_code=200, responses=SSE_DOC)
async def regenerate(
    conversation_id: ConversationId,
    message_id: MessageId,
    who: IdentityDep,
    turns: TurnsDep,
    runner: RunnerDep,
    live: LiveDep,
    body: RegenerateRequest | None = None,
    idempotency: IdempotencyHeader = None,
) -> SseResponse:
    """A new answer beside an existing one (`messageId`: the answer, or the user message it answers).

    Counts as a send against the rate limits; never answered from the cache.
    """
    key = idempotency_key(who.user_id, f"regenerate:{conversation_id}:{message_id}", idempotency,
                          body.model_dump(mode="json") if body else {})
    if key is not None and (replay := await run_in_threadpool(turns.check_replay, who, key)) is not None:
        return replay_response(replay)
    result = await run_in_threadpool(
        turns.prepare_regenerate, who, conversation_id, message_id,
        model=body.model if body else None, idempotency=key,
    )
    return respond(result, runner, live)


@router.get("/{conversation_id}/messages/{message_id}/events", response_model=None, status_code=200,
            responses=SSE_DOC)
async def resume(
    conversation_id: ConversationId,
    message_id: MessageId,
    who: IdentityDep,
    streams: StreamsDep,
    last_event_id: Annotated[str, Header(alias="Last-Event-ID", pattern=r"^(-1|[0-9]{1,15})$",
                                         description="An event id of this stream")] = None,  # type: ignore[assignment]
    last_event_id_query: Annotated[int | None, Query(alias="lastEventId", ge=-1, le=10**15)] = None,
) -> SseResponse:
    """Resume an answer's stream: what came after `Last-Event-ID` (header, or `lastEventId`), then
    the live generation to its end, from whichever process is generating it. Event ids are offsets
    into the answer, so any process can serve a resume from the saved checkpoint."""
    after = last_event_id_query if last_event_id_query is not None else -1
    if last_event_id is not None:
        try:
            after = int(last_event_id)
        except ValueError as exc:
            raise ValidationFailed("Last-Event-ID must be an event id from this stream") from exc
    events = await streams.resume(who, conversation_id, message_id, after)
    return SseResponse(encode_events(events))


@router.post("/{conversation_id}/messages/{message_id}/stop", response_model=SuccessBody,
             responses={404: {"model": ErrorBody}})
async def stop(conversation_id: ConversationId, message_id: MessageId, who: IdentityDep,
               streams: StreamsDep) -> SuccessBody:
    """End a generation in progress; what was generated is saved with `finishReason: "stopped"`."""
    await streams.stop(who, conversation_id, message_id)
    return SuccessBody()
