"""Live channel benchmark (issue 16): delivery latency from publish to the other members' live streams,
50 viewers on one conversation, in local mode. Prints figures; asserts nothing.

The app runs under uvicorn on loopback (real sockets, the same SseResponse as production) on local
mode's real servers; 50 members (the owner and 49 viewers) each hold ``GET /conversations/{id}/live``
open through httpx. Events are published on the server's loop (as a member's answer chunk, typing or
message is) stamped with ``perf_counter``; each viewer stamps arrival, so a figure is publish ->
parsed by the subscriber. Server and subscribers share one process (and its GIL), which makes the
figures pessimistic rather than flattering.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid

import httpx

from parley.app import create_app
from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET, Settings
from tests.bench.servers import scratch_servers
from tests.support import LiveServer

VIEWERS = 50
EVENTS = 200
SPACING_S = 0.02


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def subscribe(http: httpx.AsyncClient, url: str, headers: dict[str, str], ready: asyncio.Event,
                    arrivals: list[tuple[int, float]], done: asyncio.Event) -> None:
    async with http.stream("GET", url, headers=headers) as r:
        assert r.status_code == 200, r.status_code
        ready.set()
        name = ""
        async for line in r.aiter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:") and name == "bench":
                data = json.loads(line[5:])
                arrivals.append((data["seq"], time.perf_counter() - data["t"]))
                if data["seq"] == EVENTS - 1:
                    return
            if done.is_set():
                return


async def run(server: LiveServer, app) -> None:
    owner_id = f"owner-{uuid.uuid4().hex[:8]}"
    users = [owner_id] + [f"viewer-{i}-{uuid.uuid4().hex[:6]}" for i in range(VIEWERS - 1)]
    headers = {u: {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, u, 'plus')}"} for u in users}
    limits = httpx.Limits(max_connections=VIEWERS + 10, max_keepalive_connections=VIEWERS + 10)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
        cid = (await http.post("/conversations", json={"title": "bench"}, headers=headers[owner_id])).json()[
            "conversationId"]
        for u in users[1:]:
            r = await http.post(f"/conversations/{cid}/members", json={"userId": u, "role": "viewer"},
                                headers=headers[owner_id])
            assert r.status_code == 201, r.text
        arrivals: list[tuple[int, float]] = []
        done = asyncio.Event()
        readies = [asyncio.Event() for _ in users]
        tasks = [asyncio.create_task(subscribe(http, f"/conversations/{cid}/live", headers[u], ready, arrivals, done))
                 for u, ready in zip(users, readies, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        await asyncio.sleep(0.5)  # the presence burst of 50 joins settles
        hub = app.state.container.live
        loop = hub._channels[cid].loop
        for seq in range(EVENTS):
            loop.call_soon_threadsafe(lambda s=seq: hub.publish(cid, "bench", {"seq": s, "t": time.perf_counter()}))
            await asyncio.sleep(SPACING_S)
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), 30)
        finally:
            done.set()
    latencies = [a[1] * 1000 for a in arrivals]
    per_event: dict[int, float] = {}
    for seq, lat in arrivals:
        per_event[seq] = max(per_event.get(seq, 0.0), lat * 1000)
    expected = EVENTS * VIEWERS
    print(f"live channel, {VIEWERS} viewers on one conversation, {EVENTS} events {SPACING_S * 1000:.0f} ms apart "
          f"({len(arrivals)}/{expected} deliveries)")
    print(f"  publish -> a subscriber: p50 {statistics.median(latencies):.2f} ms, p99 {pct(latencies, 0.99):.2f} ms, "
          f"max {max(latencies):.2f} ms")
    last = list(per_event.values())
    print(f"  publish -> the last of the {VIEWERS} subscribers: p50 {statistics.median(last):.2f} ms, "
          f"p99 {pct(last, 0.99):.2f} ms")


def main() -> None:
    with scratch_servers():
        app = create_app(Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                                  generate_titles=False))
        with LiveServer(app) as server:
            asyncio.run(run(server, app))


if __name__ == "__main__":
    main()
