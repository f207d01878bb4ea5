"""The default conversation list: the user's own active conversations and those shared with them, merged.

They sit in two ``by_user`` index partitions (``<user>#active`` and ``<user>#shared``) whose sort
keys have one shape, ``<15-digit ms>#<conversation id>``: the own ones by last update, the shared
ones by their last turn (each turn moves its members' entries, one write per member, beside the
answer) or, before any, by when they were shared. Ids are unique, so every entry of both partitions
has a distinct sort key and the merge is one total order. A page reads ``limit + 1`` entries of each
partition strictly below the previous page's last key and keeps the first ``limit`` of the merge:
the cursor is that one key, exact for both partitions at once (no duplicate, no gap), and it stays
valid when the entry it names moves or disappears, as DynamoDB's own start keys do.
"""

from __future__ import annotations

import builtins
import re

from parley.conversations.cursor import decode_cursor, encode_cursor
from parley.conversations.model import Conversation, ConversationPage
from parley.conversations.repository import ConversationRepository
from parley.errors import BadRequest
from parley.sharing.members import MemberService
from parley.storage.tables import ConversationModel, ConversationTable, MemberModel, list_pk

#: The first element of a merged cursor: a cursor of another list (two ids) is refused, not misread.
CURSOR_KIND = "all"
SORT_KEY = re.compile(r"^\d{15}#[0-9A-HJKMNP-TV-Z]{26}$")


class MergedListing:
    def __init__(self, table: ConversationTable, repository: ConversationRepository,
                 members: MemberService) -> None:
        self._t = table
        self._repo = repository
        self._members = members

    def list(self, user_id: str, *, limit: int, cursor: str | None) -> ConversationPage:
        """Own (``role: "owner"``) and shared conversations, newest sort key first."""
        before = self._position(cursor)
        own = self._own_items(user_id, before=before, limit=limit + 1)
        shared = self._members.shared_items(user_id, before=before, limit=limit + 1)
        # One extra entry of each partition tells whether anything follows this page.
        entries: list[ConversationModel | MemberModel] = [*own, *shared]
        merged = sorted(entries, key=lambda entry: entry.list_sk, reverse=True)
        page = merged[:limit]
        next_cursor = encode_cursor([CURSOR_KIND, page[-1].list_sk]) if len(merged) > limit else None
        resolved = self._members.resolve(user_id, [i for i in page if isinstance(i, MemberModel)])
        out: list[Conversation] = []
        for item in page:
            if isinstance(item, ConversationModel):
                out.append(self._repo.to_conversation(item))
            elif item.pk in resolved:  # a removed member's entry is left out (the cursor still moves past it)
                out.append(resolved[item.pk])
        return ConversationPage(out, next_cursor)

    def _own_items(self, user_id: str, *, before: str | None, limit: int) -> builtins.list[ConversationModel]:
        condition = self._t.conversation.list_sk < before if before is not None else None
        return list(self._t.by_user.query(list_pk(user_id, False), range_key_condition=condition,
                                          scan_index_forward=False, limit=limit, page_size=limit))

    @staticmethod
    def _position(cursor: str | None) -> str | None:
        if not cursor:
            return None
        kind, sort_key = decode_cursor(cursor, 2)
        if kind != CURSOR_KIND or not SORT_KEY.match(sort_key):
            raise BadRequest("cursor is not valid", code="invalid_cursor")
        return sort_key
