"""The live channel of a shared conversation as its members use it: who may follow and type."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from parley.auth import Identity
from parley.chat.events import SseEvent
from parley.conversations.repository import ConversationRepository
from parley.errors import Forbidden, NotFound
from parley.sharing.live import LiveHub


class LiveChannel:
    def __init__(self, hub: LiveHub, repository: ConversationRepository, *, ping_every: float,
                 run_blocking: Callable[..., Awaitable[Any]]) -> None:
        self._hub = hub
        self._repo = repository
        self._ping_every = ping_every
        self._run_blocking = run_blocking

    async def typing(self, who: Identity, conversation_id: str) -> None:
        """A keystroke of a member who may write (the owner and participants)."""
        conversation = await self._run_blocking(self._repo.get, who.user_id, conversation_id)
        if conversation.role == "viewer":
            raise Forbidden("a viewer cannot type in this conversation")
        self._hub.typing(conversation_id, who.user_id)

    async def follow(self, who: Identity, conversation_id: str, after: int | None) -> AsyncIterator[SseEvent | None]:
        """The events after ``after``, for as long as the reader may see the conversation (checked
        now, so that anyone else gets a 404, and again whenever the hub asks)."""
        await self._run_blocking(self._repo.get, who.user_id, conversation_id)

        async def still_allowed() -> bool:
            try:
                await self._run_blocking(self._repo.get, who.user_id, conversation_id)
            except NotFound:
                return False
            return True

        return self._hub.follow(conversation_id, who.user_id, after, ping_every=self._ping_every,
                                still_allowed=still_allowed)

    def close(self, conversation_id: str) -> None:
        """End every subscription of a deleted conversation."""
        self._hub.close(conversation_id)
