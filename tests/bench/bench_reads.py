"""What a turn reads from DynamoDB as a conversation grows (issue 21): bytes and read units of the
load a turn does, at turn 1, 30 and 200 (~128K tokens of history), on DynamoDB Local.

Read units are DynamoDB's for strongly consistent reads: per Query page, the items' bytes rounded up
to 4 KB. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager

import botocore.client

from parley.app import create_app
from parley.conversations.model import Conversation, Message
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
        return response

    botocore.client.BaseClient._make_api_call = counting
    try:
        yield pages
    finally:
        botocore.client.BaseClient._make_api_call = original


def bench_turn_reads() -> dict[str, dict[str, float]]:
    app = create_app(fresh_settings())
    repo = app.state.container.conversations_repo
    user, cid = "bench-reader", new_id()
    now = now_ms()
    repo.create(Conversation(cid, user, "bench", "auto", now, now))
    out: dict[str, dict[str, float]] = {}
    parent, turns, pending = None, 0, []
    for turn in range(1, max(CHECKPOINTS) + 1):
        for role in ("user", "assistant"):
            message = Message(new_id(), cid, parent, role, "x" * MESSAGE_CHARS, now_ms(), tokens=MESSAGE_TOKENS)
            pending.append(message)
            parent = message.message_id
        turns = turn
        if turns in CHECKPOINTS:
            repo.put_messages(pending)
            pending = []
            with query_pages() as pages:
                _, messages, _ = repo.load_all(user, cid)
            out[f"turn {turns}"] = {
                "history_tokens": turns * 2 * MESSAGE_TOKENS, "messages_read": len(messages),
                "query_pages": len(pages), "bytes_read": sum(pages),
                "read_units": sum(max(1, math.ceil(b / 4096)) for b in pages)}
    return out


def main() -> None:
    with scratch_servers():
        print("== reads per turn (issue 21): the conversation load of a turn, by conversation length ==")
        print(json.dumps(bench_turn_reads()))


if __name__ == "__main__":
    main()
