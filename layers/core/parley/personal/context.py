"""The personal part of a turn's context: custom instructions, then the memories relevant to it."""

from __future__ import annotations

from typing import Protocol

from parley.context.preamble import ContextBlock
from parley.personal.instructions import InstructionsService


class MemorySource(Protocol):
    def block(self, user_id: str, about: str) -> ContextBlock | None: ...


class PersonalContext:
    def __init__(self, instructions: InstructionsService, memories: MemorySource | None = None) -> None:
        self._instructions = instructions
        self._memories = memories

    def blocks(self, user_id: str, about: str) -> list[ContextBlock]:
        found = [self._instructions.block(user_id)]
        if self._memories is not None:
            found.append(self._memories.block(user_id, about))
        return [b for b in found if b is not None]
