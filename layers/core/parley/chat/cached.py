"""The response cache on the chat path: looked up beside the turn's write, filled after a full answer.

The cache is an optimisation: a failed lookup is a miss and a failed fill is nothing, never a failed turn.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from concurrent.futures import Executor, Future

from parley.cache.responses import CachedAnswer, ResponseCache
from parley.catalog import ModelSpec
from parley.conversations.model import Message
from parley.inference.base import Completion, InferenceRequest, StreamEvent, TextDelta
from parley.observability import MetricsSink, logger


class CachedAnswers:
    def __init__(self, cache: ResponseCache, pool: Executor, metrics: MetricsSink) -> None:
        self._cache = cache
        self._pool = pool
        self._metrics = metrics

    def start_lookup(self, key: str | None) -> Future[CachedAnswer | None] | None:
        """Look up on the turn's pool, so the read overlaps the turn's own write."""
        return self._pool.submit(self._cache.get, key) if key else None

    def result(self, lookup: Future[CachedAnswer | None] | None) -> CachedAnswer | None:
        if lookup is None:
            return None
        try:
            cached = lookup.result()
        except Exception:
            logger.exception("cache lookup failed")
            cached = None
        self._metrics.emit({"CacheHits" if cached else "CacheMisses": 1})
        return cached

    def fill(self, key: str | None, message: Message) -> None:
        if message.finish_reason != "stop" or not message.content or key is None:
            return  # errors, partial and stopped answers are never cached
        self._cache.put(key, CachedAnswer(message.content, message.model or "", message.input_tokens,
                                          message.output_tokens))


class ReplayBackend:
    """Streams a stored answer through the same events as a model (cache hits)."""

    CHUNK_CHARS = 24

    def __init__(self, answer: CachedAnswer) -> None:
        self._answer = answer

    async def stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        text = self._answer.answer
        for i in range(0, len(text), self.CHUNK_CHARS):
            yield TextDelta(text[i : i + self.CHUNK_CHARS])
        yield Completion("stop", self._answer.input_tokens, self._answer.output_tokens)
