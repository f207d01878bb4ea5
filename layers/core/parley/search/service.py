"""The search use case: parse, ask the user's index, and check every hit against the table.

The check (one consistent BatchGetItem of the page's conversations) is what makes a deletion
disappear from results at once, whatever the index's lag, and gives each hit its current title.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from parley.conversations.cursor import decode_cursor, encode_cursor
from parley.conversations.model import Conversation
from parley.errors import BadRequest
from parley.search.port import SearchHit, SearchIndex, SearchRequest
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
                 catch_up: Callable[[str], object] | None = None) -> None:
        self._index = index
        self._conversations = conversations
        self._catch_up = catch_up

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
        page = self._index.search(user_id, SearchRequest(words, phrases, archived, from_ms, to_ms, offset, limit))
        found = self._conversations(user_id, sorted({h.conversation_id for h in page.hits}))
        # The table decides: deleted or expired conversations are gone, and the archive flag is current.
        results = [Result(h, found[h.conversation_id].title) for h in page.hits if h.conversation_id in found
                   and (archived is None or found[h.conversation_id].archived == archived)]
        more = page.more and offset + limit <= MAX_OFFSET
        return ResultPage(results, encode_cursor([str(offset + limit), fingerprint]) if more else None)
