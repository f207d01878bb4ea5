"""Search benchmark (not collected by pytest): ``python -m tests.bench.bench_search``.

Prints, for one user with 10,000 messages in 100 conversations (local mode: tantivy on local disk,
DynamoDB emulated in-process): GET /search latency p50/p95 over varied queries (index search,
snippets and the table check of each page's conversations), and the index update lag: from the
end of a chat turn (message_end received) until its user message is found by GET /search, plus
what one indexing write costs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fastapi.testclient import TestClient  # noqa: E402

from parley.app import create_app  # noqa: E402
from parley.auth.local_jwt import issue_token  # noqa: E402
from parley.conversations.model import Message  # noqa: E402
from parley.ids import new_id, now_ms  # noqa: E402
from parley.observability import logger  # noqa: E402
from parley.search.indexer import indexed  # noqa: E402
from parley.settings import DEV_JWT_SECRET, Settings  # noqa: E402
from tests.bench.bench_coldstore import WORDS, text  # noqa: E402
from tests.support import parse_sse  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def seed(client: TestClient, app, auth: dict, rng: random.Random, conversations: int, per: int) -> None:
    """Conversations through the API; their messages written in bulk to the table and the index."""
    container = app.state.container
    repo, index = container.conversations_repo, container.search.index
    user_id = "bench-search-user"
    started = time.perf_counter()
    for c in range(conversations):
        cid = client.post("/conversations", json={"title": f"Conversation {c} {rng.choice(WORDS)}"},
                          headers=auth).json()["conversationId"]
        base, parent, messages = now_ms(), None, []
        for i in range(per):
            mid = new_id()
            messages.append(Message(mid, cid, parent, "user" if i % 2 == 0 else "assistant",
                                    text(rng, rng.randint(15, 120)), base + i))
            parent = mid
        repo.put_messages(messages)
        index.add(user_id, [indexed(m) for m in messages])
    print(f"seeded {conversations * per:,} messages in {conversations} conversations "
          f"in {time.perf_counter() - started:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--per-conversation", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv or [])
    rng = random.Random(17)
    logger.setLevel("WARNING")  # one line per turn would bury the figures
    with tempfile.TemporaryDirectory(prefix="bench-search-") as root:
        settings = Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False,
                            generate_titles=False, limit_free_per_hour=1_000_000, search_index_dir=root,
                            # A table of its own each run: the local servers keep their data, and a
                            # new index is filled from the user's whole history in the table.
                            table_conversations=f"bench-search-{os.getpid()}-{int(time.time())}")
        app = create_app(settings)
        auth = {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, 'bench-search-user', 'free')}"}
        with TestClient(app) as client:
            seed(client, app, auth, rng, args.conversations, args.per_conversation)
            queries = [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(args.queries)]
            queries += [f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"' for _ in range(args.queries // 4)]
            for q in queries[:10]:  # warm up caches and the reader
                client.get("/search", params={"q": q}, headers=auth)
            timings = []
            for q in queries:
                t0 = time.perf_counter()
                r = client.get("/search", params={"q": q}, headers=auth)
                timings.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.text
            print(f"GET /search, {len(queries)} queries (20 results a page): p50 {pct(timings, 50):.1f} ms, "
                  f"p95 {pct(timings, 95):.1f} ms, max {max(timings):.1f} ms")
            index_only(app, queries)
            size = sum(f.stat().st_size for f in Path(root).rglob("*") if f.is_file())
            print(f"index on disk: {size / 1e6:.1f} MB for {args.conversations * args.per_conversation:,} messages "
                  f"({size / max(1, args.conversations * args.per_conversation):.0f} B a message)")
            lag(client, auth, rng)
            cost(app, rng)


def index_only(app, queries: list[str]) -> None:
    """The index's share of a search: tantivy query and snippets, without HTTP or the table check."""
    from parley.search.port import SearchRequest
    from parley.search.query import parse_query

    index, timings = app.state.container.search.index, []
    for q in queries:
        words, phrases = parse_query(q)
        t0 = time.perf_counter()
        index.search("bench-search-user", SearchRequest(words, phrases))
        timings.append((time.perf_counter() - t0) * 1000)
    print(f"  of which the index (query + snippets): p50 {pct(timings, 50):.1f} ms, p95 {pct(timings, 95):.1f} ms")


def lag(client: TestClient, auth: dict, rng: random.Random, turns: int = 20) -> None:
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    lags = []
    for i in range(turns):
        marker = f"zq{i}x{rng.randint(10**6, 10**7)}"
        r = client.post(f"/conversations/{cid}/messages", json={"content": f"note {marker}"}, headers=auth)
        events, _ = parse_sse(r.text)
        assert events[-1].name == "message_end", events[-1]
        done = time.perf_counter()
        while not client.get("/search", params={"q": marker}, headers=auth).json()["results"]:
            if time.perf_counter() - done > 5:
                raise RuntimeError("a new message was not found within 5 s")
            time.sleep(0.005)
        lags.append((time.perf_counter() - done) * 1000)
    print(f"index update lag (message_end -> found by GET /search, {turns} turns): "
          f"p50 {pct(lags, 50):.1f} ms, max {max(lags):.1f} ms (a search commits what waits first)")


def cost(app, rng: random.Random, writes: int = 50) -> None:
    index = app.state.container.search.index
    cid, timings = new_id(), []
    for i in range(writes):
        m = Message(new_id(), cid, None, "user", text(rng, 60), now_ms() + i)
        t0 = time.perf_counter()
        index.add("bench-search-user", [indexed(m)])
        index.flush("bench-search-user")  # its own commit: what a lone write costs at most
        timings.append((time.perf_counter() - t0) * 1000)
    print(f"one message indexed alone (add + commit + reload, in the seeded index): "
          f"p50 {statistics.median(timings):.1f} ms, p95 {pct(timings, 95):.1f} ms")
    t0, before = time.perf_counter(), index.commits
    for i in range(writes):
        index.add("bench-search-user", [indexed(Message(new_id(), cid, None, "user", text(rng, 60), now_ms() + i))])
    index.flush("bench-search-user")
    print(f"{writes} messages written together (as the flusher batches them): "
          f"{(time.perf_counter() - t0) * 1000:.1f} ms in {index.commits - before} commit(s)")


if __name__ == "__main__":
    main(sys.argv[1:])
