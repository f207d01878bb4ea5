"""Rebuild a user's search index from the table: the index is derived data, so a lost or new index
directory (a fresh machine, a deleted folder, data written before search existed) is recovered by
reading what the user has, cold conversations from their archives (never restoring them)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from parley.conversations.model import Conversation, ConversationPage, Message
from parley.errors import ApiError
from parley.search.indexer import indexed
from parley.search.port import TITLE_ROLE, IndexedMessage, SearchIndex

logger = logging.getLogger(__name__)

ListPage = Callable[..., ConversationPage]
Snapshot = Callable[[str, str], tuple[Conversation, list[Message]]]


def rebuild(index: SearchIndex, user_id: str, list_page: ListPage, snapshot: Snapshot) -> int:
    """Index every listed conversation of the user (temporary chats are never listed); returns how many."""
    done = 0
    for archived in (False, True):
        cursor = None
        while True:
            page = list_page(user_id, archived=archived, limit=100, cursor=cursor)
            for listed in page.conversations:
                try:
                    conversation, messages = snapshot(user_id, listed.conversation_id)
                except ApiError:  # deleted meanwhile, or an unreadable archive: skipped, not fatal
                    logger.warning("search rebuild skipped a conversation", exc_info=True)
                    continue
                c = conversation
                index.add(user_id, [IndexedMessage(c.conversation_id, None, TITLE_ROLE, c.title, c.created_at)])
                if archived:
                    index.set_archived(user_id, c.conversation_id, True)
                index.add(user_id, [indexed(m) for m in messages if m.role in ("user", "assistant") and m.content])
                done += 1
            cursor = page.next_cursor
            if not cursor:
                break
    return done
