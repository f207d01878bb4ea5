"""Keeps a search index in step with conversation writes, in the writing process (local mode).

On AWS the same calls are made by the indexer Lambda from the table's stream (docs/scaling.md).
The index is derived data: a failure to index is logged and never fails the user's write; search
results are checked against the table anyway, so a deleted conversation never shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from parley.conversations.model import Conversation, Message
from parley.observability import logger
from parley.search.port import TITLE_ROLE, IndexedMessage, SearchIndex


def indexed(message: Message) -> IndexedMessage:
    return IndexedMessage(message.conversation_id, message.message_id, message.role, message.content,
                          message.created_at)


class SearchIndexer:
    def __init__(self, index: SearchIndex) -> None:
        self._index = index

    def _safe(self, what: str, user_id: str, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:  # derived data: the write it follows has succeeded
            logger.warning("search index update failed", extra={"operation": what}, exc_info=True)

    def created(self, conversation: Conversation) -> None:
        """Index the title: only a conversation with an indexed title has its messages indexed, so a
        temporary chat (never indexed) leaves nothing in the index."""
        c = conversation
        if c.temporary:
            return
        self._safe("created", c.user_id, lambda: self._index.add(
            c.user_id, [IndexedMessage(c.conversation_id, None, TITLE_ROLE, c.title, c.created_at)]))

    def messages(self, user_id: str, messages: Iterable[Message]) -> None:
        docs = [indexed(m) for m in messages if m.role in ("user", "assistant") and m.content]
        if docs:
            self._safe("messages", user_id, lambda: self._index.add(user_id, docs))

    def retitled(self, user_id: str, conversation_id: str, title: str) -> None:
        self._safe("retitled", user_id, lambda: self._index.set_title(user_id, conversation_id, title))

    def archived(self, user_id: str, conversation_id: str, archived: bool) -> None:
        self._safe("archived", user_id, lambda: self._index.set_archived(user_id, conversation_id, archived))

    def deleted(self, user_id: str, conversation_id: str) -> None:
        self._safe("deleted", user_id, lambda: self._index.remove_conversation(user_id, conversation_id))
