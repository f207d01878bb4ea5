"""The SSE response's last steps, in the order a Lambda needs them."""

from __future__ import annotations

import asyncio

from parley.api.sse import SseResponse


def test_before_end_runs_after_the_last_event_and_before_the_response_ends():
    order: list[str] = []

    async def events():
        yield b"event: message_end\ndata: {}\n\n"
        order.append("last event")

    async def before_end() -> None:
        await asyncio.sleep(0.01)
        order.append("before_end")

    async def saved() -> None:
        order.append("saved")

    async def receive():
        await asyncio.sleep(10)  # the client stays
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body" and not message.get("more_body"):
            order.append("response ended")

    response = SseResponse(events(), wait_until_saved=saved, before_end=before_end)
    asyncio.run(response({"type": "http"}, receive, send))
    assert order == ["last event", "before_end", "response ended", "saved"]
