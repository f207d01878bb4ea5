"""The live channel on AWS: the hub's events forwarded to AppSync Events, in order, off the event loop.

In aws mode the members' browsers subscribe to AppSync Events (the Lambda authorizer checks each
subscription against the same rules as the API), and the functions publish there, to the channel
of the conversation's current key (``/conversations/<id>/<key>``). Only a conversation that has a
key (it has had members) is published, and the key comes from the turn's own consistent read of the
conversation: publishing costs no read at all. Events queue in publish order and one task sends
them, several per request, in a worker thread; a failed publish is logged (never its content) and
dropped: live delivery is best effort, the conversation itself is saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from parley.chat.events import SseEvent
from parley.observability import logger

#: Events sent in one drain step (the publisher splits them into requests of 5).
BATCH = 25


class Publisher(Protocol):
    def publish(self, channel: str, events: Sequence[Mapping[str, Any]]) -> None: ...


def wire(event: SseEvent) -> dict[str, Any]:
    """An event as it is published (and as the local realtime server delivers it): one JSON object."""
    return {"event": event.name, "id": event.id, "data": event.data}


class RemoteRelay:
    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._queue: asyncio.Queue[tuple[str, SseEvent]] | None = None
        self._drain: asyncio.Task[None] | None = None

    def send(self, channel: str, event: SseEvent) -> None:
        """Queue an event for ``channel`` (called on the event loop); the drain task publishes it."""
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait((channel, event))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.get_running_loop().create_task(self._run())

    def publish_now(self, channel: str, event: SseEvent) -> None:
        """Publish one event at once, in the calling thread (a buffered route's last word, such as
        ``rekey``: under Mangum nothing runs after the response, so it cannot wait for the drain)."""
        self._publish_batch(channel, [wire(event)])

    async def _run(self) -> None:
        assert self._queue is not None
        while not self._queue.empty():
            first = self._queue.get_nowait()
            batch = [first]
            # Consecutive events of one channel go out together (they keep their order).
            while len(batch) < BATCH and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt[0] != first[0]:
                    await self._publish(first[0], batch)
                    first, batch = nxt, [nxt]
                    continue
                batch.append(nxt)
            await self._publish(first[0], batch)

    async def _publish(self, channel: str, batch: list[tuple[str, SseEvent]]) -> None:
        await asyncio.to_thread(self._publish_batch, channel, [wire(e) for _, e in batch])

    def _publish_batch(self, channel: str, events: list[dict[str, Any]]) -> None:
        try:
            self._publisher.publish(channel, events)
        except Exception:  # noqa: BLE001 (best effort: the turn it reports is saved either way)
            # The channel path holds the key: only the conversation id is logged.
            logger.warning("live publish failed", extra={"conversation_id": channel.split("/")[2],
                                                         "events": len(events)}, exc_info=True)

    async def flush(self) -> None:
        """Until everything queued is published (tests, and the end of an invocation)."""
        while self._drain is not None and not self._drain.done():
            await asyncio.shield(self._drain)
