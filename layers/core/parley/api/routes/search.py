"""Full-text search over the caller's own conversations and those shared with them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from parley.api.deps import IdentityDep, SearchDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import CamelModel, ErrorBody
from parley.search.query import MAX_QUERY_CHARS
from parley.textrules import NOT_BLANK

router = api_router(tags=["search"], responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}})


class SearchResult(CamelModel):
    conversation_id: str
    #: None when the conversation's title matched (``role`` is then "title").
    message_id: str | None
    title: str
    role: str
    #: HTML: the matched terms in `<mark>`, everything else escaped.
    snippet: str
    created_at: int


class SearchResults(CamelModel):
    results: list[SearchResult]
    next_cursor: str | None = None


@router.get("/search", response_model=SearchResults)
def search(
    who: IdentityDep,
    search: SearchDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NOT_BLANK,
                            description='Words (any form: "running" finds "run"); "quoted phrases" must match')],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    archived: bool | None = None,
    from_ms: Annotated[int | None, Query(alias="from", ge=0, description="Created at or after (epoch ms)")] = None,
    to_ms: Annotated[int | None, Query(alias="to", ge=0, description="Created at or before (epoch ms)")] = None,
) -> SearchResults:
    """Titles and messages of the caller's conversations and of those shared with them (hot and
    cold), most relevant first.

    Without `archived`, archived conversations are searched too; `archived=false` leaves them out.
    """
    page = search.search(who.user_id, q, limit=limit, cursor=cursor, archived=archived,
                           from_ms=from_ms, to_ms=to_ms)
    return SearchResults(
        results=[SearchResult(conversation_id=r.hit.conversation_id, message_id=r.hit.message_id, title=r.title,
                              role=r.hit.role, snippet=r.hit.snippet, created_at=r.hit.created_at)
                 for r in page.results],
        next_cursor=page.next_cursor,
    )
