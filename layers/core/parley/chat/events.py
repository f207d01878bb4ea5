"""SSE events of a turn and the in-memory log that live readers follow.

Event ids are offsets into the answer: ``message_start`` is 0, a ``content_chunk`` carries the number
of characters of the answer sent up to and including it, and the final event is that total plus
one. They increase, and a reader that reconnects with ``Last-Event-ID: N`` needs only the answer from
character N on, which any process can serve from the saved checkpoint.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

PING = b": ping\n\n"


@dataclass(frozen=True, slots=True)
class SseEvent:
    name: str
    data: dict[str, Any]
    id: int

    def encode(self) -> bytes:
        if self.name == "content_chunk" and len(self.data) == 1:
            # The hot path (one per delta): only the text needs JSON escaping.
            return b"id: %d\nevent: content_chunk\ndata: {\"delta\":%s}\n\n" % (
                self.id, json_text(self.data["delta"]).encode())
        payload = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        return f"id: {self.id}\nevent: {self.name}\ndata: {payload}\n\n".encode()

    @property
    def terminal(self) -> bool:
        return self.name in ("message_end", "error")


#: Compact JSON of one value, non-ASCII kept (what every event payload uses).
json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class EventLog:
    """Events of one generation, appended by the generator and followed by any number of readers.

    Readers wait on a future of their own, woken by the next append (no task or Event per event:
    the relay appends once per model delta), and take every event that arrived meanwhile at once.
    """

    def __init__(self) -> None:
        self._events: list[SseEvent] = []
        self._waiters: list[asyncio.Future[None]] = []
        self.offset = 0  # characters of answer emitted so far

    @property
    def events(self) -> list[SseEvent]:
        return list(self._events)

    @property
    def closed(self) -> bool:
        return bool(self._events) and self._events[-1].terminal

    def start(self, data: dict[str, Any]) -> None:
        self._append(SseEvent("message_start", data, 0))

    def chunk(self, delta: str) -> None:
        self.offset += len(delta)
        self._append(SseEvent("content_chunk", {"delta": delta}, self.offset))

    def note(self, name: str, data: dict[str, Any]) -> None:
        """An event between chunks (``model_switched``): it shares the id of the text before it, so a
        resume from a later id does not repeat it (the final event names the model anyway)."""
        self._append(SseEvent(name, data, self.offset))

    def end(self, name: str, data: dict[str, Any]) -> None:
        self._append(SseEvent(name, data, self.offset + 1))

    def _append(self, event: SseEvent) -> None:
        self._events.append(event)
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def follow(self, after: int = -1, *, ping_every: float = 15.0) -> AsyncIterator[SseEvent | None]:
        """Events with id > ``after`` as they arrive; None when ``ping_every`` passes in silence."""
        async for batch in self.batches(after, ping_every=ping_every):
            if batch is None:
                yield None
                continue
            for event in batch:
                yield event

    async def batches(self, after: int = -1, *, ping_every: float = 15.0
                      ) -> AsyncIterator[list[SseEvent] | None]:
        """Like :meth:`follow`, but every event that is already there comes in one list (one write)."""
        index = 0
        loop = asyncio.get_running_loop()
        while True:
            if index < len(self._events):
                pending = self._events[index:]
                index += len(pending)
                batch = [_from_offset(e, after) for e in pending if e.id > after]
                if batch:
                    yield batch
                if pending[-1].terminal:
                    return
                continue
            waiter = loop.create_future()
            self._waiters.append(waiter)
            timer = loop.call_later(ping_every, _timed_out, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
            if index >= len(self._events):
                yield None


def _timed_out(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _from_offset(event: SseEvent, after: int) -> SseEvent:
    """A chunk that straddles ``after`` (an offset another process's checkpoints handed out) is cut,
    so that a resumed reader never gets a character twice."""
    if event.name != "content_chunk":
        return event
    delta = event.data["delta"]
    start = event.id - len(delta)
    if after <= start:
        return event
    return SseEvent(event.name, {"delta": delta[after - start :]}, event.id)
