"""What a title may hold: visible text on one line, at most 255 characters as sent.

Titles are shown in lists and tab names, so control characters (NUL included), invisible format
characters (zero-width, bidi overrides, as in attachment file names) are removed and whitespace runs
become one space. The request schema says the same thing (``TITLE_PATTERN``), so that every title
the published schema allows is accepted, and every other one is a 422.
"""

from __future__ import annotations

import re

from parley.errors import ValidationFailed
from parley.textrules import INVISIBLE, VISIBLE

MAX_TITLE_CHARS = 255
DEFAULT_TITLE = "New chat"

#: At least one character that survives cleaning.
TITLE_PATTERN = VISIBLE
_REMOVE = re.compile(f"[{INVISIBLE}]")


def visible_text(text: str) -> str:
    """Without control and invisible characters, whitespace runs as one space."""
    return " ".join(_REMOVE.sub("", text).split())


def clean_title(title: str) -> str:
    """The title as stored, or a 422 when nothing visible is left or it is too long."""
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationFailed(f"title must be at most {MAX_TITLE_CHARS} characters")
    cleaned = visible_text(title)
    if not cleaned:
        raise ValidationFailed("title must not be empty")
    return cleaned
