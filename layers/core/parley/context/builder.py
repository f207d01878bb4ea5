"""The context builder.

The system prompt stays in the system role and is never joined with user text. History is taken
newest first until the model's input budget is full; token counts were stored when each message was
written, so building a 128K-token context adds integers and never re-tokenizes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from parley.catalog import ModelSpec
from parley.context.preamble import ContextBlock, record_of
from parley.context.recall import recall
from parley.conversations.model import Message, Summary
from parley.inference.base import ChatMessage
from parley.tokens import PER_MESSAGE_OVERHEAD

#: Tokens kept free besides the answer, for the template and counting differences between tokenizers.
SAFETY_MARGIN = 256


def applicable_summary(
    summaries: Sequence[Summary], history: Sequence[Message], *, include_last: bool = False
) -> Summary | None:
    """The summary reaching furthest along this branch (``history`` is the branch, root first).

    By default the branch's last message (the user's new turn) is never covered: a summary must
    leave something to answer.
    """
    if not summaries:
        return None
    position = {m.message_id: i for i, m in enumerate(history)}
    last = len(history) if include_last else len(history) - 1
    best: tuple[int, Summary] | None = None
    for summary in summaries:
        at = position.get(summary.through_message_id)
        if at is not None and at < last and (best is None or at > best[0]):
            best = (at, summary)
    return best[1] if best else None


@dataclass(slots=True)
class BuiltContext:
    messages: list[ChatMessage]
    #: Ids of history messages included verbatim, oldest first.
    included_ids: list[str]
    input_tokens: int
    trimmed: bool
    summary_through: str | None = None
    dropped: int = 0
    details: dict[str, object] = field(default_factory=dict)
    preamble: tuple[ContextBlock, ...] = ()
    #: Older messages brought back by recall (not in ``included_ids``), oldest first.
    retrieved_ids: tuple[str, ...] = ()

    def record(self) -> dict[str, object]:
        """What is stored on the assistant message about its context.

        The verbatim history is always a contiguous run of the branch ending at the user's message,
        so its first id and its length describe it exactly in constant size (a list of every id
        would make each write grow with the conversation).
        """
        record: dict[str, object] = {
            "contextFrom": self.included_ids[0] if self.included_ids else None,
            "contextMessages": len(self.included_ids),
            "contextTokens": self.input_tokens,
            "contextTrimmed": self.trimmed,
        }
        if self.summary_through:
            record["summaryThrough"] = self.summary_through
            record["summaryUsed"] = True
        if self.dropped:
            record["droppedMessages"] = self.dropped
        record.update(record_of(self.preamble))
        if self.retrieved_ids:
            record["retrievedMessages"] = list(self.retrieved_ids)
        return record


def input_budget(spec: ModelSpec, max_output: int) -> int:
    return spec.context_window - max_output - SAFETY_MARGIN


def build_context(
    *,
    system_prompt: str,
    system_tokens: int,
    history: Sequence[Message],
    spec: ModelSpec,
    max_output: int,
    summary: Summary | None = None,
    render: Callable[[Message], str] | None = None,
    turn_content: str | list[dict[str, object]] | None = None,
    turn_extra_tokens: int = 0,
    preamble: Sequence[ContextBlock] = (),
    recall_budget: int = 0,
) -> BuiltContext:
    """Context for answering the last message of ``history`` (the branch, root first).

    The last message (the user's turn) is always included; if even it cannot fit, the caller has
    rejected it earlier (content limits are far below any model window). ``turn_content`` replaces
    what the model sees of it (attached documents and images), costing ``turn_extra_tokens`` more.
    ``preamble`` (custom instructions, memories: each already within its own budget) follows the
    system prompt as system messages of their own. When older messages are left out (covered by
    the summary or trimmed), up to ``recall_budget`` tokens, reserved before the recent history is
    taken, bring back the ones most relevant to the new message (see ``parley.context.recall``).
    """
    budget = input_budget(spec, max_output)
    used = system_tokens + PER_MESSAGE_OVERHEAD + turn_extra_tokens
    used += sum(block.tokens + PER_MESSAGE_OVERHEAD for block in preamble)

    covered: frozenset[str] = frozenset()
    summary_index = -1
    if summary is not None:
        for i, m in enumerate(history):
            if m.message_id == summary.through_message_id:
                summary_index = i
                break
        if summary_index >= 0:
            used += summary.tokens + PER_MESSAGE_OVERHEAD
            covered = frozenset(m.message_id for m in history[: summary_index + 1])

    def usable(m: Message) -> bool:
        return m.role in ("user", "assistant") and bool(m.content or m.role == "user")

    reserve = 0
    if recall_budget > 0 and len(history) > 1:
        uncovered = sum(m.tokens + PER_MESSAGE_OVERHEAD for m in history if m.message_id not in covered and usable(m))
        if covered or used + uncovered > budget:
            reserve = max(0, min(recall_budget, budget - used - history[-1].tokens - PER_MESSAGE_OVERHEAD))

    chosen: list[Message] = []
    for message in reversed(history):
        if message.message_id in covered:
            break
        if not usable(message):
            continue
        cost = message.tokens + PER_MESSAGE_OVERHEAD
        if chosen and used + reserve + cost > budget:
            break
        chosen.append(message)
        used += cost
    chosen.reverse()

    recalled = None
    if reserve:
        kept = {m.message_id for m in chosen}
        older = [m for m in history[:-1] if m.message_id not in kept and usable(m)]
        recalled = recall(older, history[-1].content, reserve, render)
        if recalled is not None:
            used += recalled.tokens

    eligible = [m for m in history if m.message_id not in covered and m.role in ("user", "assistant")]
    dropped = len(eligible) - len(chosen)
    messages = [ChatMessage("system", system_prompt)]
    messages += [ChatMessage("system", block.text) for block in preamble]
    if summary_index >= 0 and summary is not None:
        messages.append(ChatMessage("system", f"Summary of the earlier conversation:\n{summary.text}"))
    if recalled is not None:
        messages.append(ChatMessage("system", recalled.text))
    messages += [ChatMessage(m.role, render(m) if render else m.content) for m in chosen]
    if turn_content is not None:
        messages[-1] = ChatMessage("user", turn_content)
    return BuiltContext(
        messages=messages,
        included_ids=[m.message_id for m in chosen],
        input_tokens=used,
        trimmed=dropped > 0,
        summary_through=summary.through_message_id if summary_index >= 0 and summary else None,
        dropped=dropped,
        preamble=tuple(preamble),
        retrieved_ids=recalled.ids if recalled is not None else (),
    )
