"""What the context puts between the system prompt and the conversation: the user's custom
instructions and the memories chosen for this turn, each a system message of its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ContextBlock:
    #: "instructions" or "memory".
    kind: str
    text: str
    tokens: int
    #: The memories a memory block holds.
    ids: tuple[str, ...] = ()
    #: Whether the block was cut to its budget.
    trimmed: bool = False


def record_of(blocks: tuple[ContextBlock, ...] | list[ContextBlock]) -> dict[str, object]:
    """What a turn's metadata says about its preamble."""
    record: dict[str, object] = {}
    for block in blocks:
        if block.kind == "instructions":
            record["instructionsUsed"] = True
            if block.trimmed:
                record["instructionsTrimmed"] = True
        elif block.kind == "memory":
            record["memoriesUsed"] = list(block.ids)
    return record
