"""Chat hot-path figures (issues 3 and 15): AWS calls and DynamoDB bytes per turn, time to first
token, relay throughput, context build time (cold init: bench_init.py). Prints figures; asserts nothing.

Runs on local mode's real servers (DynamoDB Local in memory and the S3 server, each its own
process, as DynamoDB and S3 are in production) with the simulator; nothing serializes requests,
so concurrent figures are the platform's and the servers' own. The share of wall time spent waiting
on AWS calls is printed beside them.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import contextmanager
from pathlib import Path

import botocore.client
import httpx
from starlette.concurrency import run_in_threadpool

from parley.app import create_app
from parley.auth import Identity
from parley.auth.local_jwt import issue_token
from parley.context.builder import build_context
from parley.conversations.model import Message
from parley.ids import new_id, now_ms
from parley.inference.base import Completion, TextDelta
from parley.settings import DEV_JWT_SECRET, Settings
from tests.bench.servers import scratch_servers

ROOT = Path(__file__).resolve().parents[2]
WRITE_OPS = {"PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem", "DeleteItem"}


class CallLog:
    """Every botocore API call in the process: name, request size, time spent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, float]] = []
        #: UpdateItems of member items (``U#``): a shared conversation's list entries following a turn.
        self.member_moves = 0

    @contextmanager
    def active(self):
        original = botocore.client.BaseClient._make_api_call
        log = self

        def counting(client, operation_name, api_params):
            started = time.perf_counter()
            try:
                return original(client, operation_name, api_params)
            finally:
                if operation_name == "UpdateItem" and api_params.get("Key", {}).get("sk", {}).get("S", "")[:2] == "U#":
                    log.member_moves += 1
                size = written_bytes(operation_name, api_params) if operation_name in WRITE_OPS else 0
                log.calls.append((operation_name, size, time.perf_counter() - started))

        botocore.client.BaseClient._make_api_call = counting
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original


def _value_size(value: dict) -> int:
    """DynamoDB's size of one typed attribute value (strings by UTF-8 bytes, numbers ~ digits/2 + 1)."""
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return len(raw.lstrip("-").replace(".", "")) // 2 + 1
    if kind == "BOOL" or kind == "NULL":
        return 1
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in raw.items())
    return len(str(raw))


def _item_size(item: dict) -> int:
    return sum(len(k.encode()) + _value_size(v) for k, v in item.items())


def _update_size(op: dict) -> int:
    names = op.get("ExpressionAttributeNames", {})
    values = op.get("ExpressionAttributeValues", {})
    return sum(len(n.encode()) for n in names.values()) + sum(_value_size(v) for v in values.values())


def written_bytes(operation: str, params: dict) -> int:
    """Bytes of attribute names and values a write sends (DynamoDB's item-size rules)."""
    if operation == "PutItem":
        return _item_size(params["Item"])
    if operation == "UpdateItem":
        return _update_size(params)
    if operation == "TransactWriteItems":
        total = 0
        for entry in params["TransactItems"]:
            (kind, op), = entry.items()
            total += _item_size(op["Item"]) if kind == "Put" else _update_size(op) if kind == "Update" else 0
        return total
    if operation == "BatchWriteItem":
        return sum(_item_size(r["PutRequest"]["Item"]) for reqs in params["RequestItems"].values()
                   for r in reqs if "PutRequest" in r)
    return 0


def fresh_settings(**overrides) -> Settings:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    base = dict(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, limit_free_per_hour=1_000_000,
                limit_plus_per_hour=1_000_000, limit_plus_tokens_per_day=10**12,
                table_conversations=f"{prefix}-conversations", table_usage=f"{prefix}-usage",
                table_cache=f"{prefix}-cache", table_idempotency=f"{prefix}-idem", bucket_data=f"{prefix}-data")
    base.update(overrides)
    return Settings(**base)


async def run_turn(container, who: Identity, cid: str, content: str, log: CallLog) -> tuple[int, int, int, int]:
    """One turn through the chat service: (calls before first token, calls in all, bytes written, stop checks)."""
    start = len(log.calls)
    plan = await asyncio.to_thread(container.turns.prepare_send, who, cid, content=content)
    before_first = len(log.calls) - start
    generation = container.runner.start(plan)
    async for event in generation.log.follow():
        if event is not None and event.terminal:
            break
    await generation.wait()
    await asyncio.sleep(0)  # let after-save hooks finish their thread hop
    calls = log.calls[start:]
    checkpoints = sum(1 for name, _, _ in calls if name == "UpdateItem")
    written = sum(size for name, size, _ in calls if name in WRITE_OPS)
    return before_first, len(calls), written, checkpoints


def bench_calls_and_bytes() -> dict[str, object]:
    app = create_app(fresh_settings(cache_enabled=True))
    container = app.state.container
    who = Identity(f"bench-{uuid.uuid4().hex[:6]}", "plus")
    cid = container.conversations.create(who.user_id, title="bench", model="parley-fast", system_prompt=None)[0]
    log = CallLog()
    results = []
    with log.active():
        for i in range(30):
            results.append(asyncio.run(run_turn(container, who, cid, f"Turn {i}: tell me more about topic {i}.", log)))
    first, thirtieth = results[0], results[29]
    return {
        "aws_calls_before_first_token": first[0],
        "aws_calls_per_turn_total": first[1],
        "aws_calls_turn30_before_first_token": thirtieth[0],
        "aws_calls_turn30_total": thirtieth[1],
        "dynamodb_bytes_written_turn1": first[2],
        "dynamodb_bytes_written_turn30": thirtieth[2],
    }


def bench_shared_calls(members: int, turns: int = 5) -> dict[str, object]:
    """A shared conversation's turn: the same calls as an unshared one's, plus one UpdateItem per
    member (its list entry follows the turn), made beside the answer, never before the first token."""
    app = create_app(fresh_settings(cache_enabled=True))
    container = app.state.container
    who = Identity(f"bench-{uuid.uuid4().hex[:6]}", "plus")
    cid = container.conversations.create(who.user_id, title="bench", model="parley-fast", system_prompt=None)[0]
    for i in range(members):
        container.members.add(who.user_id, cid, f"member-{i}", "viewer")
    log = CallLog()
    other, moves = [], []
    with log.active():
        for i in range(turns):
            start, moved = len(log.calls), log.member_moves
            asyncio.run(run_turn(container, who, cid, f"Turn {i}: tell me more about topic {i}.", log))
            moves.append(log.member_moves - moved)
            other.append(len(log.calls) - start - moves[-1])
    return {"members": members, "aws_calls_per_turn_besides_members": other[-1],
            "member_entry_updates_per_turn": moves[-1]}


def bench_ttft_inprocess(concurrency: int, rounds: int = 3) -> dict[str, float]:
    """Platform time to first token measured in-process (no HTTP), with the time spent waiting on
    AWS (the local servers) reported apart: ``platform_*`` is the rest, the platform's own work."""
    app = create_app(fresh_settings(cache_enabled=False))
    return _ttft_rounds(app.state.container, concurrency, rounds)


def _ttft_rounds(container, concurrency: int, rounds: int) -> dict[str, float]:
    whos = [Identity(f"ttft-{uuid.uuid4().hex[:6]}", "plus") for _ in range(concurrency)]
    cids = [container.conversations.create(w.user_id, title="t", model="parley-fast", system_prompt=None)[0]
            for w in whos]

    async def one(i: int) -> tuple[float, float]:
        started = time.perf_counter()
        plan = await run_in_threadpool(container.turns.prepare_send, whos[i], cids[i], content=f"hello {uuid.uuid4()}")
        generation = container.runner.start(plan)
        first = None
        async for event in generation.log.follow():
            if event is not None and event.name == "content_chunk" and first is None:
                first = time.perf_counter() - started
            if event is not None and event.terminal:
                break
        await generation.wait()
        return first or float("nan"), plan.aws_before_first_token_s

    async def round_() -> list[tuple[float, float]]:
        return await asyncio.gather(*(one(i) for i in range(concurrency)))

    asyncio.run(round_())
    samples: list[tuple[float, float]] = []
    for _ in range(rounds):
        samples += asyncio.run(round_())
    total = sorted(t for t, _ in samples)
    platform = sorted(t - aws for t, aws in samples)
    pick = lambda xs, q: round(1000 * xs[min(len(xs) - 1, int(len(xs) * q))], 1)  # noqa: E731
    return {"p50_ms": pick(total, 0.5), "p99_ms": pick(total, 0.99),
            "platform_p50_ms": pick(platform, 0.5), "platform_p99_ms": pick(platform, 0.99)}


def bench_ttft(concurrency: int, rounds: int = 3) -> dict[str, float]:
    app = create_app(fresh_settings(cache_enabled=False))
    from tests.support import LiveServer

    samples: list[float] = []
    log = CallLog()
    with LiveServer(app) as server, log.active():
        tokens = [{"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, f'ttft-{uuid.uuid4().hex[:6]}', 'plus')}"}
                  for _ in range(concurrency)]
        cids = [httpx.post(f"{server.url}/conversations", json={}, headers=t).json()["conversationId"] for t in tokens]

        async def one(client: httpx.AsyncClient, i: int) -> float:
            started = time.perf_counter()
            async with client.stream("POST", f"/conversations/{cids[i]}/messages",
                                     json={"content": f"hello {i} {uuid.uuid4()}"}, headers=tokens[i]) as r:
                first = None
                async for line in r.aiter_lines():
                    if first is None and line.startswith("event: content_chunk"):
                        first = time.perf_counter() - started
                return first or float("nan")

        async def round_() -> list[float]:
            async with httpx.AsyncClient(base_url=server.url, timeout=60,
                                         limits=httpx.Limits(max_connections=concurrency + 5)) as client:
                return await asyncio.gather(*(one(client, i) for i in range(concurrency)))

        asyncio.run(round_())  # warm-up
        log.calls.clear()
        wall = time.perf_counter()
        for _ in range(rounds):
            samples += asyncio.run(round_())
        wall = time.perf_counter() - wall
    samples.sort()
    aws_s = sum(t for _, _, t in log.calls)
    return {
        "p50_ms": round(1000 * samples[len(samples) // 2], 1),
        "p99_ms": round(1000 * samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
        "aws_share_of_wall": round(aws_s / wall, 2),
    }


class FloodBackend:
    """A model that answers instantly with one-token deltas (isolates the relay)."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens

    async def stream(self, spec, request) -> AsyncIterator[object]:
        for i in range(self.tokens):
            yield TextDelta(" tok")
            if i % 256 == 0:
                await asyncio.sleep(0)
        yield Completion("stop", 10, self.tokens)


def bench_relay(streams: int = 20, tokens: int = 5000) -> dict[str, float]:
    app = create_app(fresh_settings(cache_enabled=False))
    container = app.state.container
    container.backends.override("simulator", FloodBackend(tokens))
    who = Identity(f"relay-{uuid.uuid4().hex[:6]}", "plus")
    cids = [container.conversations.create(who.user_id, title="r", model="parley-smart", system_prompt=None)[0]
            for _ in range(streams)]

    async def main() -> float:
        plans = await asyncio.gather(*(asyncio.to_thread(container.turns.prepare_send, who, cid, content="go")
                                       for cid in cids))
        started = time.perf_counter()
        generations = [container.runner.start(p) for p in plans]

        async def drain(g) -> int:
            n = 0
            async for event in g.log.follow():
                if event is None:
                    continue
                event.encode()  # the bytes an SSE response would send
                n += event.name == "content_chunk"
                if event.terminal:
                    break
            return n

        counts = await asyncio.gather(*(drain(g) for g in generations))
        elapsed = time.perf_counter() - started
        await asyncio.gather(*(g.wait() for g in generations))
        return sum(counts) / elapsed

    rate = asyncio.run(main())
    return {"tokens_per_s": round(rate), "streams": streams, "tokens_per_stream": tokens}


def bench_context_128k() -> dict[str, float]:
    from parley.catalog import load_catalog

    spec = load_catalog().get("parley-smart")
    cid = new_id()
    history, parent = [], None
    for i in range(400):  # 400 messages x 330 tokens = 132K tokens
        m = Message(new_id(), cid, parent, "user" if i % 2 == 0 else "assistant", "x" * 1300, now_ms(), tokens=330)
        history.append(m)
        parent = m.message_id
    runs = []
    for _ in range(20):
        started = time.process_time()
        built = build_context(system_prompt="You are helpful.", system_tokens=5, history=history, spec=spec,
                              max_output=spec.max_output)
        runs.append(time.process_time() - started)
    return {"cpu_ms_median": round(1000 * statistics.median(runs), 2), "history_tokens": 400 * 330,
            "included_messages": len(built.included_ids), "trimmed": built.trimmed}


def main() -> None:
    from parley.observability import logger

    logger.setLevel("WARNING")  # two log lines per turn would bury the figures
    with scratch_servers():
        _main()


def _main() -> None:
    print("== chat hot path (issues 3, 15): local mode on DynamoDB Local and the S3 server ==")
    print("calls and bytes per turn:", json.dumps(bench_calls_and_bytes()))
    for members in (3, 50):
        print("calls per turn, shared conversation:", json.dumps(bench_shared_calls(members)))
    print("time to first token in one process (no HTTP), 1 stream:", json.dumps(bench_ttft_inprocess(1, rounds=20)))
    print("time to first token in one process (no HTTP), 50 streams:", json.dumps(bench_ttft_inprocess(50)))
    print("time to first token over HTTP (uvicorn), 1 stream:", json.dumps(bench_ttft(1, rounds=20)))
    print("time to first token over HTTP (uvicorn), 50 streams:", json.dumps(bench_ttft(50)))
    print("relay throughput (one process):", json.dumps(bench_relay()))
    print("context build at 128K tokens:", json.dumps(bench_context_128k()))


if __name__ == "__main__":
    main()
