"""Required substrings of a regular expression: a cheap test that a pattern cannot match a text.

Output moderation runs a dozen patterns over every window of a streamed answer; most windows contain
none of the words any of them needs. :func:`required_substrings` reads a compiled pattern's parse tree
and returns strings of which every match must contain at least one. ``any(s in text for s in anchors)``
(C substring search) is then a sound filter: when it is false the pattern cannot match, so skipping
it changes no decision. Where nothing can be proven (a branch without a literal, IGNORECASE) the answer
is ``None`` and the pattern always runs.

The parse tree is ``re._parser``, the standard library's own (private, but the same module ``re``
compiles with since 3.11); a form it does not know contributes nothing, which is always safe.
"""

from __future__ import annotations

import re
import re._constants as sre  # the parse tree's opcodes
import re._parser as sre_parse
from typing import Any

_REPEATS = {sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT)}


def required_substrings(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which is in every text ``pattern`` matches (in its match), or None if unknown."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _sequence(sre_parse.parse(pattern.pattern, pattern.flags).data)


def _sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Every item of a sequence is in the match, so any one item's requirement is the sequence's."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        found = _item(op, av)
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset({"".join(run)}))
    # The rarest requirement is the longest shortest string; of those, the one with fewest strings.
    return max(candidates, key=lambda s: (min(map(len, s)), -len(s)), default=None)


def _item(op: Any, av: Any) -> frozenset[str] | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _sequence(sub.data)
    if op is getattr(sre, "ATOMIC_GROUP", None):
        return _sequence(av.data)
    if op in _REPEATS:
        low, _high, sub = av
        return _sequence(sub.data) if low >= 1 else None
    if op is sre.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            found = _sequence(alternative.data)
            if not found:
                return None  # one way to match needs no literal: the branch proves nothing
            union |= found
        return frozenset(union)
    return None
