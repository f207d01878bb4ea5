"""What a turn is once it is decided: the value objects passed from preparing a turn to running it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parley.auth import Identity
from parley.cache.responses import CachedAnswer
from parley.catalog import ModelSpec
from parley.conversations.model import Message
from parley.errors import Quota
from parley.idempotency.records import IdempotencyKey
from parley.inference.base import InferenceRequest
from parley.limits.ledger import Admission


@dataclass
class TurnPlan:
    """Everything decided before the first token (and already persisted)."""

    user_id: str
    conversation_id: str
    user_message: Message | None
    assistant: Message
    chain: list[ModelSpec]
    request: InferenceRequest
    context_record: dict[str, Any]
    start_data: dict[str, Any]
    route_reason: str | None = None
    #: A cache hit: the stored answer is streamed instead of calling a model.
    cached: CachedAnswer | None = None
    identity: Identity | None = None
    #: The conversation's live channel key as the turn read it (members see the turn live there).
    live_key: str | None = None
    admission: Admission | None = None
    idempotency: IdempotencyKey | None = None
    cache_key: str | None = None
    #: An OpenAI-style completion: nothing is stored but the usage ledger.
    stateless: bool = False
    #: Wall time spent waiting on AWS before the first token (observability and the benchmark).
    aws_before_first_token_s: float = 0.0
    #: When the request arrived (perf_counter), for the platform's time to first token.
    received_at: float | None = None
    #: The caller's standing against the rate limit, once admitted (what the response reports).
    quota: Quota | None = None
    #: Called with the finished assistant message once saved (cache fill, workflows...).
    on_saved: list[Callable[[Message], None]] = field(default_factory=list)
    #: Called when the answer could not be saved at all (best-effort clean-up of the turn).
    on_save_failed: list[Callable[[Message], None]] = field(default_factory=list)


@dataclass(frozen=True)
class Replay:
    """A repeated idempotent send whose first answer is already saved."""

    message: Message
    user_message_id: str | None
