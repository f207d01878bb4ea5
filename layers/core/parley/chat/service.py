"""Chat use cases: send, regenerate, stop. Prepares and persists a turn, then starts its generation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from model_endpoints.catalog import AUTO, Catalog, ModelSpec
from parley.chat.generation import Generation, TurnPlan, preview_for
from parley.context.builder import build_context
from parley.conversations.model import Conversation, Message, preview_of
from parley.conversations.repository import ConversationRepository
from parley.conversations.tree import branch_to, link_children
from parley.errors import NotFound, ValidationFailed
from parley.ids import new_id, now_ms
from parley.inference.base import GenerationParams, InferenceBackend, InferenceRequest
from parley.observability import MetricsSink, logger
from parley.tokens import count_tokens

#: Marks "no parentMessageId given" apart from an explicit null (a new root, when editing the first message).
CONTINUE = object()


class ActiveGenerations:
    """Generations running in this process, by assistant message id (local stop, live resume)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Generation] = {}

    def add(self, generation: Generation) -> None:
        self._by_id[generation.message_id] = generation
        assert generation.task is not None
        generation.task.add_done_callback(lambda _: self._by_id.pop(generation.message_id, None))

    def get(self, message_id: str) -> Generation | None:
        return self._by_id.get(message_id)

    def __len__(self) -> int:
        return len(self._by_id)


class ChatService:
    def __init__(
        self,
        *,
        repository: ConversationRepository,
        catalog: Catalog,
        backend_for: Callable[[ModelSpec], InferenceBackend],
        metrics: MetricsSink,
        default_system_prompt: str,
        max_message_chars: int,
        checkpoint_interval_s: float,
        run_blocking: Callable[..., Awaitable[Any]],
    ) -> None:
        self._repo = repository
        self._catalog = catalog
        self._backend_for = backend_for
        self._metrics = metrics
        self._default_system_prompt = default_system_prompt
        self._system_tokens = count_tokens(default_system_prompt)
        self._max_chars = max_message_chars
        self._checkpoint_interval_s = checkpoint_interval_s
        self._run_blocking = run_blocking
        self.active = ActiveGenerations()

    # -- preparing turns (blocking: runs on a worker thread) -------------------------------------

    def prepare_send(
        self,
        user_id: str,
        conversation_id: str,
        *,
        content: str,
        parent_id: Any = CONTINUE,
        model: str | None = None,
    ) -> TurnPlan:
        text = self._check_content(content)
        requested = self._check_model(model)
        conversation, messages = self._repo.load(user_id, conversation_id)
        by_id = link_children(messages)
        if parent_id is CONTINUE:
            parent_id = conversation.current_message_id
        elif parent_id is not None:
            parent = by_id.get(parent_id)
            if parent is None:
                raise NotFound("parent message not found in this conversation")
            if parent.role != "assistant":
                raise ValidationFailed(
                    "parentMessageId must be an assistant message (to edit a message, send under its parent)"
                )
        now = now_ms()
        user_message = Message(
            message_id=new_id(),
            conversation_id=conversation_id,
            parent_id=parent_id,
            role="user",
            content=text,
            created_at=now,
            tokens=count_tokens(text),
        )
        history = branch_to(by_id, parent_id) + [user_message]
        return self._plan(user_id, conversation, history, user_message, requested, now)

    def prepare_regenerate(
        self, user_id: str, conversation_id: str, message_id: str, *, model: str | None = None
    ) -> TurnPlan:
        requested = self._check_model(model)
        conversation, messages = self._repo.load(user_id, conversation_id)
        by_id = link_children(messages)
        target = by_id.get(message_id)
        if target is None:
            raise NotFound("message not found in this conversation")
        user_message = by_id.get(target.parent_id) if target.role == "assistant" and target.parent_id else target
        if user_message is None or user_message.role != "user":
            raise ValidationFailed("only an answer to a user message can be regenerated")
        history = branch_to(by_id, user_message.message_id)
        return self._plan(user_id, conversation, history, None, requested, now_ms())

    def _plan(
        self,
        user_id: str,
        conversation: Conversation,
        history: list[Message],
        user_message: Message | None,
        requested: str | None,
        now: int,
    ) -> TurnPlan:
        chain, reason = self._choose_models(requested or conversation.model, history[-1])
        spec = chain[0]
        params = GenerationParams(max_tokens=spec.max_output)
        system_prompt = conversation.system_prompt or self._default_system_prompt
        system_tokens = (
            self._system_tokens if conversation.system_prompt is None else count_tokens(system_prompt)
        )
        context = build_context(
            system_prompt=system_prompt,
            system_tokens=system_tokens,
            history=history,
            spec=spec,
            max_output=params.max_tokens,
        )
        user_anchor = history[-1]
        assistant = Message(
            message_id=new_id(),
            conversation_id=conversation.conversation_id,
            parent_id=user_anchor.message_id,
            role="assistant",
            content="",
            created_at=now,
            model=spec.id,
            status="generating",
        )
        new_messages = ([user_message] if user_message else []) + [assistant]
        self._repo.begin_turn(
            user_id,
            conversation.conversation_id,
            new_messages=new_messages,
            current_message_id=assistant.message_id,
            preview=preview_of(user_anchor.content),
            now=now,
        )
        start_data: dict[str, Any] = {
            "messageId": assistant.message_id,
            "conversationId": conversation.conversation_id,
            "model": spec.id,
            "userMessageId": user_anchor.message_id,
            "parentMessageId": user_anchor.message_id,
            "contextTrimmed": context.trimmed,
        }
        if reason:
            start_data["routeReason"] = reason
        return TurnPlan(
            user_id=user_id,
            conversation_id=conversation.conversation_id,
            user_message=user_message,
            assistant=assistant,
            chain=chain,
            request=InferenceRequest(tuple(context.messages), params, context.input_tokens),
            context_record=context.record(),
            start_data=start_data,
            route_reason=reason,
        )

    def _choose_models(self, model_id: str, last_user: Message) -> tuple[list[ModelSpec], str | None]:
        if model_id == AUTO:
            spec = self._catalog.for_tier("fast")
            reason = "fast: default"
        else:
            found = self._catalog.get(model_id)
            if found is None:
                raise ValidationFailed(f"unknown model '{model_id}'", code="unknown_model")
            spec, reason = found, None
        chain = [spec] + [self._catalog.by_id[f] for f in spec.fallbacks]
        return chain, reason

    def _check_content(self, content: str) -> str:
        if not content or not content.strip():
            raise ValidationFailed("content must not be empty")
        if len(content) > self._max_chars:
            raise ValidationFailed(f"content must be at most {self._max_chars} characters", code="content_too_long")
        return content

    def _check_model(self, model: str | None) -> str | None:
        if model is not None and not self._catalog.is_known(model):
            raise ValidationFailed(f"unknown model '{model}'; see GET /models", code="unknown_model")
        return model

    # -- running turns (on the event loop) -------------------------------------------------------

    def start(self, plan: TurnPlan) -> Generation:
        generation = Generation(
            plan,
            backend_for=self._backend_for,
            save=lambda m: self._repo.finish_turn(plan.user_id, m, preview=preview_for(m), now=now_ms()),
            checkpoint=self._repo.checkpoint,
            metrics=self._metrics,
            checkpoint_interval_s=self._checkpoint_interval_s,
            run_blocking=self._run_blocking,
        )
        generation.start()
        self.active.add(generation)
        logger.info("turn started", extra={"conversation_id": plan.conversation_id,
                                           "message_id": plan.assistant.message_id,
                                           "model": plan.chain[0].id})
        return generation

    async def stop(self, user_id: str, conversation_id: str, message_id: str) -> None:
        """Stop a generation: at once if it runs here, else through the flag its process polls."""
        local = self.active.get(message_id)
        if local is not None and local.plan.user_id == user_id and local.plan.conversation_id == conversation_id:
            local.request_stop()
            return
        await self._run_blocking(self._repo.request_stop, user_id, conversation_id, message_id)


async def run_blocking(func: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking call (boto3/pynamodb) on a worker thread."""
    return await asyncio.to_thread(func, *args)
