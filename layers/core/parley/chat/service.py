"""Chat use cases: send, regenerate, stop.

Before the first token a turn costs at most four AWS calls, two pairs run concurrently:
admission (rate limits) with the conversation read, then the cache lookup with the transaction
that stores the user message and the answer's placeholder. After the stream, one transaction
saves the answer, updates the conversation and records the usage; a cache fill may follow.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import anyio

from model_endpoints.catalog import AUTO, Catalog, ModelSpec
from parley.attachments.service import AttachmentService, TurnAttachments
from parley.auth import Identity
from parley.cache.responses import CachedAnswer, ResponseCache, cache_key
from parley.chat.events import EventLog, SseEvent
from parley.chat.generation import (
    Generation,
    ReplayBackend,
    TurnPlan,
    final_event_of,
    preview_for,
    start_data_of,
)
from parley.chat.moderation import SafetyGate, model_text
from parley.context.builder import Summary, applicable_summary, build_context, input_budget
from parley.conversations.model import INTERRUPTED, Conversation, Message, preview_of
from parley.conversations.repository import ANY_CURRENT, ConcurrentChange, ConversationRepository, DuplicateRequest
from parley.conversations.tree import branch_to, link_children
from parley.errors import Forbidden, NotFound, ValidationFailed
from parley.idempotency.records import IdempotencyKey, IdempotencyStore
from parley.ids import new_id, now_ms
from parley.inference.base import ChatMessage, GenerationParams, InferenceBackend, InferenceRequest
from parley.limits.ledger import Admission, UsageLedger
from parley.observability import MetricsSink, logger
from parley.personal.context import PersonalContext
from parley.routing import NoCapableModel, RouteDecision, fallback_chain, required_capabilities, route
from parley.safety import neutralize_template_tokens
from parley.tokens import PER_MESSAGE_OVERHEAD, count_tokens
from parley.workflows.runner import WorkflowStarter

#: How often a send that lost a race for the end of the active branch is prepared again.
MAX_CONCURRENT_RETRIES = 40

#: Marks "no parentMessageId given" apart from an explicit null (a new root, when editing the first message).
CONTINUE = object()



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


@dataclass
class Replay:
    """A repeated idempotent send whose first answer is already saved."""

    message: Message
    user_message_id: str | None


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

    def all(self) -> list[Generation]:
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


class ChatService:
    def __init__(
        self,
        *,
        repository: ConversationRepository,
        catalog: Catalog,
        backend_for: Callable[[ModelSpec], InferenceBackend],
        ledger: UsageLedger,
        cache: ResponseCache,
        idempotency: IdempotencyStore,
        router: Callable[..., RouteDecision] = route,
        metrics: MetricsSink,
        options: ChatOptions,
        run_blocking: Callable[..., Awaitable[Any]],
        workflows: WorkflowStarter | None = None,
        safety: SafetyGate | None = None,
        attachments: AttachmentService | None = None,
        personal: PersonalContext | None = None,
    ) -> None:
        self._attachments = attachments
        self._personal = personal
        self._workflows = workflows
        self._safety = safety
        self._repo = repository
        self._catalog = catalog
        self._backend_for = backend_for
        self._ledger = ledger
        self._cache = cache
        self._idem = idempotency
        self._route = router
        self._metrics = metrics
        self._opts = options
        self._system_tokens: int | None = None  # counted on first use: the tokenizer loads in ~0.15 s
        self._run_blocking = run_blocking
        # Independent AWS calls of one turn run side by side on these threads.
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="turn")
        self.active = ActiveGenerations()

    # -- preparing turns (blocking: runs on a worker thread) -------------------------------------

    def prepare_send(
        self,
        who: Identity,
        conversation_id: str,
        *,
        content: str,
        parent_id: Any = CONTINUE,
        model: str | None = None,
        idempotency: IdempotencyKey | None = None,
        attachments: tuple[str, ...] = (),
    ) -> TurnPlan | Replay:
        text = self._check_content(content)
        # Screened before anything is stored or counted: a blocked message never reaches the model.
        safety_details = self._safety.screen_user_text(who, text)[1] if self._safety else {}

        def turn(conversation: Conversation, by_id: dict[str, Message]) -> tuple[list[Message], Message, bool]:
            parent = conversation.current_message_id if parent_id is CONTINUE else parent_id
            if parent is not None and parent_id is not CONTINUE:
                found = by_id.get(parent)
                if found is None:
                    raise NotFound("parent message not found in this conversation")
                if found.role != "assistant":
                    raise ValidationFailed(
                        "parentMessageId must be an assistant message (to edit a message, send under its parent)"
                    )
            user_message = Message(
                message_id=new_id(),
                conversation_id=conversation_id,
                parent_id=parent,
                role="user",
                content=text,
                created_at=now_ms(),
                tokens=count_tokens(text),
                details=safety_details,
                attachments=list(attachments),
                expires_at=conversation.expires_at,
                author_id=who.user_id,
            )
            return branch_to(by_id, parent) + [user_message], user_message, parent_id is CONTINUE

        return self._prepare(who, conversation_id, model, idempotency, turn, use_cache=True, leaf=parent_id)

    def prepare_regenerate(
        self, who: Identity, conversation_id: str, message_id: str, *, model: str | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> TurnPlan | Replay:
        def turn(conversation: Conversation, by_id: dict[str, Message]) -> tuple[list[Message], None, bool]:
            target = by_id.get(message_id)
            if target is None:
                raise NotFound("message not found in this conversation")
            user_message = by_id.get(target.parent_id) if target.role == "assistant" and target.parent_id else target
            if user_message is None or user_message.role != "user":
                raise ValidationFailed("only an answer to a user message can be regenerated")
            if conversation.role != "owner" and user_message.author_id != who.user_id:
                raise Forbidden("a participant regenerates only the answers to their own messages")
            return branch_to(by_id, user_message.message_id), None, False

        # Regenerating asks for a different answer: it never reads the cache.
        return self._prepare(who, conversation_id, model, idempotency, turn, use_cache=False, leaf=message_id)

    def _prepare(
        self,
        who: Identity,
        conversation_id: str,
        model: str | None,
        idempotency: IdempotencyKey | None,
        turn: Callable[[Conversation, dict[str, Message]], tuple[list[Message], Message | None, bool]],
        *,
        use_cache: bool,
        leaf: Any = CONTINUE,
    ) -> TurnPlan | Replay:
        """Admit, load, build the turn (its history and new user message), plan and persist it.

        A turn that fails after admission gives its admission back; one whose idempotency record
        already exists answers with the first request's result. Sends that continue the active
        branch at the same time are serialized: each must find the branch where it read it, and one
        that lost the race is prepared again on the branch as it now is (so concurrent sends chain,
        in order, instead of forking).
        """
        received = time.perf_counter()
        requested = self._check_model(model)
        aws_started = time.perf_counter()
        admission, (conversation, messages, summaries) = self._admit_and_load(who, conversation_id, leaf)
        aws_s = time.perf_counter() - aws_started
        try:
            if conversation.role == "viewer":
                raise Forbidden("a viewer of this conversation cannot send or regenerate")
            for attempt in range(MAX_CONCURRENT_RETRIES + 1):
                history, user_message, continues = turn(conversation, link_children(messages))
                try:
                    plan = self._plan(who, conversation, history, summaries, user_message, requested, now_ms(),
                                      admission, idempotency, use_cache=use_cache,
                                      expected_current=conversation.current_message_id if continues else ANY_CURRENT)
                    break
                except ConcurrentChange:
                    if attempt == MAX_CONCURRENT_RETRIES:
                        raise
                    time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                    conversation, messages, summaries = self._load_turn(who.user_id, conversation_id, leaf)
        except DuplicateRequest:
            self._ledger.release(who, admission)
            return self._replay(who, idempotency)
        except Exception:
            self._ledger.release(who, admission)
            raise
        plan.aws_before_first_token_s += aws_s
        plan.received_at = received
        return plan

    def _admit_and_load(
        self, who: Identity, conversation_id: str, leaf: Any = CONTINUE
    ) -> tuple[Admission, tuple[Conversation, list[Message], list[Summary]]]:
        admit = self._pool.submit(self._ledger.admit, who)
        load = self._pool.submit(self._load_turn, who.user_id, conversation_id, leaf)
        admission = admit.result()  # over a limit: 429 before anything is stored
        try:
            return admission, load.result()
        except Exception:
            self._ledger.release(who, admission)
            raise

    def _load_turn(
        self, user_id: str, conversation_id: str, leaf: Any
    ) -> tuple[Conversation, list[Message], list[Summary]]:
        """The branch the turn continues (from ``leaf``, or the current message), back as far as the
        largest context window or a summary reaches: not the whole conversation."""
        budget = max(spec.context_window for spec in self._catalog.models)
        return self._repo.load_for_turn(user_id, conversation_id, leaf_id=None if leaf is CONTINUE else leaf,
                                        from_current=leaf is CONTINUE, budget_tokens=budget)

    def _plan(
        self,
        who: Identity,
        conversation: Conversation,
        history: list[Message],
        summaries: list[Summary],
        user_message: Message | None,
        requested: str | None,
        now: int,
        admission: Admission,
        idempotency: IdempotencyKey | None,
        *,
        use_cache: bool,
        expected_current: str | None | object = ANY_CURRENT,
    ) -> TurnPlan:
        anchor = history[-1]
        preamble = self._preamble(who, conversation, admission, anchor)
        default_prompt = conversation.system_prompt is None
        system_prompt = conversation.system_prompt or self._opts.default_system_prompt
        system_tokens = self._default_system_tokens() if default_prompt else count_tokens(system_prompt)
        turn = self._attachments_for(who, anchor, requested or conversation.model)
        if turn is not None and self._safety is not None:
            document_safety = self._safety.check_documents(who, turn.records)
            if document_safety and user_message is not None:
                user_message.details["safety"] = {**user_message.details.get("safety", {}), **document_safety}
        if turn is not None and user_message is not None:
            user_message.details["attachments"] = turn.records
            if turn.image_count:
                user_message.details["images"] = turn.image_count
        chain, reason = self._choose_models(requested or conversation.model, anchor, history, system_tokens)
        summary = applicable_summary(summaries, history)
        # History is trimmed to fit any window, but the new message itself never is: the first model
        # of the chain whose window takes it answers, and none is a 422 before anything is stored.
        for index, spec in enumerate(chain):
            params = GenerationParams(max_tokens=spec.max_output)
            context = build_context(
                system_prompt=system_prompt,
                system_tokens=system_tokens,
                history=history,
                spec=spec,
                max_output=params.max_tokens,
                summary=summary,
                render=model_text,
                turn_content=self._turn_content(anchor, turn) if turn is not None else None,
                turn_extra_tokens=turn.tokens if turn is not None else 0,
                preamble=preamble,
                recall_budget=self._opts.recall_tokens,
            )
            if context.input_tokens <= input_budget(spec, params.max_tokens):
                chain = chain[index:]
                break
        else:
            raise ValidationFailed(
                f"this message needs {context.input_tokens} tokens of context; the largest model that can take "
                f"it has room for {input_budget(spec, params.max_tokens)}", code="context_length_exceeded"
            )
        request = InferenceRequest(tuple(context.messages), params, context.input_tokens)
        self._ledger.check_budget(admission, worst_case_cost(chain, request))
        assistant = Message(
            message_id=new_id(),
            conversation_id=conversation.conversation_id,
            parent_id=anchor.message_id,
            role="assistant",
            content="",
            created_at=now,
            model=spec.id,
            status="generating",
            expires_at=conversation.expires_at,
            author_id=who.user_id,
        )
        extra = []
        if idempotency is not None:
            record = self._idem.new_record(idempotency, status="in_progress",
                                           conversation_id=conversation.conversation_id,
                                           message_id=assistant.message_id)
            extra.append(lambda tx: tx.save(record, condition=self._idem.condition()))
        key = None
        if use_cache and self._opts.cache_enabled:
            shared = default_prompt and not anchor.attachments and not preamble
            key = cache_key(model=spec.id, request=request,
                            attachment_hashes=turn.content_hashes if turn is not None else (),
                            scope_user=None if shared else who.user_id)
        aws_started = time.perf_counter()
        if turn is not None and user_message is not None:
            self._attachments.link(who.user_id, list(anchor.attachments), conversation.conversation_id)
        lookup = self._pool.submit(self._cache.get, key) if key else None
        self._repo.begin_turn(
            conversation.user_id,  # the owner: a member's turn goes into the owner's conversation
            conversation.conversation_id,
            new_messages=([user_message] if user_message else []) + [assistant],
            current_message_id=assistant.message_id,
            preview=preview_of(anchor.content),
            now=now,
            extra=extra,
            expected_current=expected_current,
        )
        if user_message is not None and len(history) == 1 and conversation.title_source == "default":
            self._start_title(who, conversation.conversation_id, user_message.message_id)
        cached = self._cache_result(lookup)
        aws_s = time.perf_counter() - aws_started
        if key:
            self._metrics.emit({"CacheHits" if cached else "CacheMisses": 1})
        start_data: dict[str, Any] = {
            "messageId": assistant.message_id,
            "conversationId": conversation.conversation_id,
            "model": cached.model if cached else spec.id,
            "userMessageId": anchor.message_id,
            "parentMessageId": anchor.message_id,
            "contextTrimmed": context.trimmed,
            "summaryUsed": context.summary_through is not None,
        }
        if reason:
            start_data["routeReason"] = reason
        if cached:
            start_data["cached"] = True
        record = context.record()
        if user_message is not None and self._personal is not None and not conversation.temporary:
            created = self._personal.remember(who, user_message)
            if created is not None:
                record["memoryCreated"] = created
        plan = TurnPlan(
            user_id=conversation.user_id,
            conversation_id=conversation.conversation_id,
            user_message=user_message,
            assistant=assistant,
            chain=[self._catalog.by_id.get(cached.model, spec)] if cached else chain,
            request=request,
            context_record=record,
            start_data=start_data,
            route_reason=reason,
            cached=cached,
            identity=who,
            admission=admission,
            idempotency=idempotency,
            cache_key=key,
            headers=admission.headers(),
            aws_before_first_token_s=aws_s,
        )
        plan.on_saved.append(self._after_turn_hook(who, conversation, history, summary, spec))
        return plan

    def _start_title(self, who: Identity, conversation_id: str, user_message_id: str) -> None:
        """A title from the first message, started with the turn (it needs only the stored user
        message), so that it is ready by the time the first answer ends. Off the hot path: the
        workflow start is one more AWS call in AWS mode, made on the turn's pool, never awaited."""
        if self._workflows is None or not self._opts.generate_titles:
            return
        workflows = self._workflows
        payload = {"conversationId": conversation_id, "userId": who.user_id, "leafMessageId": user_message_id}

        def start() -> None:
            try:
                workflows.start("title", f"title-{conversation_id}", payload)
            except Exception:
                logger.exception("title workflow did not start", extra={"conversation_id": conversation_id})

        self._pool.submit(start)

    def _preamble(self, who: Identity, conversation: Conversation, admission: Admission, anchor: Message) -> list:
        """The user's instructions and the memories relevant to the message answered (none in a
        temporary chat). Read only when the admission says they changed since this process last did."""
        if self._personal is None:
            return []
        blocks = self._personal.blocks(who.user_id, anchor.content, admission.profile_version)
        return [b for b in blocks if b.kind != "memory" or not conversation.temporary]

    def _attachments_for(self, who: Identity, anchor: Message, model_id: str) -> TurnAttachments | None:
        """The attached documents (chosen chunks, as untrusted data) and images of the user's turn."""
        if not anchor.attachments or self._attachments is None:
            return None
        # The budget is a share of the smallest window the turn may be routed to (vision and code
        # models are smaller), so that the documents fit whichever model answers.
        candidates = [self._catalog.get(model_id)] if model_id != AUTO else list(self._catalog.models)
        window = min(input_budget(m, m.max_output) for m in candidates if m is not None)
        budget = int(window * self._opts.attachment_share)
        return self._attachments.context_for_turn(who.user_id, list(anchor.attachments), anchor.content, budget)

    @staticmethod
    def _turn_content(anchor: Message, turn: TurnAttachments) -> str | list[dict[str, Any]]:
        text = "\n\n".join([*turn.document_blocks, model_text(anchor)])
        if not turn.image_parts:
            return text
        return [{"type": "text", "text": text}, *turn.image_parts]

    def _default_system_tokens(self) -> int:
        if self._system_tokens is None:
            self._system_tokens = count_tokens(self._opts.default_system_prompt)
        return self._system_tokens

    def prepare_completion(
        self, who: Identity, *, messages: list[ChatMessage], model: str, params: GenerationParams
    ) -> TurnPlan:
        """A stateless completion (the OpenAI-compatible API): the same limits, routing, cache and
        ledger as a chat turn, but the messages come with the request and nothing else is stored."""
        received = time.perf_counter()
        if not any(m.role == "user" for m in messages):
            raise ValidationFailed("messages must contain at least one user message", param="messages")
        requested = self._check_model(model)
        messages = self._screen_completion(who, messages)
        last_user = next(m for m in reversed(messages) if m.role == "user")
        image_count = sum(_image_parts(m.content) for m in messages)
        text_of = [_text_of(m.content) for m in messages]
        if len(text_of[-1]) > self._opts.max_message_chars:
            raise ValidationFailed(f"content must be at most {self._opts.max_message_chars} characters",
                                   code="content_too_long", param="messages")
        context_tokens = sum(count_tokens(t) + PER_MESSAGE_OVERHEAD for t in text_of) + 1000 * image_count
        aws_started = time.perf_counter()
        admission = self._ledger.admit(who)
        try:
            chain, reason = self._model_chain(requested or AUTO, _text_of(last_user.content),
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
            cached = self._cache_result(self._pool.submit(self._cache.get, key)) if key else None
            if key:
                self._metrics.emit({"CacheHits" if cached else "CacheMisses": 1})
        except Exception:
            self._ledger.release(who, admission)
            raise
        now = now_ms()
        assistant = Message(new_id(), "", None, "assistant", "", now, model=spec.id, status="generating")
        return TurnPlan(
            user_id=who.user_id,
            conversation_id="",
            user_message=None,
            assistant=assistant,
            chain=[self._catalog.by_id.get(cached.model, spec)] if cached else chain,
            request=request,
            context_record={"contextTokens": context_tokens},
            start_data={"messageId": assistant.message_id, "model": cached.model if cached else spec.id,
                        "cached": bool(cached), **({"routeReason": reason} if reason else {})},
            route_reason=reason,
            cached=cached,
            identity=who,
            admission=admission,
            cache_key=key,
            headers=admission.headers(),
            aws_before_first_token_s=time.perf_counter() - aws_started,
            received_at=received,
            stateless=True,
        )

    def _screen_completion(self, who: Identity, messages: list[ChatMessage]) -> list[ChatMessage]:
        """Screen the newest user message of a completion request (earlier ones were screened when
        they were new) and neutralise chat-template tokens in every user message."""
        if self._safety is None:
            return messages
        last = max(i for i, m in enumerate(messages) if m.role == "user")
        out: list[ChatMessage] = []
        for i, m in enumerate(messages):
            if m.role != "user":
                out.append(m)
            elif isinstance(m.content, str):
                text = self._safety.screen_user_text(who, m.content)[0].text if i == last else \
                    neutralize_template_tokens(m.content)
                out.append(ChatMessage("user", text))
            else:
                parts = []
                for part in m.content:
                    if part.get("type") == "text":
                        text = str(part.get("text", ""))
                        text = self._safety.screen_user_text(who, text)[0].text if i == last else \
                            neutralize_template_tokens(text)
                        part = {"type": "text", "text": text}
                    parts.append(part)
                out.append(ChatMessage("user", parts))
        return out

    def _after_turn_hook(
        self, who: Identity, conversation: Conversation, history: list[Message], summary: Summary | None,
        spec: ModelSpec,
    ) -> Callable[[Message], None]:
        """Background work a saved answer may call for: a summary once the branch's unsummarized
        history passes the threshold. It never delays the answer."""
        covered = 0
        if summary is not None:
            covered = next(i for i, m in enumerate(history) if m.message_id == summary.through_message_id) + 1
        uncovered_tokens = sum(m.tokens for m in history[covered:])
        threshold = self._opts.summary_trigger_fraction * input_budget(spec, spec.max_output)

        def after(message: Message) -> None:
            if self._workflows is None or message.finish_reason not in ("stop", "length"):
                return
            base = {"conversationId": conversation.conversation_id, "userId": conversation.user_id,
                    "leafMessageId": message.message_id}
            # A temporary chat is not summarized: a summary item would outlive its expiring messages.
            if uncovered_tokens + message.tokens > threshold and not conversation.temporary:
                self._workflows.start("summarize", f"sum-{message.message_id}", base)

        return after

    def _cache_result(self, lookup: Any) -> CachedAnswer | None:
        if lookup is None:
            return None
        try:
            return lookup.result()
        except Exception:
            # The cache is an optimisation: a failed lookup is a miss, never a failed turn.
            logger.exception("cache lookup failed")
            return None

    def _choose_models(
        self, model_id: str, anchor: Message, history: list[Message], system_tokens: int
    ) -> tuple[list[ModelSpec], str | None]:
        """The model chain of a chat turn (see :meth:`_model_chain`)."""
        previous = next((m.model for m in reversed(history) if m.role == "assistant" and m.model), None)
        previous_spec = self._catalog.get(previous) if previous else None
        return self._model_chain(
            model_id,
            anchor.content,
            image_count=int(anchor.details.get("images", 0)),
            context_tokens=system_tokens + sum(m.tokens for m in history),
            previous_tier=previous_spec.tier if previous_spec else None,
        )

    def _model_chain(
        self, model_id: str, text: str, *, image_count: int, context_tokens: int, previous_tier: str | None = None
    ) -> tuple[list[ModelSpec], str | None]:
        """The routed (``auto``) or requested model, then its fallbacks, keeping only models that can
        take the turn (vision for images); with the routing reason."""
        reason = None
        if model_id == AUTO:
            try:
                decision = self._route(text, image_count=image_count, context_tokens=context_tokens,
                                       catalog=self._catalog, previous_tier=previous_tier)
            except NoCapableModel as exc:
                raise ValidationFailed(str(exc), code="no_capable_model") from exc
            model_id, reason = decision.model_id, decision.reason
        elif self._catalog.get(model_id) is None:
            raise ValidationFailed(f"unknown model '{model_id}'", code="unknown_model")
        chain = fallback_chain(self._catalog, model_id, required=required_capabilities(image_count))
        if not chain:
            raise ValidationFailed(
                f"model '{model_id}' cannot take this message" + (" (it has images)" if image_count else ""),
                code="no_capable_model",
            )
        return chain, reason

    def _replay(self, who: Identity, idempotency: IdempotencyKey | None) -> Replay:
        """The first result of a repeated idempotent send (409 while it is still running)."""
        replay = self.check_replay(who, idempotency)
        if replay is None:
            raise self._idem.in_progress()
        return replay

    def check_replay(self, who: Identity, idempotency: IdempotencyKey | None) -> Replay | None:
        """A repeat of a finished send answers from its record without touching the limits."""
        if idempotency is None:
            return None
        prior = self._idem.prior(idempotency)
        if prior is None:
            return None
        if not prior.message_id or not prior.conversation_id:
            raise self._idem.in_progress()
        message = self._repo.get_message(who.user_id, prior.conversation_id, prior.message_id)
        # Still running, unless its process died mid-answer: then the interrupted answer is what
        # the first request got, and a repeat answers with it rather than a 409 for a day.
        if prior.status != "complete" and message.finish_reason != INTERRUPTED:
            raise self._idem.in_progress()
        return Replay(message=message, user_message_id=message.parent_id)

    def _check_content(self, content: str) -> str:
        if not content or not content.strip():
            raise ValidationFailed("content must not be empty")
        if len(content) > self._opts.max_message_chars:
            raise ValidationFailed(f"content must be at most {self._opts.max_message_chars} characters",
                                   code="content_too_long")
        return content

    def _check_model(self, model: str | None) -> str | None:
        if model is not None and not self._catalog.is_known(model):
            raise ValidationFailed(f"unknown model '{model}'; see GET /models", code="unknown_model", param="model")
        return model

    # -- running turns (on the event loop) -------------------------------------------------------

    def start(self, plan: TurnPlan) -> Generation:
        generation = Generation(
            plan,
            backend_for=(lambda _spec: ReplayBackend(plan.cached)) if plan.cached else self._backend_for,
            save=(lambda m: self._record_usage(plan, m)) if plan.stateless else (lambda m: self._save(plan, m)),
            checkpoint=(lambda _m, _c: False) if plan.stateless else self._repo.checkpoint,
            metrics=self._metrics,
            checkpoint_interval_s=self._opts.checkpoint_interval_s,
            run_blocking=self._run_blocking,
            # A cached answer passed moderation when it was first generated.
            moderator=self._safety.moderator() if self._safety and not plan.cached else None,
            on_moderation=(lambda d: self._safety.log_output(plan.user_id, d)) if self._safety else None,
        )
        if plan.cache_key and not plan.cached:
            plan.on_saved.append(lambda m: self._fill_cache(plan, m))
        if not plan.stateless:
            plan.on_save_failed.append(lambda m: self._abandon(plan, m))
        generation.start()
        self.active.add(generation)
        logger.info("turn started", extra={"conversation_id": plan.conversation_id,
                                           "message_id": plan.assistant.message_id,
                                           "model": plan.chain[0].id, "cached": bool(plan.cached)})
        return generation

    def _save(self, plan: TurnPlan, message: Message) -> None:
        extra = []
        if plan.identity is not None and plan.admission is not None:
            item, actions = self._ledger.usage_update(
                plan.identity,
                input_tokens=0 if plan.cached else message.input_tokens,
                output_tokens=0 if plan.cached else message.output_tokens,
                cost=message.cost,
                periods=plan.admission.periods,
                stale=plan.admission.stale,
            )
            extra.append(lambda tx: tx.update(item, actions=actions))
        if plan.idempotency is not None:
            record, record_actions = self._idem.completion(plan.idempotency)
            extra.append(lambda tx: tx.update(record, actions=record_actions))
        self._repo.finish_turn(plan.user_id, message, preview=preview_for(message), now=now_ms(), extra=extra)

    def _abandon(self, plan: TurnPlan, message: Message) -> None:
        """The answer could not be saved: leave the turn in a state a client can recover from.

        Best effort (whatever made the save fail may fail these too): the placeholder is marked
        failed, so readers and resumes stop waiting; the idempotency record is removed, so a retry
        can send again; and the admission is given back.
        """
        self._repo.fail_generation(message)
        if plan.idempotency is not None:
            self._idem.forget(plan.idempotency)
        if plan.identity is not None and plan.admission is not None:
            self._ledger.release(plan.identity, plan.admission)

    def _record_usage(self, plan: TurnPlan, message: Message) -> None:
        """A stateless completion stores nothing but its usage."""
        assert plan.identity is not None and plan.admission is not None
        self._ledger.record(
            plan.identity,
            input_tokens=0 if plan.cached else message.input_tokens,
            output_tokens=0 if plan.cached else message.output_tokens,
            cost=message.cost,
            periods=plan.admission.periods,
            stale=plan.admission.stale,
        )

    def _fill_cache(self, plan: TurnPlan, message: Message) -> None:
        if message.finish_reason != "stop" or not message.content or plan.cache_key is None:
            return  # errors, partial and stopped answers are never cached
        self._cache.put(plan.cache_key, CachedAnswer(message.content, message.model or "", message.input_tokens,
                                                     message.output_tokens))

    async def resume(
        self, who: Identity, conversation_id: str, message_id: str, after: int, *, poll_s: float, ping_every: float,
        max_wait_s: float = 900.0,
    ) -> AsyncIterator[SseEvent | None]:
        """Events of an answer after ``after`` (a Last-Event-ID), then live ones to its end.

        Checks ownership before returning, so a foreign or missing message is a 404, not a stream.
        Served from memory when the generation runs in this process; otherwise from the checkpoints
        the generating process writes every few seconds, polled until the answer is saved.
        """
        local = self.active.get(message_id)
        if local is not None and local.plan.user_id == who.user_id and local.plan.conversation_id == conversation_id:
            return local.log.follow(after, ping_every=ping_every)
        message = await self._run_blocking(self._repo.get_message, who.user_id, conversation_id, message_id)
        if message.role != "assistant":
            raise ValidationFailed("only an answer has events to resume")
        return self._replay_from_store(who, message, after, poll_s=poll_s, ping_every=ping_every,
                                       max_wait_s=max_wait_s)

    async def _replay_from_store(
        self, who: Identity, message: Message, after: int, *, poll_s: float, ping_every: float, max_wait_s: float
    ) -> AsyncIterator[SseEvent | None]:
        offset = max(after, 0)
        if after < 0:
            yield SseEvent("message_start", {**start_data_of(message), "resumed": True}, 0)
        deadline = time.monotonic() + max_wait_s
        quiet_since = time.monotonic()
        while True:
            content = message.content
            if len(content) > offset:
                yield SseEvent("content_chunk", {"delta": content[offset:]}, len(content))
                offset = len(content)
                quiet_since = time.monotonic()
            if message.status != "generating":
                break
            if time.monotonic() > deadline:
                yield SseEvent("error", {"code": "resume_timeout", "message": "the answer is still being generated",
                                         "retryable": True}, offset + 1)
                return
            await anyio.sleep(poll_s)
            if time.monotonic() - quiet_since >= ping_every:
                quiet_since = time.monotonic()
                yield None
            try:
                message = await self._run_blocking(self._repo.get_message, who.user_id, message.conversation_id,
                                                   message.message_id)
            except Exception as exc:  # deleted meanwhile, or AWS unavailable: end the stream cleanly
                gone = isinstance(exc, NotFound)
                yield SseEvent("error", {"code": "not_found" if gone else "service_unavailable",
                                         "message": "the answer is no longer available" if gone
                                         else "temporarily unavailable, please retry",
                                         "retryable": not gone}, offset + 1)
                return
        name, data = final_event_of(message)
        yield SseEvent(name, data, offset + 1)

    def replay(self, replay: Replay) -> EventLog:
        """A finished idempotent send, as events again (from what was saved)."""
        m = replay.message
        log = EventLog()
        log.start({**start_data_of(m), "replayed": True})
        if m.content:
            log.chunk(m.content)
        log.end(*final_event_of(m))
        return log

    async def stop(self, who: Identity, conversation_id: str, message_id: str) -> None:
        """Stop a generation: at once if it runs here, else through the flag its process polls."""
        local = self.active.get(message_id)
        if local is not None and local.plan.user_id == who.user_id and local.plan.conversation_id == conversation_id:
            local.request_stop()
            return
        await self._run_blocking(self._repo.request_stop, who.user_id, conversation_id, message_id)


    def begin_shutdown(self) -> None:
        """The process is about to stop (SIGTERM, Ctrl-C): every live answer ends now, is saved, and
        its stream ends with a retryable ``server_shutting_down`` error. Safe from a signal handler."""
        for generation in self.active.all():
            generation.request_shutdown()

    async def shutdown(self, grace_s: float = 5.0) -> None:
        """End every live generation and wait until each is saved (the app's lifespan shutdown)."""
        self.begin_shutdown()
        tasks = [g.task for g in self.active.all() if g.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in pending:  # a model that never answered: cancelling saves what there is
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace_s)


async def run_blocking(func: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking call (boto3/pynamodb) on a worker thread.

    The same thread pool as FastAPI's sync routes (anyio's, 40 threads by default), rather than
    asyncio's default executor, which has only cores + 4 threads and would queue saves of
    concurrent streams behind each other.
    """
    return await anyio.to_thread.run_sync(functools.partial(func, *args))


def worst_case_cost(chain: list[ModelSpec], request: InferenceRequest) -> float:
    """What a turn may cost at most: its whole output budget at the priciest model that may answer."""
    return max(spec.cost(request.context_tokens, request.params.max_tokens) for spec in chain)


def _text_of(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(str(p.get("text", "")) for p in content if p.get("type") == "text")


def _image_parts(content: str | list[dict[str, Any]]) -> int:
    return 0 if isinstance(content, str) else sum(1 for p in content if p.get("type") == "image_url")
