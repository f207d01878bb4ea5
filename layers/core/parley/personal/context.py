"""The personal part of a turn's context: custom instructions, then the memories relevant to it.

Both come from one strongly consistent Query of the user's partition of the profiles table, made
only when the profile version that the turn's admission returned (``Admission.profile_version``,
bumped by every change) differs from the one this process read last: a user without instructions
or memories costs no call, and one with them a call per change per process, not per turn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from parley.auth import Identity
from parley.context.preamble import ContextBlock
from parley.conversations.model import Message
from parley.errors import ParleyError
from parley.observability import logger
from parley.personal.instructions import Instructions, InstructionsService, instructions_of
from parley.personal.memories import Memory, MemoryService, memory_of, proposed_fact
from parley.storage.profile_table import INSTRUCTIONS_SK, MEMORY_SK_PREFIX, ProfileTable

CACHED_USERS = 4096


class PersonalContext:
    def __init__(self, table: ProfileTable, instructions: InstructionsService, memories: MemoryService) -> None:
        self._t = table
        self._instructions = instructions
        self._memories = memories
        self._cache: OrderedDict[str, tuple[int, Instructions, list[Memory]]] = OrderedDict()
        self._lock = threading.Lock()

    def profile(self, user_id: str, version: int | None) -> tuple[Instructions, list[Memory]]:
        if version is None:
            return Instructions(), []
        with self._lock:
            hit = self._cache.get(user_id)
        if hit is not None and hit[0] == version:
            return hit[1], hit[2]
        instructions, memories = Instructions(), []
        for item in self._t.item.query(user_id, consistent_read=True):
            if item.sk == INSTRUCTIONS_SK:
                instructions = instructions_of(item)
            elif item.sk.startswith(MEMORY_SK_PREFIX):
                memories.append(memory_of(item))
        with self._lock:
            self._cache[user_id] = (version, instructions, memories)
            self._cache.move_to_end(user_id)
            while len(self._cache) > CACHED_USERS:
                self._cache.popitem(last=False)
        return instructions, memories

    def blocks(self, user_id: str, about: str, version: int | None) -> list[ContextBlock]:
        instructions, memories = self.profile(user_id, version)
        found = [self._instructions.block_of(instructions), self._memories.block_of(memories, about)]
        return [b for b in found if b is not None]

    def remember(self, who: Identity, message: Message) -> dict[str, str] | None:
        """Save what a message asks to be remembered; what ``message_end`` reports as ``memoryCreated``.

        Never fails the turn: a memory that cannot be saved (full, screened out) is simply not made.
        """
        fact = proposed_fact(message.content)
        if fact is None:
            return None
        try:
            memory = self._memories.add(who, fact, conversation_id=message.conversation_id,
                                        message_id=message.message_id)
        except ParleyError as exc:
            logger.info("memory not saved", extra={"code": exc.code})
            return None
        return {"memoryId": memory.memory_id, "content": memory.content}
