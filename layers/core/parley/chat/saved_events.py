"""What a saved answer's events carry: the same payloads whether the answer is live, replayed
(an idempotent retry) or resumed from the store."""

from __future__ import annotations

from typing import Any

from parley.conversations.model import INTERRUPTED, Message, preview_of


def message_end_data(message: Message) -> dict[str, Any]:
    """The ``message_end`` payload of a saved answer (live, replayed or resumed alike)."""
    return {
        "messageId": message.message_id,
        "finishReason": message.finish_reason,
        "tokensUsed": {"input": message.input_tokens, "output": message.output_tokens},
        "cost": message.cost,
        "model": message.model,
        "cached": bool(message.details.get("cached", False)),
        # Additive: the memory this turn's message asked to be saved (the client offers an undo).
        **({"memoryCreated": message.details["memoryCreated"]} if message.details.get("memoryCreated") else {}),
    }


def start_data_of(message: Message) -> dict[str, Any]:
    """The ``message_start`` payload of a saved answer (replayed or resumed)."""
    return {
        "messageId": message.message_id,
        "conversationId": message.conversation_id,
        "model": message.model,
        "userMessageId": message.parent_id,
        "parentMessageId": message.parent_id,
        "contextTrimmed": bool(message.details.get("contextTrimmed", False)),
        "summaryUsed": bool(message.details.get("summaryUsed", False)),
    }


def final_event_of(message: Message) -> tuple[str, dict[str, Any]]:
    """The last event of a saved answer: ``error`` for a failed or filtered one, else ``message_end``."""
    error = message.details.get("error")
    if message.finish_reason in ("error", "content_filter", INTERRUPTED) and isinstance(error, dict):
        return "error", {"code": error.get("code", "model_error"), "message": error.get("message", ""),
                         "retryable": bool(error.get("retryable", True))}
    return "message_end", message_end_data(message)


def preview_for(message: Message) -> str:
    return preview_of(message.content) if message.content else ""
