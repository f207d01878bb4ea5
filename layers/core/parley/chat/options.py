"""What the chat use cases are configured with (built from settings at start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Marks "no parentMessageId given" apart from an explicit null (a new root, when editing the first message).
CONTINUE: Final = object()


@dataclass(frozen=True)
class ChatOptions:
    default_system_prompt: str
    max_message_chars: int
    checkpoint_interval_s: float
    cache_enabled: bool
    summary_trigger_fraction: float = 0.5
    generate_titles: bool = True
    attachment_share: float = 0.5
    #: Tokens for older messages recalled into a long conversation's context (0: none).
    recall_tokens: int = 0
    #: How often a resumed stream re-reads a checkpoint written by another process.
    resume_poll_s: float = 1.0
    #: An SSE comment this often keeps idle connections (and proxies) from timing out.
    ping_interval_s: float = 15.0
