"""The published OpenAPI document: what the generated one cannot know by itself.

Model ids are whatever the catalog holds, so the request fields that take one (marked with
``MODEL_ID_MARK``) list the catalog's ids as an enum: the schema admits exactly the models the server
accepts. Streaming routes describe each Server-Sent Event (the event name and its JSON ``data``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from parley.api.schemas import MODEL_ID_MARK


def _mark_model_ids(node: Any, ids: list[str]) -> None:
    if isinstance(node, dict):
        if node.pop(MODEL_ID_MARK, False):
            node["enum"] = ids
        for value in node.values():
            _mark_model_ids(value, ids)
    elif isinstance(node, list):
        for value in node:
            _mark_model_ids(value, ids)


def install_openapi(app: FastAPI, model_ids: list[str], upload: dict[str, Any]) -> None:
    """``upload``: the schema of the declarations ``POST /attachments`` accepts (beyond their types)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _mark_model_ids(schema, model_ids)
            body = schema["paths"]["/attachments"]["post"]["requestBody"]["content"]["application/json"]
            body["schema"] = {"allOf": [body["schema"], upload]}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "string", "contentMediaType": "application/json", "contentSchema": schema}


def _event(name: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    data = {"type": "object", "required": required, "properties": properties}
    return {"type": "object", "required": ["event", "data"],
            "properties": {"event": {"const": name}, "data": _json(data), "id": {"type": "string"}}}


_STR = {"type": "string"}
_NULLABLE_STR = {"type": ["string", "null"]}
_TOKENS = {"type": "object", "required": ["input", "output"],
           "properties": {"input": {"type": "integer"}, "output": {"type": "integer"}}}

#: One event of a Parley stream (send, regenerate, resume).
CHAT_EVENT: dict[str, Any] = {"oneOf": [
    _event("message_start", ["messageId", "model"], {"messageId": _STR, "conversationId": _STR,
                                                      "model": _NULLABLE_STR, "userMessageId": _NULLABLE_STR}),
    _event("model_switched", ["model", "previousModel"], {"model": _STR, "previousModel": _STR}),
    _event("content_chunk", ["delta"], {"delta": _STR}),
    _event("message_end", ["messageId", "finishReason", "tokensUsed", "cost"],
           {"messageId": _STR, "finishReason": _STR, "tokensUsed": _TOKENS, "cost": {"type": "number"},
            "model": _NULLABLE_STR}),
    _event("error", ["code", "message", "retryable"],
           {"code": _STR, "message": _STR, "retryable": {"type": "boolean"}}),
]}

#: The events of a conversation's live channel (the shared-conversation feed).
LIVE_EVENT_NAMES = ["message", "answer_start", "answer_chunk", "answer_end", "answer_error", "typing", "presence",
                    "reset", "revoked"]
LIVE_EVENT: dict[str, Any] = {
    "type": "object", "required": ["event", "data"],
    "properties": {"event": {"enum": LIVE_EVENT_NAMES}, "data": _json({"type": "object"}), "id": {"type": "string"}},
}

#: One event of an OpenAI-style completion stream: a `chat.completion.chunk` (or an error), then `[DONE]`.
COMPLETION_EVENT: dict[str, Any] = {
    "type": "object", "required": ["data"],
    "properties": {"data": {"anyOf": [{"const": "[DONE]"}, _json({"type": "object"})]}},
}
