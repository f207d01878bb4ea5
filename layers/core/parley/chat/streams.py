"""An answer's stream after the request that started it: resume from a Last-Event-ID, and stop."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio

from parley.auth import Identity
from parley.chat.events import SseEvent
from parley.chat.options import ChatOptions
from parley.chat.runner import ActiveGenerations
from parley.chat.saved_events import final_event_of, start_data_of
from parley.conversations.model import Message
from parley.conversations.repository import ConversationRepository
from parley.errors import NotFound, ValidationFailed


class StreamService:
    def __init__(
        self,
        *,
        repository: ConversationRepository,
        active: ActiveGenerations,
        options: ChatOptions,
        run_blocking: Callable[..., Awaitable[Any]],
    ) -> None:
        self._repo = repository
        self._active = active
        self._opts = options
        self._run_blocking = run_blocking

    @property
    def ping_every(self) -> float:
        return self._opts.ping_interval_s

    async def resume(
        self, who: Identity, conversation_id: str, message_id: str, after: int, *, max_wait_s: float = 900.0,
    ) -> AsyncIterator[SseEvent | None]:
        """Events of an answer after ``after`` (a Last-Event-ID), then live ones to its end.

        Checks ownership before returning, so a foreign or missing message is a 404, not a stream.
        Served from memory when the generation runs in this process; otherwise from the checkpoints
        the generating process writes every few seconds, polled until the answer is saved.
        """
        local = self._active.find(who.user_id, conversation_id, message_id)
        if local is not None:
            return local.log.follow(after, ping_every=self._opts.ping_interval_s)
        message = await self._run_blocking(self._repo.get_message, who.user_id, conversation_id, message_id)
        if message.role != "assistant":
            raise ValidationFailed("only an answer has events to resume")
        # A member following another member's answer that runs here: token by token, not per checkpoint.
        running = self._active.running(conversation_id, message_id)
        if running is not None:
            return running.log.follow(after, ping_every=self._opts.ping_interval_s)
        return self._replay_from_store(who, message, after, max_wait_s=max_wait_s)

    async def _replay_from_store(
        self, who: Identity, message: Message, after: int, *, max_wait_s: float
    ) -> AsyncIterator[SseEvent | None]:
        poll_s, ping_every = self._opts.resume_poll_s, self._opts.ping_interval_s
        offset = max(after, 0)
        if after < 0:
            yield SseEvent("message_start", {**start_data_of(message), "resumed": True}, 0)
        deadline = time.monotonic() + max_wait_s
        quiet_since = time.monotonic()
        while True:
            content = message.content
            if len(content) > offset:
                yield SseEvent("content_chunk", {"delta": content[offset:]}, len(content))
                offset = len(content)
                quiet_since = time.monotonic()
            if message.status != "generating":
                break
            if time.monotonic() > deadline:
                yield SseEvent("error", {"code": "resume_timeout", "message": "the answer is still being generated",
                                         "retryable": True}, offset + 1)
                return
            await anyio.sleep(poll_s)
            if time.monotonic() - quiet_since >= ping_every:
                quiet_since = time.monotonic()
                yield None
            try:
                message = await self._run_blocking(self._repo.get_message, who.user_id, message.conversation_id,
                                                   message.message_id)
            except Exception as exc:  # deleted meanwhile, or AWS unavailable: end the stream cleanly
                gone = isinstance(exc, NotFound)
                yield SseEvent("error", {"code": "not_found" if gone else "service_unavailable",
                                         "message": "the answer is no longer available" if gone
                                         else "temporarily unavailable, please retry",
                                         "retryable": not gone}, offset + 1)
                return
        name, data = final_event_of(message)
        yield SseEvent(name, data, offset + 1)

    async def stop(self, who: Identity, conversation_id: str, message_id: str) -> None:
        """Stop a generation: at once if it runs here, else through the flag its process polls."""
        local = self._active.find(who.user_id, conversation_id, message_id)
        if local is not None:
            local.request_stop()
            return
        await self._run_blocking(self._repo.request_stop, who.user_id, conversation_id, message_id)
