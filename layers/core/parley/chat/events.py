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
        payload = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        return f"id: {self.id}\nevent: {self.name}\ndata: {payload}\n\n".encode()

    @property
    def terminal(self) -> bool:
        return self.name in ("message_end", "error")


class EventLog:
    """Events of one generation, appended by the generator and followed by any number of readers."""

    def __init__(self) -> None:
        self._events: list[SseEvent] = []
        self._changed = asyncio.Event()
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
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def follow(self, after: int = -1, *, ping_every: float = 15.0) -> AsyncIterator[SseEvent | None]:
        """Events with id > ``after`` as they arrive; None when ``ping_every`` passes in silence."""
        index = 0
        while True:
            while index < len(self._events):
                event = self._events[index]
                index += 1
                if event.id > after:
                    yield _from_offset(event, after)
                if event.terminal:
                    return
            waiter = self._changed
            try:
                await asyncio.wait_for(waiter.wait(), timeout=ping_every)
            except TimeoutError:
                yield None


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
