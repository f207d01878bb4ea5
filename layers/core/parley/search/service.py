"""The search use case: parse, ask the user's index, and check every hit against the table.

The check (one consistent BatchGetItem of the page's conversations) is what makes a deletion
disappear from results at once, whatever the index's lag, and gives each hit its current title.

A shared conversation's messages (whoever wrote them) are indexed once, in its owner's index. A
member's search also asks each sharer's index, restricted to the conversations that sharer shares
with them now (read consistently at each search, so a removal counts at once), and merges the hits
by score: the cost is on the rare search of a member, never on the turns (docs/sharing.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from parley.conversations.cursor import decode_cursor, encode_cursor
from parley.conversations.model import Conversation
from parley.errors import BadRequest
from parley.search.port import SearchHit, SearchIndex, SearchPage, SearchRequest
from parley.search.query import parse_query

#: How far into the ranking a cursor may go (deep pages of full-text results are never useful).
MAX_OFFSET = 1000


@dataclass(frozen=True, slots=True)
class Result:
    hit: SearchHit
    title: str


@dataclass(slots=True)
class ResultPage:
    results: list[Result]
    next_cursor: str | None


def _fingerprint(q: str, archived: bool | None, from_ms: int | None, to_ms: int | None) -> str:
    raw = f"{q}\x00{archived}\x00{from_ms}\x00{to_ms}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


class SearchService:
    def __init__(self, index: SearchIndex,
                 conversations: Callable[[str, list[str]], dict[str, Conversation]],
                 catch_up: Callable[[str], object] | None = None,
                 shared: Callable[[str], dict[str, Conversation]] | None = None) -> None:
        self._index = index
        self._conversations = conversations
        self._catch_up = catch_up
        #: The conversations shared with a user now, by id (their owner is ``user_id``).
        self._shared = shared

    @property
    def index(self) -> SearchIndex:
        return self._index

    def search(self, user_id: str, q: str, *, limit: int, cursor: str | None, archived: bool | None = None,
               from_ms: int | None = None, to_ms: int | None = None) -> ResultPage:
        words, phrases = parse_query(q)
        fingerprint = _fingerprint(q, archived, from_ms, to_ms)
        offset = 0
        if cursor:
            raw_offset, seen = decode_cursor(cursor, 2)
            # A cursor only continues the search it came from.
            if seen != fingerprint or not raw_offset.isdigit() or int(raw_offset) > MAX_OFFSET:
                raise BadRequest("cursor is not valid for this search", code="invalid_cursor")
            offset = int(raw_offset)
        if self._catch_up is not None:
            self._catch_up(user_id)
        shared = self._shared(user_id) if self._shared is not None else {}
        request = SearchRequest(words, phrases, archived, from_ms, to_ms, offset, limit)
        page = self._index.search(user_id, request) if not shared else self._with_shared(user_id, request, shared)
        found = {**self._conversations(user_id, sorted({h.conversation_id for h in page.hits
                                                         if h.conversation_id not in shared})), **shared}
        # The table decides: deleted or expired conversations are gone, and the archive flag is current.
        results = [Result(h, found[h.conversation_id].title) for h in page.hits if h.conversation_id in found
                   and (archived is None or found[h.conversation_id].archived == archived)]
        more = page.more and offset + limit <= MAX_OFFSET
        return ResultPage(results, encode_cursor([str(offset + limit), fingerprint]) if more else None)

    def _with_shared(self, user_id: str, request: SearchRequest, shared: dict[str, Conversation]) -> SearchPage:
        """The user's own index and each sharer's (only what it shares with the user), merged by
        score. Each is asked for the hits up to the end of the page, so paging stays exact; scores
        of different indexes are BM25 over different collections, so the merge is approximate."""
        by_owner: dict[str, list[str]] = {}
        for conversation in shared.values():
            by_owner.setdefault(conversation.user_id, []).append(conversation.conversation_id)
        window = replace(request, offset=0, limit=request.offset + request.limit)
        pages = [self._index.search(user_id, window)]
        for owner, conversation_ids in sorted(by_owner.items()):
            if self._catch_up is not None:
                self._catch_up(owner)
            pages.append(self._index.search(owner, replace(window, conversation_ids=tuple(sorted(conversation_ids)))))
        # A stable sort on the score alone keeps each index's own order of equal scores, and equal
        # scores of two indexes in the order the indexes are asked: the first n merged hits then
        # depend only on each index's first n, which is what makes the next page continue this one.
        merged = sorted((h for p in pages for h in p.hits), key=lambda h: -h.score)
        end = request.offset + request.limit
        return SearchPage(merged[request.offset:end], more=len(merged) > end or any(p.more for p in pages))
