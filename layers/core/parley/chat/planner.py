"""Planning a chat turn: what the model is given (context, attachments, the user's instructions and
memories), which models may answer (routing and fallbacks) and the response-cache key.

Planning reads what the turn's loader already fetched and stores nothing, so a turn that loses a
race for the end of its branch is planned again at no cost beyond the compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley.attachments.service import AttachmentService
from parley.attachments.turn_context import TurnAttachments
from parley.auth import Identity
from parley.cache.responses import cache_key
from parley.catalog import AUTO, ModelSpec
from parley.chat.models import ModelChooser
from parley.chat.moderation import SafetyGate, model_text
from parley.chat.options import ChatOptions
from parley.context.builder import BuiltContext, applicable_summary, build_context, input_budget
from parley.context.preamble import ContextBlock
from parley.conversations.model import Conversation, Message, Summary
from parley.errors import ValidationFailed
from parley.inference.base import GenerationParams, InferenceRequest
from parley.limits.ledger import Admission
from parley.personal.context import PersonalContext
from parley.tokens import count_tokens


@dataclass(frozen=True)
class TurnDraft:
    """A planned turn, before anything about it is stored."""

    #: The models that may answer, the first one first (a fallback takes over on failure).
    chain: list[ModelSpec]
    route_reason: str | None
    request: InferenceRequest
    context: BuiltContext
    #: The summary the context starts from, if one covers part of the branch.
    summary: Summary | None
    #: Where the answer may be cached (None: this turn is never cached).
    cache_key: str | None
    attachments: TurnAttachments | None


class TurnPlanner:
    def __init__(
        self,
        *,
        models: ModelChooser,
        options: ChatOptions,
        safety: SafetyGate | None = None,
        attachments: AttachmentService | None = None,
        personal: PersonalContext | None = None,
    ) -> None:
        self._models = models
        self._opts = options
        self._safety = safety
        self._attachments = attachments
        self._personal = personal
        self._system_tokens: int | None = None  # counted on first use: the tokenizer loads in ~0.15 s

    def draft(
        self,
        who: Identity,
        conversation: Conversation,
        history: list[Message],
        summaries: list[Summary],
        user_message: Message | None,
        requested: str | None,
        admission: Admission,
        *,
        use_cache: bool,
    ) -> TurnDraft:
        """Plan the turn that answers ``history[-1]`` (``user_message`` is new, or None on a regenerate).

        History is trimmed to fit any window, but the new message itself never is: the first model
        of the chain whose window takes it answers, and none is a 422 before anything is stored.
        """
        anchor = history[-1]
        preamble = self._preamble(who, conversation, admission, anchor)
        default_prompt = conversation.system_prompt is None
        system_prompt = conversation.system_prompt or self._opts.default_system_prompt
        system_tokens = self._default_system_tokens() if default_prompt else count_tokens(system_prompt)
        turn = self._attachments_for(who, anchor, requested or conversation.model)
        if turn is not None:
            self._check_attachments(who, user_message, turn)
        chain, reason = self._chain_for(requested or conversation.model, anchor, history, system_tokens)
        summary = applicable_summary(summaries, history)
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
                turn_content=_turn_content(anchor, turn) if turn is not None else None,
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
        key = None
        if use_cache and self._opts.cache_enabled:
            # Only a turn that depends on nothing of the user's own may share its answer with others.
            shared = default_prompt and not anchor.attachments and not preamble
            key = cache_key(model=spec.id, request=request,
                            attachment_hashes=turn.content_hashes if turn is not None else (),
                            scope_user=None if shared else who.user_id)
        return TurnDraft(chain=chain, route_reason=reason, request=request, context=context, summary=summary,
                         cache_key=key, attachments=turn)

    def _check_attachments(self, who: Identity, user_message: Message | None, turn: TurnAttachments) -> None:
        """Apply the safety policy to the attached documents (a regenerate too: the policy may have
        changed), and record on a new user message what its attachments were and how they screened."""
        document_safety = self._safety.check_documents(who, turn.records) if self._safety is not None else {}
        if user_message is None:
            return
        if document_safety:
            user_message.details["safety"] = {**user_message.details.get("safety", {}), **document_safety}
        user_message.details["attachments"] = turn.records
        if turn.image_count:
            user_message.details["images"] = turn.image_count

    def _chain_for(
        self, model_id: str, anchor: Message, history: list[Message], system_tokens: int
    ) -> tuple[list[ModelSpec], str | None]:
        """The model chain of a chat turn; routing stays on the tier the conversation used last."""
        catalog = self._models.catalog
        previous = next((m.model for m in reversed(history) if m.role == "assistant" and m.model), None)
        previous_spec = catalog.get(previous) if previous else None
        return self._models.chain(
            model_id,
            anchor.content,
            image_count=int(anchor.details.get("images", 0)),
            context_tokens=system_tokens + sum(m.tokens for m in history),
            previous_tier=previous_spec.tier if previous_spec else None,
        )

    def _preamble(
        self, who: Identity, conversation: Conversation, admission: Admission, anchor: Message
    ) -> list[ContextBlock]:
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
        catalog = self._models.catalog
        candidates = [catalog.get(model_id)] if model_id != AUTO else list(catalog.models)
        window = min(input_budget(m, m.max_output) for m in candidates if m is not None)
        budget = int(window * self._opts.attachment_share)
        return self._attachments.context_for_turn(who.user_id, list(anchor.attachments), anchor.content, budget)

    def _default_system_tokens(self) -> int:
        if self._system_tokens is None:
            self._system_tokens = count_tokens(self._opts.default_system_prompt)
        return self._system_tokens


def _turn_content(anchor: Message, turn: TurnAttachments) -> str | list[dict[str, Any]]:
    text = "\n\n".join([*turn.document_blocks, model_text(anchor)])
    if not turn.image_parts:
        return text
    return [{"type": "text", "text": text}, *turn.image_parts]
