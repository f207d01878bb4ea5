"""The workflow task functions: summaries of long branches and conversation titles.

Each task takes the workflow state (the execution input plus the results of earlier steps, each
under its task name) and returns a JSON-serialisable dict. The same functions run in Lambda under
Step Functions and in-process locally (``parley.workflows.runner``), in the same order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parley.catalog import Catalog, ModelSpec
from parley.context.builder import applicable_summary, input_budget
from parley.conversations.model import Message, Summary
from parley.conversations.repository import ConversationRepository
from parley.conversations.titles import visible_text
from parley.conversations.tree import branch_to, link_children
from parley.errors import NotFound
from parley.inference.base import (
    ChatMessage,
    GenerationParams,
    InferenceBackend,
    InferenceError,
    InferenceRequest,
    collect,
)
from parley.observability import logger
from parley.tokens import PER_MESSAGE_OVERHEAD, count_tokens

SUMMARY_PROMPT = (
    "Summarize the conversation so far for your own later reference. Keep every fact, name, number, "
    "decision, open question and instruction the user gave; drop pleasantries. If an earlier summary "
    "is given, merge it in. Write plain prose, at most 300 words."
)
TITLE_PROMPT = (
    "Write a short title (at most six words) for a conversation that starts with the user's message. "
    "Reply with the title only, without quotes or punctuation at the end."
)
SUMMARY_MAX_TOKENS = 600
TITLE_MAX_TOKENS = 24


class ModelError(Exception):
    """A model call failed in a way worth retrying (Step Functions retries on this error name)."""


@dataclass(frozen=True)
class SummaryPolicy:
    #: Summarize once uncovered history passes this share of the model's input budget.
    trigger_fraction: float = 0.5
    #: The most recent messages always stay verbatim.
    keep_recent: int = 6
    #: Do not bother summarizing fewer messages than this.
    min_span: int = 4


class WorkflowTasks:
    def __init__(
        self,
        *,
        repository: ConversationRepository,
        catalog: Catalog,
        backend_for: Callable[[ModelSpec], InferenceBackend],
        policy: SummaryPolicy,
    ) -> None:
        self._repo = repository
        self._catalog = catalog
        self._backend_for = backend_for
        self._policy = policy

    @property
    def table(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "choose_span": self.choose_span,
            "summarize": self.summarize,
            "store_summary": self.store_summary,
            "generate_title": self.generate_title,
        }

    # -- summaries -------------------------------------------------------------------------------

    def choose_span(self, state: dict[str, Any]) -> dict[str, Any]:
        """Which messages of the branch to summarize: those not yet covered, bar the recent ones."""
        branch, summaries = self._branch(state, state["leafMessageId"])
        previous = applicable_summary(summaries, branch, include_last=True)
        covered_until = -1
        if previous is not None:
            covered_until = next(i for i, m in enumerate(branch) if m.message_id == previous.through_message_id)
        candidates = branch[covered_until + 1 : len(branch) - self._policy.keep_recent]
        candidates = [m for m in candidates if m.role in ("user", "assistant")]
        if len(candidates) < self._policy.min_span:
            return {"needed": False}
        # The summarizer reads the span in one request: stop where the fast model's budget ends.
        spec = self._summarizer()
        budget = input_budget(spec, SUMMARY_MAX_TOKENS) - count_tokens(SUMMARY_PROMPT)
        budget -= previous.tokens if previous else 0
        used, span = 0, list[Message]()
        for m in candidates:
            cost = m.tokens + PER_MESSAGE_OVERHEAD
            if span and used + cost > budget:
                break
            span.append(m)
            used += cost
        return {
            "needed": True,
            "fromMessageId": span[0].message_id,
            "throughMessageId": span[-1].message_id,
            "previousThrough": previous.through_message_id if previous else None,
            "messages": len(span),
        }

    def summarize(self, state: dict[str, Any]) -> dict[str, Any]:
        chosen = state["choose_span"]
        branch, summaries = self._branch(state, chosen["throughMessageId"])
        ids = [m.message_id for m in branch]
        start = ids.index(chosen["fromMessageId"])
        span = [m for m in branch[start:] if m.role in ("user", "assistant")]
        previous = next((s for s in summaries if s.through_message_id == chosen.get("previousThrough")), None)
        transcript = "\n".join(f"{m.role.upper()}: {m.content}" for m in span)
        if previous is not None:
            transcript = f"EARLIER SUMMARY: {previous.text}\n{transcript}"
        spec = self._summarizer()
        text = self._complete(spec, SUMMARY_PROMPT, transcript, SUMMARY_MAX_TOKENS)
        covered = (previous.covered_messages if previous else 0) + len(span)
        return {"text": text, "tokens": count_tokens(text), "model": spec.id, "coveredMessages": covered}

    def store_summary(self, state: dict[str, Any]) -> dict[str, Any]:
        made = state["summarize"]
        summary = Summary(state["choose_span"]["throughMessageId"], made["text"], made["tokens"],
                          made["coveredMessages"])
        try:
            stored = self._repo.put_summary(state["userId"], state["conversationId"], summary, model=made["model"])
        except NotFound:
            return {"stored": False, "reason": "conversation deleted"}
        logger.info("summary stored", extra={"conversation_id": state["conversationId"], "new": stored,
                                             "covered_messages": summary.covered_messages})
        return {"stored": stored, "throughMessageId": summary.through_message_id}

    # -- titles ----------------------------------------------------------------------------------

    def generate_title(self, state: dict[str, Any]) -> dict[str, Any]:
        conversation, messages = self._repo.load(state["userId"], state["conversationId"])
        if conversation.title_source != "default":
            return {"title": None, "reason": "already titled"}
        first_user = next((m for m in messages if m.role == "user"), None)
        if first_user is None:
            return {"title": None, "reason": "no message yet"}
        raw = self._complete(self._summarizer(), TITLE_PROMPT, first_user.content[:4000], TITLE_MAX_TOKENS)
        title = clean_title(raw)
        if not title:
            return {"title": None, "reason": "empty"}
        stored = self._repo.set_generated_title(state["userId"], state["conversationId"], title)
        return {"title": title if stored else None, "stored": stored}

    # -- helpers ---------------------------------------------------------------------------------

    def _branch(self, state: dict[str, Any], leaf: str) -> tuple[list[Message], list[Summary]]:
        _, messages, summaries = self._repo.load_all(state["userId"], state["conversationId"])
        return branch_to(link_children(messages), leaf), summaries

    def _summarizer(self) -> ModelSpec:
        return self._catalog.for_tier("fast")

    def _complete(self, spec: ModelSpec, instruction: str, content: str, max_tokens: int) -> str:
        request = InferenceRequest(
            (ChatMessage("system", instruction), ChatMessage("user", content)),
            GenerationParams(max_tokens=max_tokens, temperature=0.2),
            count_tokens(instruction) + count_tokens(content),
        )
        try:
            text, _ = asyncio.run(collect(self._backend_for(spec), spec, request))
        except InferenceError as exc:
            raise ModelError(f"{exc.code}: model call failed") from exc
        return text.strip()


def clean_title(raw: str) -> str:
    """A model's title as shown: its first line, visible text only, without surrounding quotes or a
    full stop at the end, at most 8 words and 80 characters. Punctuation inside is kept ("What's")."""
    line = raw.strip().splitlines()[0] if raw.strip() else ""
    line = visible_text(line).strip("\"'“”‘’ ").rstrip(".!?:;,").strip()
    words = line.split()
    return " ".join(words[:8])[:80].rstrip(".!?:;, ")

