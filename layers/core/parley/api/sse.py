"""An ASGI response that streams a generation's events as Server-Sent Events.

Unlike Starlette's StreamingResponse, it does not return when the client goes away: it stops
sending and waits until the generation is saved. Under the Lambda Web Adapter the invocation lasts as
long as this response, so returning early could freeze the environment with the answer unsaved.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from parley.chat.events import PING, SseEvent

SSE_HEADERS = {
    "cache-control": "no-cache",
    "x-accel-buffering": "no",  # proxies must not buffer the stream
    "connection": "keep-alive",
}


class SseResponse(Response):
    media_type = "text/event-stream"

    def __init__(  # noqa: D107 - Response's body rendering does not apply to a stream

        self,
        events: AsyncIterator[bytes],
        *,
        wait_until_saved: Callable[[], Awaitable[None]] | None = None,
        before_end: Callable[[], Awaitable[None]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = 200
        self.background = None
        self._events = events
        self._wait = wait_until_saved
        # Awaited after the last event and before the response ends (on Lambda, the end of the
        # response may freeze the process: what must go out first goes here).
        self._before_end = before_end
        self._stream_headers = {**SSE_HEADERS, **(headers or {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
        raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self._stream_headers.items()]
        async def stream(cancel: anyio.CancelScope) -> None:
            try:
                await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
                async for body in self._events:
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                if self._before_end is not None:
                    await self._before_end()
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass  # the client went away; the generation goes on and is saved below
            cancel.cancel()

        async def watch_disconnect(cancel: anyio.CancelScope) -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            cancel.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(stream, group.cancel_scope)
            group.start_soon(watch_disconnect, group.cancel_scope)
        if self._wait is not None:
            with anyio.CancelScope(shield=True):
                await self._wait()


async def encode_events(events: AsyncIterable[SseEvent | list[SseEvent] | None]) -> AsyncIterator[bytes]:
    """Parley's own SSE events as bytes; ``None`` (a quiet spell) becomes a ping comment, and a list
    (what had arrived at once, from :meth:`EventLog.batches`) goes out as one write."""
    async for event in events:
        if event is None:
            yield PING
        elif isinstance(event, list):
            yield event[0].encode() if len(event) == 1 else b"".join(e.encode() for e in event)
        else:
            yield event.encode()
