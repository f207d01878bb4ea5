"""Full-text search over a user's own conversations (titles and every message), one index per user."""

from parley.search.port import IndexedMessage, SearchHit, SearchIndex, SearchRequest

__all__ = ["IndexedMessage", "SearchHit", "SearchIndex", "SearchRequest"]
