"""The live channel on AWS: the hub's events forwarded to AppSync Events, in order, off the event loop.

In aws mode the members' browsers subscribe to AppSync Events (the Lambda authorizer checks each
subscription against the same rules as the API), and the functions publish there. Only a
conversation that has members is published (one consistent Query of its member items per turn, made
after the answer has started): a private conversation costs nothing here. Events queue in publish
order and one task sends them, several per request, in a worker thread; a failed publish is logged
(never its content) and dropped: live delivery is best effort, the conversation itself is saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from parley.chat.events import SseEvent
from parley.observability import logger

#: Events sent in one drain step (the publisher splits them into requests of 5).
BATCH = 25


class Publisher(Protocol):
    def publish(self, conversation_id: str, events: list[dict[str, Any]]) -> None: ...


class RemoteRelay:
    def __init__(self, publisher: Publisher, has_members: Callable[[str], bool]) -> None:
        self._publisher = publisher
        self._has_members = has_members
        self._queue: asyncio.Queue[tuple[str, SseEvent]] | None = None
        self._drain: asyncio.Task[None] | None = None

    async def wanted(self, conversation_id: str) -> bool:
        """Whether the conversation has members to deliver to (read in a worker thread)."""
        return await asyncio.to_thread(self._has_members, conversation_id)

    def send(self, conversation_id: str, event: SseEvent) -> None:
        """Queue an event (called on the event loop); the drain task publishes it."""
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait((conversation_id, event))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self._queue is not None
        while not self._queue.empty():
            first = self._queue.get_nowait()
            batch = [first]
            # Consecutive events of one conversation go out together (they keep their order).
            while len(batch) < BATCH and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt[0] != first[0]:
                    await self._publish(first[0], batch)
                    first, batch = nxt, [nxt]
                    continue
                batch.append(nxt)
            await self._publish(first[0], batch)

    async def _publish(self, conversation_id: str, batch: list[tuple[str, SseEvent]]) -> None:
        events = [{"event": e.name, "id": e.id, "data": e.data} for _, e in batch]
        try:
            await asyncio.to_thread(self._publisher.publish, conversation_id, events)
        except Exception:  # noqa: BLE001 (best effort: the turn it reports is saved either way)
            logger.warning("live publish failed", extra={"conversation_id": conversation_id,
                                                         "events": len(events)}, exc_info=True)

    async def flush(self) -> None:
        """Until everything queued is published (tests, and the end of an invocation)."""
        while self._drain is not None and not self._drain.done():
            await asyncio.shield(self._drain)
