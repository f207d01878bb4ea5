"""Chat turns: send and regenerate, prepared up to the first token (blocking: run on a worker thread).

Before the first token a turn costs at most four AWS calls, two pairs run concurrently:
admission (rate limits) with the conversation read, then the cache lookup with the transaction
that stores the user message and the answer's placeholder. After the stream, one transaction
saves the answer, updates the conversation and records the usage; a cache fill may follow. A
shared conversation's turn also moves its members' list entries (one UpdateItem each), beside the
answer, never before its first token.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from parley.attachments.service import AttachmentService
from parley.auth import Identity
from parley.chat.cached import CachedAnswers
from parley.chat.followups import TurnFollowUps
from parley.chat.models import ModelChooser, worst_case_cost
from parley.chat.moderation import SafetyGate
from parley.chat.options import CONTINUE, ChatOptions
from parley.chat.plan import Replay, TurnPlan
from parley.chat.planner import TurnDraft, TurnPlanner
from parley.chat.replays import Replays
from parley.conversations.model import Conversation, Message, Summary, preview_of
from parley.conversations.repository import ANY_CURRENT, ConcurrentChange, ConversationRepository, DuplicateRequest
from parley.conversations.tree import branch_to, link_children
from parley.errors import Forbidden, NotFound, ValidationFailed
from parley.idempotency.records import IdempotencyKey, IdempotencyStore
from parley.ids import new_id, now_ms
from parley.limits.ledger import Admission, UsageLedger
from parley.personal.context import PersonalContext
from parley.tokens import count_tokens

#: How often a send that lost a race for the end of the active branch is prepared again.
MAX_CONCURRENT_RETRIES = 40

#: Builds a turn from the conversation as loaded: (history ending at the message answered, the new
#: user message or None, whether the turn continues the active branch).
TurnBuilder = Callable[[Conversation, dict[str, Message]], tuple[list[Message], Message | None, bool]]


class TurnService:
    def __init__(
        self,
        *,
        repository: ConversationRepository,
        planner: TurnPlanner,
        models: ModelChooser,
        ledger: UsageLedger,
        cached: CachedAnswers,
        idempotency: IdempotencyStore,
        replays: Replays,
        options: ChatOptions,
        pool: Executor,
        followups: TurnFollowUps,
        safety: SafetyGate | None = None,
        attachments: AttachmentService | None = None,
        personal: PersonalContext | None = None,
    ) -> None:
        self._repo = repository
        self._planner = planner
        self._models = models
        self._ledger = ledger
        self._cached = cached
        self._idem = idempotency
        self._replays = replays
        self._opts = options
        # Independent AWS calls of one turn run side by side on these threads.
        self._pool = pool
        self._safety = safety
        self._followups = followups
        self._attachments = attachments
        self._personal = personal

    def check_replay(self, who: Identity, idempotency: IdempotencyKey | None) -> Replay | None:
        """A repeat of a finished send (checked before admission: a retry never counts twice)."""
        return self._replays.check(who, idempotency)

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

        def turn(conversation: Conversation, by_id: dict[str, Message]) -> tuple[list[Message], Message | None, bool]:
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
        def turn(conversation: Conversation, by_id: dict[str, Message]) -> tuple[list[Message], Message | None, bool]:
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
        turn: TurnBuilder,
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
        requested = self._models.check_requested(model)
        aws_started = time.perf_counter()
        admission, (conversation, messages, summaries) = self._admit_and_load(who, conversation_id, leaf)
        aws_s = time.perf_counter() - aws_started
        try:
            if conversation.role == "viewer":
                raise Forbidden("a viewer of this conversation cannot send or regenerate")
            for attempt in range(MAX_CONCURRENT_RETRIES + 1):
                history, user_message, continues = turn(conversation, link_children(messages))
                try:
                    draft = self._planner.draft(who, conversation, history, summaries, user_message, requested,
                                                admission, use_cache=use_cache)
                    self._ledger.check_budget(admission, worst_case_cost(draft.chain, draft.request))
                    plan = self._persist(
                        who, conversation, history, user_message, draft, admission, idempotency,
                        expected_current=conversation.current_message_id if continues else ANY_CURRENT,
                    )
                    break
                except ConcurrentChange:
                    if attempt == MAX_CONCURRENT_RETRIES:
                        raise
                    time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                    conversation, messages, summaries = self._load_turn(who.user_id, conversation_id, leaf)
        except DuplicateRequest:
            self._ledger.release(who, admission)
            return self._replays.require(who, idempotency)
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
        budget = max(spec.context_window for spec in self._models.catalog.models)
        return self._repo.load_for_turn(user_id, conversation_id, leaf_id=None if leaf is CONTINUE else leaf,
                                        from_current=leaf is CONTINUE, budget_tokens=budget)

    def _persist(
        self,
        who: Identity,
        conversation: Conversation,
        history: list[Message],
        user_message: Message | None,
        draft: TurnDraft,
        admission: Admission,
        idempotency: IdempotencyKey | None,
        *,
        expected_current: str | None | object,
    ) -> TurnPlan:
        """Store the user message and the answer's placeholder (one transaction, with the idempotency
        record), while the cache is looked up; the plan the generation runs."""
        anchor, spec, now = history[-1], draft.chain[0], now_ms()
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
        aws_started = time.perf_counter()
        if draft.attachments is not None and user_message is not None and self._attachments is not None:
            self._attachments.link(who.user_id, list(anchor.attachments), conversation.conversation_id)
        lookup = self._cached.start_lookup(draft.cache_key)
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
            self._followups.start_title(who, conversation.conversation_id, user_message.message_id)
        cached = self._cached.result(lookup)
        aws_s = time.perf_counter() - aws_started
        start_data: dict[str, Any] = {
            "messageId": assistant.message_id,
            "conversationId": conversation.conversation_id,
            "model": cached.model if cached else spec.id,
            "userMessageId": anchor.message_id,
            "parentMessageId": anchor.message_id,
            "contextTrimmed": draft.context.trimmed,
            "summaryUsed": draft.context.summary_through is not None,
        }
        if draft.route_reason:
            start_data["routeReason"] = draft.route_reason
        if cached:
            start_data["cached"] = True
        context_record: dict[str, Any] = draft.context.record()
        if user_message is not None and self._personal is not None and not conversation.temporary:
            created = self._personal.remember(who, user_message)
            if created is not None:
                context_record["memoryCreated"] = created
        plan = TurnPlan(
            user_id=conversation.user_id,
            conversation_id=conversation.conversation_id,
            user_message=user_message,
            assistant=assistant,
            chain=self._models.answering(draft.chain, cached.model if cached else None),
            request=draft.request,
            context_record=context_record,
            start_data=start_data,
            route_reason=draft.route_reason,
            cached=cached,
            identity=who,
            live_key=conversation.live_key,
            admission=admission,
            idempotency=idempotency,
            cache_key=draft.cache_key,
            quota=admission.quota,
            aws_before_first_token_s=aws_s,
        )
        plan.on_saved.append(self._followups.after_saved(conversation, history, draft.summary, spec))
        moving = self._followups.move_member_entries(self._repo, conversation, now)
        if moving is not None:
            plan.on_saved.append(moving)
        return plan

    def _check_content(self, content: str) -> str:
        if not content or not content.strip():
            raise ValidationFailed("content must not be empty")
        if len(content) > self._opts.max_message_chars:
            raise ValidationFailed(f"content must be at most {self._opts.max_message_chars} characters",
                                   code="content_too_long")
        return content
