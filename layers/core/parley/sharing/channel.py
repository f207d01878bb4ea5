"""The live channel of a shared conversation as its members use it: who may follow, type, who is
viewing, and where its realtime channel is."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

import anyio

from parley.auth import Identity
from parley.chat.events import SseEvent
from parley.conversations.repository import ConversationRepository
from parley.errors import Forbidden, NotFound
from parley.ids import now_ms
from parley.sharing.appsync import channel_of
from parley.sharing.live import LiveHub
from parley.sharing.presence import PresenceChange, PresenceStore

#: Events only realtime (WebSocket) subscribers get: the Server-Sent Events route follows the
#: conversation itself, whatever its key.
REALTIME_ONLY = frozenset({"rekey"})


class LiveChannel:
    def __init__(self, hub: LiveHub, repository: ConversationRepository, presence: PresenceStore, *,
                 ping_every: float, run_blocking: Callable[..., Awaitable[Any]]) -> None:
        self._hub = hub
        self._repo = repository
        self._presence = presence
        #: How often a viewer renews its presence (what ``PUT .../presence`` tells the page).
        self.heartbeat_s = presence.heartbeat_s
        self._ping_every = ping_every
        self._run_blocking = run_blocking

    async def typing(self, who: Identity, conversation_id: str) -> None:
        """A keystroke of a member who may write (the owner and participants)."""
        conversation = await self._run_blocking(self._repo.get, who.user_id, conversation_id)
        if conversation.role == "viewer":
            raise Forbidden("a viewer cannot type in this conversation")
        self._hub.typing(conversation_id, who.user_id, conversation.live_key)
        await self._hub.flush()

    async def channel(self, who: Identity, conversation_id: str) -> str | None:
        """The realtime channel to subscribe to (``/conversations/<id>/<key>``) for the owner or a
        current member (anyone else: 404); None while the conversation has never had members."""
        conversation = await self._run_blocking(self._repo.get, who.user_id, conversation_id)
        return channel_of(conversation_id, conversation.live_key) if conversation.live_key else None

    async def here(self, who: Identity, conversation_id: str) -> PresenceChange:
        """A heartbeat of someone viewing (owner or any member; anyone else: 404): who is viewing now.
        Published to the live channel when that changed."""
        return await self._presence_change(self._presence.beat, who, conversation_id)

    async def gone(self, who: Identity, conversation_id: str) -> None:
        """Someone stopped viewing (a closed page). Anyone else: 404."""
        await self._presence_change(self._presence.leave, who, conversation_id)

    async def _presence_change(self, change_by: Callable[[str, str, int], PresenceChange], who: Identity,
                               conversation_id: str) -> PresenceChange:
        conversation = await self._run_blocking(self._repo.get, who.user_id, conversation_id)
        change: PresenceChange = await self._run_blocking(change_by, conversation_id, who.user_id, now_ms())
        if change.changed:
            self._hub.presence(conversation_id, change.viewers, change.version, conversation.live_key)
            await self._hub.flush()
        return change

    async def follow(self, who: Identity, conversation_id: str, after: int | None) -> AsyncIterator[SseEvent | None]:
        """The events after ``after``, for as long as the reader may see the conversation (checked
        now, so that anyone else gets a 404, and again whenever the hub asks). The reader counts as
        viewing while it follows (its pings renew that)."""
        await self._run_blocking(self._repo.get, who.user_id, conversation_id)
        return self._events(who, conversation_id, after)

    async def _events(self, who: Identity, conversation_id: str, after: int | None) -> AsyncIterator[SseEvent | None]:
        seen = self._hub.last_id(conversation_id)
        seen = seen if after is None else min(after, seen)  # the id its own presence event carries
        events = self.subscribe(who.user_id, conversation_id, after)  # from now: it sees its own arrival
        async with contextlib.aclosing(events):
            try:
                now = await self.here(who, conversation_id)
                # Whether or not that changed the set (a second tab does not), the newcomer learns it.
                yield SseEvent("presence", {"conversationId": conversation_id, "viewers": now.viewers,
                                            "version": now.version, "at": now_ms()}, seen)
                renewed = time.monotonic()
                async for event in events:
                    if event is None and time.monotonic() - renewed >= self.heartbeat_s:
                        await self.here(who, conversation_id)
                        renewed = time.monotonic()
                    if event is None or event.name not in REALTIME_ONLY:
                        yield event
            finally:
                # Also when the reader's request is cancelled: the leave must still be written.
                with anyio.CancelScope(shield=True):
                    with contextlib.suppress(NotFound):
                        await self.gone(who, conversation_id)

    def subscribe(self, user_id: str, conversation_id: str,
                  after: int | None) -> AsyncGenerator[SseEvent | None, None]:
        """Every event of the hub's channel (``rekey`` included), for an already authorized reader."""
        async def still_allowed() -> bool:
            try:
                await self._run_blocking(self._repo.get, user_id, conversation_id)
            except NotFound:
                return False
            return True

        return self._hub.follow(conversation_id, user_id, after, ping_every=self._ping_every,
                                still_allowed=still_allowed)

    def close(self, conversation_id: str) -> None:
        """End every subscription of a deleted conversation."""
        self._hub.close(conversation_id)
