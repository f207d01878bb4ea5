"""The search index port: what the app asks of a per-user index, whatever keeps it.

Locally a tantivy index lives in a directory per user (``parley.search.local``). On AWS the same
index format is kept per user in S3 and written by the stream-driven indexer (docs/scaling.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

#: The role of a conversation's title document (message documents carry "user" or "assistant").
TITLE_ROLE = "title"


@dataclass(frozen=True, slots=True)
class IndexedMessage:
    """One searchable text: a message, or (``role == "title"``) a conversation's title."""

    conversation_id: str
    message_id: str | None
    role: str
    text: str
    created_at: int


@dataclass(frozen=True, slots=True)
class SearchRequest:
    words: tuple[str, ...]
    phrases: tuple[str, ...]
    archived: bool | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    offset: int = 0
    limit: int = 20
    #: Only these conversations (None: all of the index's): how a member searches the conversations
    #: an owner shared with them in the owner's index, and nothing else of it.
    conversation_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: str
    message_id: str | None
    role: str
    created_at: int
    score: float
    #: HTML: matched terms in ``<mark>``, everything else escaped.
    snippet: str


@dataclass(slots=True)
class SearchPage:
    hits: list[SearchHit] = field(default_factory=list)
    #: Whether the index holds more hits after this page.
    more: bool = False


class SearchIndex(Protocol):
    def add(self, user_id: str, docs: list[IndexedMessage]) -> None:
        """Index texts (a message id already indexed is replaced). Messages are indexed only in a
        conversation whose title is (see ``SearchIndexer.created``)."""

    def set_title(self, user_id: str, conversation_id: str, title: str) -> None:
        """Replace the title of an indexed conversation (one never indexed stays unindexed)."""

    def set_archived(self, user_id: str, conversation_id: str, archived: bool) -> None: ...

    def remove_conversation(self, user_id: str, conversation_id: str) -> None: ...

    def remove_message(self, user_id: str, conversation_id: str, message_id: str) -> None: ...

    def search(self, user_id: str, request: SearchRequest) -> SearchPage: ...
