"""What a turn reads from DynamoDB as a conversation grows (issue 21): bytes and read units of the
load a turn does, at turn 1, 30 and 200 (~128K tokens of history), on DynamoDB Local.

Three reads per checkpoint: the whole conversation (``load_all``, what every turn read before), the
turn's read (``load_for_turn``: the branch newest first until the largest context window is covered),
and the turn's read once a summary covers all but the last 20 turns. Read units are DynamoDB's for
strongly consistent reads: per Query page (and GetItem), the items' bytes rounded up to 4 KB.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager

import botocore.client

from parley.app import create_app
from parley.conversations.model import Conversation, Message, Summary
from parley.ids import new_id, now_ms
from tests.bench.bench_chat import _item_size, fresh_settings
from tests.bench.servers import scratch_servers

#: Characters and tokens of each message: 200 turns x 2 messages x 320 tokens = 128K tokens.
MESSAGE_CHARS, MESSAGE_TOKENS = 1280, 320
CHECKPOINTS = (1, 30, 200)


@contextmanager
def query_pages():
    """Item bytes of every Query page the process reads meanwhile."""
    pages: list[int] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(client, operation_name, api_params):
        response = original(client, operation_name, api_params)
        if operation_name == "Query":
            pages.append(sum(_item_size(item) for item in response.get("Items", [])))
        elif operation_name == "GetItem":
            pages.append(_item_size(response.get("Item", {})))
        return response

    botocore.client.BaseClient._make_api_call = counting
    try:
        yield pages
    finally:
        botocore.client.BaseClient._make_api_call = original


def _measure(read) -> dict[str, float]:
    with query_pages() as pages:
        _, messages, _ = read()
    return {"messages": len(messages), "calls": len(pages), "bytes": sum(pages),
            "read_units": sum(max(1, math.ceil(b / 4096)) for b in pages)}


def bench_turn_reads() -> dict[str, dict[str, dict[str, float]]]:
    app = create_app(fresh_settings())
    repo = app.state.container.conversations_repo
    budget = max(spec.context_window for spec in app.state.container.catalog.models)
    user, cid = "bench-reader", new_id()
    now = now_ms()
    repo.create(Conversation(cid, user, "bench", "auto", now, now))
    out: dict[str, dict[str, dict[str, float]]] = {}
    parent, pending, ids = None, [], []
    for turn in range(1, max(CHECKPOINTS) + 1):
        for role in ("user", "assistant"):
            message = Message(new_id(), cid, parent, role, "x" * MESSAGE_CHARS, now_ms(), tokens=MESSAGE_TOKENS)
            pending.append(message)
            parent = message.message_id
            ids.append(parent)
        if turn not in CHECKPOINTS:
            continue
        repo.put_messages(pending)
        pending = []

        def turn_read(leaf: str = parent) -> tuple:
            return repo.load_for_turn(user, cid, leaf_id=leaf, from_current=False, budget_tokens=budget)

        row = {"whole conversation (before)": _measure(lambda: repo.load_all(user, cid)),
               "turn read (after)": _measure(turn_read)}
        if turn > 20:
            through = ids[-41]  # all but the last 20 turns summarized
            repo.put_summary(user, cid, Summary(through, "summary " * 300, 600, len(ids) - 40), model="bench")
            row["turn read, summary covering all but 20 turns"] = _measure(turn_read)
        out[f"turn {turn} ({turn * 2 * MESSAGE_TOKENS} tokens)"] = row
    return out


def main() -> None:
    with scratch_servers():
        print("== reads per turn (issue 21): the conversation load of a turn, by conversation length ==")
        for turn, row in bench_turn_reads().items():
            for what, figures in row.items():
                print(f"{turn:24} {what:48} {json.dumps(figures)}")


if __name__ == "__main__":
    main()
