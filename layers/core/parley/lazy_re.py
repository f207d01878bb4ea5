"""Regular expressions compiled at first use rather than at import.

A module holding a large table of patterns (the router's features) would otherwise compile them all
while a Lambda function starts, whether or not that function ever routes a message.
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    """Stands for ``re.compile(source, flags)``; compiles on the first attribute read."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._source, self._flags)
        return getattr(compiled, name)


def lazy_compile(source: str, flags: int = 0) -> re.Pattern[str]:
    return LazyPattern(source, flags)  # type: ignore[return-value]
