"""Bring a user's search index up to date from the table.

The index is derived data. Besides the writes the repository reports as they happen, an index can
miss some: a fresh index directory (a new machine, a deleted folder, data from before search
existed), or writes made by another process (in AWS, until the stream-driven indexer of
docs/scaling.md exists, every Lambda container has its own index). ``catch_up`` re-indexes the
conversations updated since the index's high-water mark, newest first from the ``by_user`` index
(cold ones from their archives, never restoring them), and moves the mark. With no mark yet it
indexes everything the user has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from parley.conversations.model import Conversation, ConversationPage, Message
from parley.errors import ParleyError
from parley.observability import logger
from parley.search.indexer import indexed
from parley.search.port import TITLE_ROLE, IndexedMessage, SearchIndex

ListPage = Callable[..., ConversationPage]
Snapshot = Callable[[str, str], tuple[Conversation, list[Message]]]
#: Conversations updated this long before the mark are looked at again (clocks of processes differ).
CLOCK_SLACK_MS = 5_000


class MarkedIndex(SearchIndex, Protocol):
    def mark(self, user_id: str) -> int | None: ...

    def set_mark(self, user_id: str, updated_at: int) -> None: ...


def catch_up(index: MarkedIndex, user_id: str, list_page: ListPage, snapshot: Snapshot) -> int:
    """Re-index what changed since the mark; returns how many conversations were indexed."""
    mark = index.mark(user_id)
    since = None if mark is None else mark - CLOCK_SLACK_MS
    latest, changed = mark or 0, []
    for archived in (False, True):
        cursor = None
        while True:
            page = list_page(user_id, archived=archived, limit=50, cursor=cursor)
            older = [c for c in page.conversations if since is not None and c.updated_at <= since]
            changed += [(c.conversation_id, archived) for c in page.conversations if c not in older]
            latest = max([latest, *(c.updated_at for c in page.conversations)])
            cursor = page.next_cursor
            if older or not cursor:
                break  # the list is newest first: the rest is older still
    for conversation_id, archived in changed:
        try:
            conversation, messages = snapshot(user_id, conversation_id)
        except ParleyError:  # deleted meanwhile, or an unreadable archive: skipped, not fatal
            logger.warning("search catch-up skipped a conversation", exc_info=True)
            continue
        c = conversation
        index.add(user_id, [IndexedMessage(c.conversation_id, None, TITLE_ROLE, c.title, c.created_at)])
        index.set_archived(user_id, c.conversation_id, archived)
        index.add(user_id, [indexed(m) for m in messages if m.role in ("user", "assistant") and m.content])
    index.set_mark(user_id, latest)
    return len(changed)
