"""Memories: short facts a user wants kept across conversations.

A memory is added directly (``POST /memories``) or proposed by a message that asks for it
("remember that I am vegetarian"): that one is saved at once and reported in the answer's
``message_end`` as ``memoryCreated``, so the client can show it and offer an undo (a DELETE).
Only memories relevant to the new message (sharing a meaningful word, ranked by BM25) go into the
context, best first, within ``memory_token_budget``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError

from parley.auth import Identity
from parley.context.preamble import ContextBlock
from parley.errors import Conflict, NotFound, ValidationFailed
from parley.ids import new_id, now_ms
from parley.personal.screening import Screen, as_model_sees, model_mode
from parley.search.rank import rank
from parley.storage.dynamo import is_condition_failure
from parley.storage.profile_table import MEMORY_SK_PREFIX, ProfileTable, memory_sk
from parley.tokens import PER_MESSAGE_OVERHEAD, count_tokens

MAX_CHARS = 500
MAX_MEMORIES = 200
HEADER = "Facts the user asked you to remember (use them when relevant):"
_NOT_FOUND = "memory not found"
#: "remember that ...", "please remember: ...", "remember I ..." at the start of a sentence.
_REMEMBER = re.compile(
    r"(?:^|[.!?\n]\s*)(?:please\s+|can you\s+|could you\s+)?remember(?:\s+that|\s*:|\s*,)?\s+(?P<fact>[^\n]{3,500}?)"
    r"\s*(?:[.!?](?:\s|$)|\n|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Memory:
    memory_id: str
    content: str
    created_at: int
    tokens: int = 0
    mode: str | None = None
    source_conversation_id: str | None = None
    source_message_id: str | None = None


def proposed_fact(text: str) -> str | None:
    """What a message asks to be remembered, if it asks (a question about remembering does not)."""
    match = _REMEMBER.search(text)
    if match is None:
        return None
    fact = match.group("fact").strip().rstrip(".!")
    if fact.endswith("?") or len(fact) < 3:
        return None
    return fact[0].upper() + fact[1:]


def memory_of(item: Any) -> Memory:
    return Memory(item.memory_id, item.content, int(item.created_at), int(item.tokens or 0), item.model_text,
                  item.source_conversation_id, item.source_message_id)


class MemoryService:
    def __init__(self, table: ProfileTable, screen: Screen, token_budget: int,
                 changed: Callable[[str], None] = lambda _user_id: None) -> None:
        self._t = table
        self._screen = screen
        self._budget = token_budget
        #: Called after every change (the turn's admission then tells processes to re-read).
        self._changed = changed

    def list(self, user_id: str) -> list[Memory]:
        """The user's memories, oldest first (one consistent Query of their partition)."""
        items = self._t.item.query(user_id, self._t.item.sk.startswith(MEMORY_SK_PREFIX), consistent_read=True)
        return [memory_of(i) for i in items]

    def add(self, who: Identity, content: str, *, conversation_id: str | None = None,
            message_id: str | None = None) -> Memory:
        content = " ".join(content.split())
        if not content:
            raise ValidationFailed("content must not be empty")
        if len(content) > MAX_CHARS:
            raise ValidationFailed(f"content must be at most {MAX_CHARS} characters")
        mode = model_mode(self._screen(who, content))
        if len(self.list(who.user_id)) >= MAX_MEMORIES:
            raise Conflict(f"at most {MAX_MEMORIES} memories; delete some first", code="memory_full")
        memory = Memory(new_id(), content, now_ms(), count_tokens(content), mode, conversation_id, message_id)
        item = self._t.memory(who.user_id, memory_sk(memory.memory_id))
        item.memory_id, item.content, item.created_at, item.tokens = (memory.memory_id, memory.content,
                                                                      memory.created_at, memory.tokens)
        item.model_text, item.source_conversation_id, item.source_message_id = mode, conversation_id, message_id
        item.save(condition=self._t.memory.pk.does_not_exist())
        self._changed(who.user_id)
        return memory

    def delete(self, user_id: str, memory_id: str) -> None:
        model = self._t.memory
        try:
            model(user_id, memory_sk(memory_id)).delete(condition=model.pk.exists())
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise NotFound(_NOT_FOUND) from exc
            raise
        self._changed(user_id)

    def block_of(self, memories: Sequence[Memory], about: str) -> ContextBlock | None:
        """The memories relevant to ``about``, best first, as many as the budget holds."""
        if not memories or self._budget <= 0:
            return None
        used = count_tokens(HEADER) + PER_MESSAGE_OVERHEAD
        chosen: list[Memory] = []
        for position, _score in rank([m.content for m in memories], about):
            memory = memories[position]
            cost = (memory.tokens or count_tokens(memory.content)) + 2  # "- " and the newline
            if used + cost > self._budget:
                continue  # a shorter, less relevant one may still fit
            chosen.append(memory)
            used += cost
        if not chosen:
            return None
        lines = [f"- {as_model_sees(m.content, m.mode, 'a memory the user saved')}" for m in chosen]
        text = "\n".join([HEADER, *lines])
        return ContextBlock("memory", text, count_tokens(text), ids=tuple(m.memory_id for m in chosen))
