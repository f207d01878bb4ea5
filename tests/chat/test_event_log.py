"""The in-memory event log the relay writes once per model delta and readers follow."""

from __future__ import annotations

import asyncio

from parley.chat.events import EventLog, SseEvent


def test_events_that_arrived_meanwhile_come_in_one_batch_and_pings_fill_silence():
    async def run() -> list[list[str] | None]:
        log = EventLog()
        log.start({})
        seen: list[list[str] | None] = []

        async def read() -> None:
            async for batch in log.batches(ping_every=0.05):
                seen.append(None if batch is None else [e.name for e in batch])

        reader = asyncio.ensure_future(read())
        await asyncio.sleep(0.08)  # one quiet spell: a ping
        log.chunk("a")
        log.chunk("b")
        log.end("message_end", {})
        await asyncio.wait_for(reader, 1)
        return seen

    seen = asyncio.run(run())
    assert seen[0] == ["message_start"]
    assert None in seen
    assert seen[-1] == ["content_chunk", "content_chunk", "message_end"]


def test_many_readers_each_get_every_event():
    async def run() -> list[str]:
        log = EventLog()

        async def read() -> str:
            return "".join([e.data["delta"] async for e in log.follow() if e is not None and e.name == "content_chunk"])

        readers = [asyncio.ensure_future(read()) for _ in range(3)]
        await asyncio.sleep(0)
        log.start({})
        for part in ("Hel", "lo"):
            log.chunk(part)
            await asyncio.sleep(0)
        log.end("message_end", {})
        return list(await asyncio.gather(*readers))

    assert asyncio.run(run()) == ["Hello"] * 3


def test_content_chunk_encoding_is_plain_json():
    raw = SseEvent("content_chunk", {"delta": 'é "q"\n'}, 7).encode()
    assert raw == 'id: 7\nevent: content_chunk\ndata: {"delta":"é \\"q\\"\\n"}\n\n'.encode()
