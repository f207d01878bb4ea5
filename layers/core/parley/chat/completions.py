"""Stateless completions (the OpenAI-compatible API): the same limits, routing, cache, moderation and
ledger as a chat turn, but the messages come with the request and nothing else is stored."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from parley.auth import Identity
from parley.cache.responses import cache_key
from parley.catalog import AUTO
from parley.chat.cached import CachedAnswers
from parley.chat.models import ModelChooser, worst_case_cost
from parley.chat.moderation import SafetyGate
from parley.chat.options import ChatOptions
from parley.chat.plan import TurnPlan
from parley.conversations.model import Message
from parley.errors import ValidationFailed
from parley.ids import new_id, now_ms
from parley.inference.base import ChatMessage, GenerationParams, InferenceRequest
from parley.limits.ledger import UsageLedger
from parley.safety import neutralize_template_tokens
from parley.tokens import PER_MESSAGE_OVERHEAD, count_tokens

#: What an image is counted as in a completion's context before the model reports its usage.
IMAGE_TOKENS = 1000


class CompletionService:
    def __init__(
        self,
        *,
        models: ModelChooser,
        ledger: UsageLedger,
        cached: CachedAnswers,
        options: ChatOptions,
        safety: SafetyGate | None = None,
    ) -> None:
        self._models = models
        self._ledger = ledger
        self._cached = cached
        self._opts = options
        self._safety = safety

    def prepare(
        self, who: Identity, *, messages: list[ChatMessage], model: str, params: GenerationParams
    ) -> TurnPlan:
        received = time.perf_counter()
        if not any(m.role == "user" for m in messages):
            raise ValidationFailed("messages must contain at least one user message", param="messages")
        requested = self._models.check_requested(model)
        messages = self._screen(who, messages)
        last_user = next(m for m in reversed(messages) if m.role == "user")
        image_count = sum(_image_parts(m.content) for m in messages)
        texts = [_text_of(m.content) for m in messages]
        if len(texts[-1]) > self._opts.max_message_chars:
            raise ValidationFailed(f"content must be at most {self._opts.max_message_chars} characters",
                                   code="content_too_long", param="messages")
        context_tokens = sum(count_tokens(t) + PER_MESSAGE_OVERHEAD for t in texts) + IMAGE_TOKENS * image_count
        aws_started = time.perf_counter()
        admission = self._ledger.admit(who)
        try:
            chain, reason = self._models.chain(requested or AUTO, _text_of(last_user.content),
                                               image_count=image_count, context_tokens=context_tokens)
            spec = chain[0]
            max_tokens = min(params.max_tokens, spec.max_output)
            if context_tokens + max_tokens > spec.context_window:
                raise ValidationFailed(
                    f"this request needs {context_tokens + max_tokens} tokens; {spec.id} takes {spec.context_window}",
                    code="context_length_exceeded", param="messages",
                )
            request = InferenceRequest(tuple(messages), replace(params, max_tokens=max_tokens), context_tokens)
            self._ledger.check_budget(admission, worst_case_cost(chain, request))
            key = None
            if self._opts.cache_enabled:
                shared = not any(m.role == "system" for m in messages) and not image_count
                key = cache_key(model=spec.id, request=request, attachment_hashes=(),
                                scope_user=None if shared else who.user_id)
            cached = self._cached.result(self._cached.start_lookup(key))
        except Exception:
            self._ledger.release(who, admission)
            raise
        assistant = Message(new_id(), "", None, "assistant", "", now_ms(), model=spec.id, status="generating")
        return TurnPlan(
            user_id=who.user_id,
            conversation_id="",
            user_message=None,
            assistant=assistant,
            chain=self._models.answering(chain, cached.model if cached else None),
            request=request,
            context_record={"contextTokens": context_tokens},
            start_data={"messageId": assistant.message_id, "model": cached.model if cached else spec.id,
                        "cached": bool(cached), **({"routeReason": reason} if reason else {})},
            route_reason=reason,
            cached=cached,
            identity=who,
            admission=admission,
            cache_key=key,
            quota=admission.quota,
            aws_before_first_token_s=time.perf_counter() - aws_started,
            received_at=received,
            stateless=True,
        )

    def _screen(self, who: Identity, messages: list[ChatMessage]) -> list[ChatMessage]:
        """Screen the newest user message of a completion request (earlier ones were screened when
        they were new) and neutralise chat-template tokens in every user message."""
        if self._safety is None:
            return messages
        safety = self._safety
        last = max(i for i, m in enumerate(messages) if m.role == "user")

        def clean(text: str, newest: bool) -> str:
            return safety.screen_user_text(who, text)[0].text if newest else neutralize_template_tokens(text)

        out: list[ChatMessage] = []
        for i, m in enumerate(messages):
            if m.role != "user":
                out.append(m)
            elif isinstance(m.content, str):
                out.append(ChatMessage("user", clean(m.content, i == last)))
            else:
                parts = [{"type": "text", "text": clean(str(p.get("text", "")), i == last)}
                         if p.get("type") == "text" else p for p in m.content]
                out.append(ChatMessage("user", parts))
        return out


def _text_of(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(str(p.get("text", "")) for p in content if p.get("type") == "text")


def _image_parts(content: str | list[dict[str, Any]]) -> int:
    return 0 if isinstance(content, str) else sum(1 for p in content if p.get("type") == "image_url")
