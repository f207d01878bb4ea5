"""Helpers of the cold-store tests: crash injection, a movable clock, seeded conversations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from parley.auth.local_jwt import issue_token
from parley.coldstore import ColdStore
from parley.coldstore.codec import RawItem
from parley.conversations.model import Conversation, Message, Summary
from parley.errors import NotFound
from parley.ids import new_id, now_ms
from parley.settings import DEV_JWT_SECRET, Settings

DAY_MS = 86_400_000
IDLE = 31 * DAY_MS  # past the default 30 days


class SimulatedCrash(BaseException):
    """A process dying at a step: BaseException, so no ``except Exception`` cleanup runs."""


@dataclass
class Faults:
    """Crash (or run ``action``) the ``nth`` time a named step is reached."""

    step: str | None = None
    nth: int = 1
    action: Callable[[], None] | None = None
    seen: dict[str, int] = field(default_factory=dict)

    def __call__(self, step: str) -> None:
        self.seen[step] = self.seen.get(step, 0) + 1
        if step != self.step or self.seen[step] != self.nth:
            return
        self.step = None  # once
        if self.action is not None:
            self.action()
        else:
            raise SimulatedCrash(step)

    def at(self, step: str, *, nth: int = 1, action: Callable[[], None] | None = None) -> None:
        self.step, self.nth, self.action, self.seen = step, nth, action, {}


@dataclass
class Clock:
    """Real time plus an offset the tests move forward."""

    offset_ms: int = 0

    def __call__(self) -> int:
        return now_ms() + self.offset_ms


@dataclass
class Cold:
    app: Any
    client: TestClient
    container: Any
    store: ColdStore
    faults: Faults
    clock: Clock
    settings: Settings
    #: (user, conversation) pairs seeded by the current test, deleted after it.
    created: list[tuple[str, str]] = field(default_factory=list)

    @property
    def repo(self) -> Any:
        return self.container.conversations_repo

    @property
    def ddb(self) -> Any:
        return self.store._ctx.table.client

    @property
    def table(self) -> str:
        return self.settings.table_conversations

    def partition(self, conversation_id: str) -> list[RawItem]:
        return self.store._ctx.table.partition(conversation_id)

    def stub(self, conversation_id: str) -> RawItem | None:
        return self.store._ctx.table.get(conversation_id, "C")

    def object_exists(self, user_id: str, conversation_id: str) -> bool:
        return self.store._ctx.objects.get(self.store.object_key(user_id, conversation_id)) is not None

    def forget_created(self) -> None:
        """Delete what the test seeded, so that each run of the job sees only its own test's data."""
        for user_id, conversation_id in self.created:
            try:
                self.container.conversations.delete(user_id, conversation_id)
            except NotFound:
                pass
            self.store.discard(user_id, conversation_id)
            self.store._ctx.table.delete_all((i["pk"]["S"], i["sk"]["S"]) for i in self.partition(conversation_id))
        self.created.clear()

    def archive(self, conversation_id: str, *, later_ms: int = IDLE) -> str:
        return self.store.archive(conversation_id, now=now_ms() + later_ms)


def headers_for(user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, user_id, 'plus')}"}


@dataclass
class Seeded:
    user_id: str
    conversation_id: str
    headers: dict[str, str]
    message_ids: list[str]
    other_branch_ids: list[str]


def seed(cold: Cold, *, turns: int = 3, branch: bool = True, big: bool = True, summary: bool = True,
         title: str = "Planning a trip to Lisbon", system_prompt: str | None = "Answer like a travel agent.") -> Seeded:
    """A conversation with ``turns`` exchanges, a second branch, an oversized (S3) answer and a
    summary item of a kind the cold store knows nothing about."""
    user_id = f"user-{uuid.uuid4().hex[:10]}"
    conversation_id, _ = cold.container.conversations.create(
        user_id, title=title, model=None, system_prompt=system_prompt
    )
    t = now_ms()
    messages: list[Message] = []
    parent: str | None = None
    for i in range(turns):
        for role in ("user", "assistant"):
            mid = new_id()
            content = f"{role} says {i}: " + ("long answer " * 400 if big and role == "assistant" and i == 1 else
                                              "sardines and pastéis de nata " * 3)
            messages.append(Message(
                message_id=mid, conversation_id=conversation_id, parent_id=parent, role=role, content=content,
                created_at=t + len(messages), tokens=10, model="parley-fast" if role == "assistant" else None,
                input_tokens=5 if role == "assistant" else 0, output_tokens=7 if role == "assistant" else 0,
                cost=0.000123 if role == "assistant" else 0.0, finish_reason="stop" if role == "assistant" else None,
                details={"contextIds": [parent] if parent else []} if role == "assistant" else {},
            ))
            parent = mid
    cold.created.append((user_id, conversation_id))
    main_ids = [m.message_id for m in messages]
    other: list[str] = []
    if branch:
        # An edit of the second user message: a sibling branch that is not the active one.
        fork_parent = messages[1].message_id
        for role in ("user", "assistant"):
            mid = new_id()
            messages.append(Message(
                message_id=mid, conversation_id=conversation_id, parent_id=fork_parent, role=role,
                content=f"the other branch ({role})", created_at=t + len(messages), tokens=4,
            ))
            other.append(mid)
            fork_parent = mid
    cold.repo.put_messages(messages)
    cold.repo.update(user_id, conversation_id, current_message_id=main_ids[-1])
    _bump(cold, conversation_id, preview=f"{title}: last words", count=len(messages))
    if summary:
        through = main_ids[min(3, len(main_ids) - 1)]
        cold.repo.put_summary(user_id, conversation_id, Summary(through, "They planned Lisbon.", 6, 4),
                              model="parley-fast")
        # No pynamodb discriminator: the repository's models read past it, as they would a new kind.
        cold.ddb.put_item(TableName=cold.table, Item={
            "pk": {"S": conversation_id}, "sk": {"S": "S#0001"},
            "text": {"S": "They talked about Lisbon."}, "covers": {"L": [{"S": main_ids[0]}, {"N": "3"}]},
            "meta": {"M": {"tokens": {"N": "42"}, "ok": {"BOOL": True}, "none": {"NULL": True}}},
            "blob": {"B": b"\x00\x01binary\xff"},
        })
    return Seeded(user_id, conversation_id, headers_for(user_id), main_ids, other)


def _bump(cold: Cold, conversation_id: str, *, preview: str, count: int) -> None:
    cold.ddb.update_item(
        TableName=cold.table, Key={"pk": {"S": conversation_id}, "sk": {"S": "C"}},
        UpdateExpression="SET preview = :p, message_count = :n, total_input_tokens = :i, total_cost_nusd = :c",
        ExpressionAttributeValues={":p": {"S": preview}, ":n": {"N": str(count)}, ":i": {"N": "15"},
                                   ":c": {"N": "369000"}},
    )


def backdate(cold: Cold, conversation_id: str, days: float) -> int:
    """Make a conversation look last updated ``days`` ago (its list position moves with it)."""
    updated = now_ms() - int(days * DAY_MS)
    cold.ddb.update_item(
        TableName=cold.table, Key={"pk": {"S": conversation_id}, "sk": {"S": "C"}},
        UpdateExpression="SET updated_at = :u, list_sk = :s",
        ExpressionAttributeValues={":u": {"N": str(updated)}, ":s": {"S": f"{updated:015d}#{conversation_id}"}},
    )
    return updated


def snapshot_api(cold: Cold, s: Seeded) -> tuple[dict, dict]:
    """What a client sees: the conversation and every message (read without side effects on hot ones)."""
    detail = cold.client.get(f"/conversations/{s.conversation_id}", headers=s.headers)
    tree = cold.client.get(f"/conversations/{s.conversation_id}/messages", headers=s.headers)
    assert detail.status_code == 200, detail.text
    assert tree.status_code == 200, tree.text
    return detail.json(), tree.json()


def raw_items(cold: Cold, conversation_id: str) -> dict[tuple[str, str], RawItem]:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in cold.partition(conversation_id)}


def summary_of(conversation: Conversation) -> dict:
    return {"title": conversation.title, "updated_at": conversation.updated_at}
