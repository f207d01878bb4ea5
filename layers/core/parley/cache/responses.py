"""Response cache in DynamoDB.

The key hashes the model, system prompt, the exact context messages, generation parameters and
attachment content hashes. It is shared across users only for conversations with the default system
prompt and no attachments; otherwise the user id is part of the key, so nobody can read another
user's answer through the cache.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from parley.ids import now_ms
from parley.inference.base import InferenceRequest


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    answer: str
    model: str
    input_tokens: int
    output_tokens: int


def cache_key(
    *, model: str, request: InferenceRequest, attachment_hashes: tuple[str, ...], scope_user: str | None
) -> str:
    canonical = {
        "v": 1,
        "scope": scope_user or "shared",
        "model": model,
        "messages": [m.as_openai() for m in request.messages],
        "params": request.params.as_dict(),
        "attachments": list(attachment_hashes),
    }
    raw = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, model: Any, *, ttl_s: int, max_answer_bytes: int) -> None:
        self._model = model
        self._ttl = timedelta(seconds=ttl_s)
        self._max_bytes = max_answer_bytes

    def get(self, key: str) -> CachedAnswer | None:
        try:
            item = self._model.get(key)
        except DoesNotExist:
            return None
        # DynamoDB deletes expired items only eventually (up to a few days): check ourselves.
        if item.expires_at is not None and item.expires_at <= datetime.now(tz=UTC):
            return None
        return CachedAnswer(item.answer, item.model, int(item.input_tokens), int(item.output_tokens))

    def put(self, key: str, answer: CachedAnswer) -> bool:
        if not answer.answer or len(answer.answer.encode("utf-8")) > self._max_bytes:
            return False
        item = self._model(
            key,
            answer=answer.answer,
            model=answer.model,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            created_at=now_ms(),
            expires_at=self._ttl,
        )
        item.save()
        return True
