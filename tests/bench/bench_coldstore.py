"""Cold-storage benchmark (not collected by pytest): ``python -m tests.bench.bench_coldstore``.

Prints: DynamoDB bytes (item-size rules: attribute names + values, plus the 100-byte per-item
storage overhead, in the table and in the ``by_user`` index) before and after moving 1,000 idle
conversations to S3, the S3 bytes that hold them, and the latency of opening a cold 200-message
conversation (restore included) against a hot one. Everything runs on local mode's servers
(DynamoDB Local, the S3 server) on loopback, so the latencies measure the code's own work and
request count plus the local servers' time, not AWS's network.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from parley.app import create_app  # noqa: E402
from parley.coldstore import ColdStore, ColdStoreConfig  # noqa: E402
from parley.coldstore.sizing import STORAGE_OVERHEAD, item_size  # noqa: E402
from parley.conversations.model import Message  # noqa: E402
from parley.ids import new_id, now_ms  # noqa: E402
from parley.settings import Settings  # noqa: E402
from parley.storage.aws import aws_client  # noqa: E402
from tests.bench.servers import scratch_servers  # noqa: E402

DAY_MS = 86_400_000
#: us-east-1 list prices per GB-month (2026): DynamoDB Standard table storage, S3 Standard.
DYNAMODB_GB_MONTH = 0.25
S3_GB_MONTH = 0.023

WORDS = (
    "the of and to in is you that it he was for on are as with his they at be this have from or one had "
    "by word but not what all were we when your can said there use an each which she do how their if will "
    "up other about out many then them these so some her would make like him into time has look two more "
    "write go see number no way could people my than first water been call who oil its now find long down "
    "day did get come made may part model answer question context token stream python function return "
    "value error table index query latency memory request response server client cache branch message"
).split()


def text(rng: random.Random, n_words: int) -> str:
    out = []
    for i in range(n_words):
        word = rng.choice(WORDS)
        out.append(word.capitalize() if i % 14 == 0 else word)
        if i % 14 == 13:
            out[-1] += "."
    return " ".join(out)


def build(conversations: int) -> tuple[Any, ColdStore]:
    settings = Settings(
        mode="local",
        table_conversations="bench-cold-conversations",
        table_usage="bench-cold-usage",
        table_cache="bench-cold-cache",
        table_idempotency="bench-cold-idempotency",
        bucket_data="bench-cold-data",
    )
    app = create_app(settings)
    container = app.state.container
    settings = container.settings  # with the local servers' endpoints
    store = ColdStore(
        dynamodb=aws_client(settings, "dynamodb", settings.dynamodb_endpoint),
        s3=container.s3,
        bucket=settings.bucket_data,
        tables=container.tables,
        repository=container.conversations_repo,
        config=ColdStoreConfig(max_conversations_per_run=conversations * 2, scan_page_size=1000),
    )
    container.conversations_repo.set_restorer(store.restore)
    return container, store


def seed(container: Any, rng: random.Random, n_messages: int, user_id: str) -> str:
    conversation_id, _ = container.conversations.create(
        user_id, title=text(rng, rng.randint(2, 6)), model=None, system_prompt=None
    )
    t = now_ms()
    messages, parent = [], None
    for i in range(n_messages):
        role = "user" if i % 2 == 0 else "assistant"
        words = rng.randint(8, 80) if role == "user" else rng.randint(60, 500)
        content = text(rng, words)
        mid = new_id()
        messages.append(Message(
            message_id=mid, conversation_id=conversation_id, parent_id=parent, role=role, content=content,
            created_at=t + i, tokens=len(content) // 4, model="parley-fast" if role == "assistant" else None,
            input_tokens=rng.randint(100, 4000) if role == "assistant" else 0,
            output_tokens=len(content) // 4 if role == "assistant" else 0,
            cost=rng.random() / 1000 if role == "assistant" else 0.0,
            finish_reason="stop" if role == "assistant" else None,
        ))
        parent = mid
    container.conversations_repo.put_messages(messages)
    container.conversations_repo.update(user_id, conversation_id, current_message_id=parent)
    return conversation_id


def table_bytes(store: ColdStore) -> dict[str, int]:
    """Item count and bytes of the whole table and of the by_user index (ALL projection)."""
    client, name = store._ctx.table.client, store._ctx.table.name
    out = {"items": 0, "bytes": 0, "index_items": 0, "index_bytes": 0}
    params: dict[str, Any] = {"TableName": name}
    while True:
        page = client.scan(**params)
        for item in page["Items"]:
            size = item_size(item)
            out["items"] += 1
            out["bytes"] += size
            if "list_pk" in item:
                out["index_items"] += 1
                out["index_bytes"] += size
        if "LastEvaluatedKey" not in page:
            return out
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def billed(sizes: dict[str, int]) -> int:
    return sizes["bytes"] + sizes["index_bytes"] + STORAGE_OVERHEAD * (sizes["items"] + sizes["index_items"])


def s3_bytes(store: ColdStore) -> tuple[int, int]:
    s3, bucket = store._ctx.objects._s3, store._ctx.objects.bucket
    count = total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=store.config.prefix):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(".json.gz"):
                count += 1
                total += obj["Size"]
    return count, total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_bytes(container: Any, store: ColdStore, conversations: int) -> None:
    rng = random.Random(11)
    started = time.perf_counter()
    for i in range(conversations):
        seed(container, rng, rng.randint(4, 40), f"bench-user-{i % 50}")
    seeded_s = time.perf_counter() - started
    before = table_bytes(store)

    started = time.perf_counter()
    report = store.run(now=now_ms() + 31 * DAY_MS)
    run_s = time.perf_counter() - started
    after = table_bytes(store)
    objects, stored = s3_bytes(store)

    mib = 1024 * 1024
    print(f"== moving {conversations:,} idle conversations ({before['items'] - conversations:,} messages; "
          f"seeded in {seeded_s:.0f} s)")
    print(f"job: {report.as_dict()} in {run_s:.1f} s ({conversations / run_s:.0f} conversations/s on DynamoDB Local)")
    for label, sizes in (("before", before), ("after", after)):
        print(f"DynamoDB {label:6}: {sizes['items']:>7,} items, {sizes['bytes'] / mib:8.2f} MiB of items, "
              f"index {sizes['index_bytes'] / mib:6.2f} MiB; billed storage {billed(sizes) / mib:8.2f} MiB")
    saved = 1 - billed(after) / billed(before)
    print(f"DynamoDB storage reduced by {saved:.1%} (items {1 - after['bytes'] / before['bytes']:.1%}); "
          f"per cold conversation: {after['bytes'] / conversations:.0f} B stub "
          f"vs {before['bytes'] / conversations:.0f} B hot")
    print(f"S3: {objects:,} archives, {stored / mib:.2f} MiB gzip'd "
          f"({before['bytes'] / stored:.1f}x smaller than the DynamoDB items they replace)")
    gib = 1024 ** 3
    monthly_before = billed(before) / gib * DYNAMODB_GB_MONTH
    monthly_after = billed(after) / gib * DYNAMODB_GB_MONTH + stored / gib * S3_GB_MONTH
    print(f"storage cost per million such conversations: ${monthly_before / conversations * 1e6:,.2f}/month hot, "
          f"${monthly_after / conversations * 1e6:,.2f}/month cold (list prices, before S3 tiering)")


def bench_restore(container: Any, store: ColdStore, rounds: int) -> None:
    rng = random.Random(7)
    user_id = "bench-restore"
    conversation_id = seed(container, rng, 200, user_id)
    repo = container.conversations_repo
    cold_s, hot_s, restore_s = [], [], []
    for _ in range(rounds):
        outcome = store.archive(conversation_id, now=now_ms() + 31 * DAY_MS)
        assert outcome == "archived", outcome
        started = time.perf_counter()
        conversation, messages = repo.load(user_id, conversation_id)
        cold_s.append(time.perf_counter() - started)
        assert not conversation.cold and len(messages) == 200
        started = time.perf_counter()
        repo.load(user_id, conversation_id)
        hot_s.append(time.perf_counter() - started)
    # The restore alone (no loads around it), the stub already known to be cold.
    for _ in range(rounds):
        store.archive(conversation_id, now=now_ms() + 31 * DAY_MS)
        started = time.perf_counter()
        store.restore(user_id, conversation_id)
        restore_s.append(time.perf_counter() - started)
    print(f"== opening a 200-message conversation, {rounds} rounds (DynamoDB Local and the S3 server on loopback)")
    for label, values in (("cold (restore + load)", cold_s), ("restore alone", restore_s), ("hot load", hot_s)):
        p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
        print(f"{label:22}: p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    with scratch_servers():
        container, store = build(args.conversations)
        bench_bytes(container, store, args.conversations)
        bench_restore(container, store, args.rounds)


if __name__ == "__main__":
    main()
