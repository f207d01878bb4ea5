"""The caller's memories: facts kept across conversations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, status
from pydantic import Field

from parley.api.deps import IdentityDep, MemoriesDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import CamelModel, ErrorBody, RequestModel, SuccessBody
from parley.ids import ID_PATTERN
from parley.personal.memories import MAX_CHARS, Memory

router = api_router(prefix="/memories", tags=["memories"],
                   responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}, 422: {"model": ErrorBody}})

MemoryId = Annotated[str, Path(pattern=ID_PATTERN, description="A memory id (ULID)")]


class CreateMemoryRequest(RequestModel):
    content: str = Field(min_length=1, max_length=MAX_CHARS)


class MemoryBody(CamelModel):
    memory_id: str
    content: str
    created_at: int
    #: The conversation whose message asked for it, when one did.
    conversation_id: str | None = None

    @classmethod
    def of(cls, m: Memory) -> MemoryBody:
        return cls(memory_id=m.memory_id, content=m.content, created_at=m.created_at,
                   conversation_id=m.source_conversation_id)


class MemoryList(CamelModel):
    memories: list[MemoryBody]


@router.get("", response_model=MemoryList)
def list_memories(who: IdentityDep, memories: MemoriesDep) -> MemoryList:
    """Your memories, oldest first."""
    return MemoryList(memories=[MemoryBody.of(m) for m in memories.list(who.user_id)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemoryBody)
def create_memory(body: CreateMemoryRequest, who: IdentityDep, memories: MemoriesDep) -> MemoryBody:
    """Save a memory (screened like a message; at most 500 characters, 200 memories)."""
    return MemoryBody.of(memories.add(who, body.content))


@router.delete("/{memory_id}", response_model=SuccessBody)
def delete_memory(memory_id: MemoryId, who: IdentityDep, memories: MemoriesDep) -> SuccessBody:
    """Forget a memory (also the undo of one a message created)."""
    memories.delete(who.user_id, memory_id)
    return SuccessBody()
