"""Recall in long conversations: the older messages most relevant to the new one.

When a conversation's history no longer fits the window, what is left out survives only through
the summary, which keeps what seemed important when it was written. Recall ranks the messages left
out against the message being answered (BM25 over their text, with word forms folded) and brings
back the best ones, verbatim, as one system message that says they are retrieved excerpts, within
a token budget of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parley.conversations.model import Message
from parley.tokens import PER_MESSAGE_OVERHEAD

HEADER = ("Earlier messages of this conversation retrieved as relevant to the latest message "
          "(excerpts, in their original order; the recent conversation follows):")
#: Older messages considered for recall, newest first (ranking is in memory, per turn).
MAX_CANDIDATES = 4000
#: Tokens of the header and of each message's label line.
HEADER_TOKENS = 32
LABEL_TOKENS = 8


@dataclass(frozen=True, slots=True)
class Recalled:
    text: str
    tokens: int
    ids: tuple[str, ...]


def recall(older: Sequence[Message], query: str, budget: int,
           render: Callable[[Message], str] | None = None) -> Recalled | None:
    """The best of ``older`` (the branch's messages left out, oldest first) for ``query``, within
    ``budget`` tokens (stored token counts: nothing is re-tokenized)."""
    candidates = [m for m in older if m.content][-MAX_CANDIDATES:]
    if budget <= HEADER_TOKENS + PER_MESSAGE_OVERHEAD or not candidates or not query.strip():
        return None
    from parley.search.rank import rank  # tantivy loads on the first long conversation, not at start-up

    used = HEADER_TOKENS + PER_MESSAGE_OVERHEAD
    chosen: list[int] = []
    for position, _score in rank([m.content for m in candidates], query):
        cost = candidates[position].tokens + LABEL_TOKENS
        if used + cost > budget:
            continue  # a shorter, less relevant one may still fit
        chosen.append(position)
        used += cost
    if not chosen:
        return None
    picked = [candidates[p] for p in sorted(chosen)]
    lines = [HEADER] + [f"[{m.role}, earlier]: {render(m) if render else m.content}" for m in picked]
    return Recalled("\n\n".join(lines), used, tuple(m.message_id for m in picked))
