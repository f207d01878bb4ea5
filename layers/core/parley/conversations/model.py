"""Domain records (what use cases and routes work with; storage details stay in the repository)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "system"]
PREVIEW_CHARS = 160

#: The finish reason of an answer whose process stopped (SIGTERM) or died (kill -9) while writing it.
INTERRUPTED = "interrupted"
#: The error that ends such an answer's stream (retryable: regenerate, or send again).
SERVER_SHUTTING_DOWN = "server_shutting_down"
SHUTDOWN_MESSAGE = "the server stopped while writing this answer; what was written is saved, regenerate to finish it"


def interrupted_error() -> dict[str, Any]:
    return {"code": SERVER_SHUTTING_DOWN, "message": SHUTDOWN_MESSAGE, "retryable": True}


@dataclass(slots=True)
class Message:
    message_id: str
    conversation_id: str
    parent_id: str | None
    role: Role
    content: str
    created_at: int
    tokens: int = 0
    model: str | None = None
    status: str = "complete"
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    attachments: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    children_ids: list[str] = field(default_factory=list)
    #: A temporary chat's messages expire with it (epoch ms; DynamoDB's TTL removes them).
    expires_at: int | None = None
    author_id: str | None = None


@dataclass(slots=True)
class Conversation:
    conversation_id: str
    user_id: str
    title: str
    model: str
    created_at: int
    updated_at: int
    system_prompt: str | None = None
    current_message_id: str | None = None
    preview: str = ""
    archived: bool = False
    title_source: str = "default"
    message_count: int = 0
    total_input_tokens: int = 0
    total_output_tokens: int = 0
    total_cost: float = 0.0
    cold: bool = False
    #: A temporary chat: not listed, not searched, no memory read or written, gone after 30 days.
    temporary: bool = False
    #: When a temporary chat expires (epoch ms); None for every other conversation.
    expires_at: int | None = None
    #: The reader's access: "owner", or a member's "participant" / "viewer".
    role: str = "owner"
    #: The members' user ids, filled by the reads that see the whole partition's newest page (a
    #: turn's, ``load``): what a turn needs to move their list entries. Empty from a GetItem.
    member_ids: tuple[str, ...] = ()
    #: The live channel's key (docs/sharing.md); None while the conversation was never shared.
    live_key: str | None = None


@dataclass(slots=True)
class ConversationPage:
    conversations: list[Conversation]
    next_cursor: str | None


def preview_of(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "\u2026"


@dataclass(frozen=True, slots=True)
class Summary:
    """A summary of a branch up to and including ``through_message_id``.

    It applies to every branch that passes through that message, since they share that history.
    """

    through_message_id: str
    text: str
    tokens: int
    covered_messages: int = 0
