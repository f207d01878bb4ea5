"""What a user types into the search box, split into words and quoted phrases."""

from __future__ import annotations

import re

from parley.errors import ValidationFailed

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
_PHRASE = re.compile(r'"([^"]*)"')


def parse_query(q: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(words, phrases). Text between double quotes is a phrase; an unclosed quote is ignored.

    Words and phrases are only split here; the index's own analyzer turns them into terms, so
    punctuation-only input simply finds nothing.
    """
    if not q.strip():
        raise ValidationFailed("q must not be empty", code="invalid_query")
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationFailed(f"q must be at most {MAX_QUERY_CHARS} characters", code="invalid_query")
    phrases = tuple(p.strip() for p in _PHRASE.findall(q) if p.strip())
    rest = _PHRASE.sub(" ", q).replace('"', " ")
    words = tuple(rest.split())
    if len(words) + len(phrases) > MAX_TERMS:
        raise ValidationFailed(f"q may hold at most {MAX_TERMS} words and phrases", code="invalid_query")
    return words, phrases
