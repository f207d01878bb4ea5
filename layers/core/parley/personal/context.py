"""The personal part of a turn's context: custom instructions, then the memories relevant to it.

Both come from one strongly consistent Query of the user's partition of the profiles table (run
beside the conversation read), so a turn pays one call for them whatever the user keeps.
"""

from __future__ import annotations

import logging

from parley.auth import Identity
from parley.context.preamble import ContextBlock
from parley.conversations.model import Message
from parley.errors import ApiError
from parley.personal.instructions import Instructions, InstructionsService, instructions_of
from parley.personal.memories import MemoryService, memory_of, proposed_fact
from parley.storage.profile_table import INSTRUCTIONS_SK, MEMORY_SK_PREFIX, ProfileTable

logger = logging.getLogger(__name__)


class PersonalContext:
    def __init__(self, table: ProfileTable, instructions: InstructionsService, memories: MemoryService) -> None:
        self._t = table
        self._instructions = instructions
        self._memories = memories

    def blocks(self, user_id: str, about: str) -> list[ContextBlock]:
        instructions, memories = Instructions(), []
        for item in self._t.item.query(user_id, consistent_read=True):
            if item.sk == INSTRUCTIONS_SK:
                instructions = instructions_of(item)
            elif item.sk.startswith(MEMORY_SK_PREFIX):
                memories.append(memory_of(item))
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
        except ApiError as exc:
            logger.info("memory not saved", extra={"code": exc.code})
            return None
        return {"memoryId": memory.memory_id, "content": memory.content}
