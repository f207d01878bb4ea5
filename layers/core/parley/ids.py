"""Time-ordered identifiers (ULIDs): sortable by creation, so a Query returns messages in order."""

from __future__ import annotations

import re
import time

from ulid import ULID

ID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"
_ID_RE = re.compile(ID_PATTERN)


def new_id() -> str:
    return str(ULID())


def is_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


def now_ms() -> int:
    return int(time.time() * 1000)
