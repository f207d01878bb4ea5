"""The OpenAI-compatible API (`/v1`): chat completions and models.

Usable by the official `openai` client with only `base_url` and `api_key` changed. Requests go
through the same limits, routing, cache and cost ledger as the native API; nothing else is stored.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from parley.api.deps import CatalogDep, CompletionsDep, IdentityDep, RunnerDep
from parley.api.errors import quota_headers
from parley.api.lazy_routes import api_router
from parley.api.openapi import COMPLETION_EVENT
from parley.api.schemas import ModelId, OnlyOne, TokenCount
from parley.api.sse import SseResponse
from parley.chat.events import PING, SseEvent, json_text
from parley.chat.generation import Generation
from parley.errors import ValidationFailed
from parley.inference.base import ChatMessage, GenerationParams

#: Validators are built at first use, not while a Lambda function starts (see parley.api.lazy_routes).
DEFERRED = ConfigDict(defer_build=True)


class OpenAIError(BaseModel):
    model_config = DEFERRED

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    model_config = DEFERRED

    error: OpenAIError


#: The /v1 API answers errors in OpenAI's shape (see parley.api.errors).
OPENAI_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIErrorBody} for status in (400, 401, 404, 409, 413, 415, 429, 503)
}

router = api_router(prefix="/v1", tags=["openai-compatible"], responses=OPENAI_ERRORS)

#: Our finish reasons in OpenAI's vocabulary.
FINISH = {"stop": "stop", "length": "length", "content_filter": "content_filter", "stopped": "stop"}


#: Request bodies take types exactly as declared, like the native API's (no "true" for true).
STRICT = ConfigDict(strict=True, defer_build=True)


class TextPart(BaseModel):
    model_config = STRICT

    type: Literal["text"]
    text: str = Field(max_length=100_000)


class ImageUrl(BaseModel):
    model_config = STRICT

    # Fetching remote URLs would let any caller make the platform download anything.
    url: str = Field(max_length=8_000_000, pattern="^data:image/",
                     description="A data: URL (remote images are not fetched)")
    detail: str | None = None


class ImagePart(BaseModel):
    model_config = STRICT

    type: Literal["image_url"]
    image_url: ImageUrl


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, defer_build=True)

    role: Literal["system", "developer", "user", "assistant"]
    content: Annotated[str, Field(max_length=100_000)] | list[TextPart | ImagePart]
    name: str | None = None


class StreamOptions(BaseModel):
    model_config = STRICT

    include_usage: bool = False


class CompletionRequest(BaseModel):
    """OpenAI's Chat Completions body. Parameters Parley does not implement are accepted and ignored,
    except those that would change the answer's shape (n > 1, tools), which are refused."""

    model_config = ConfigDict(extra="allow", strict=True)  # a body: see RequestModel

    model: ModelId
    messages: list[CompletionMessage] = Field(
        min_length=1, max_length=2000,
        json_schema_extra={"contains": {"type": "object", "required": ["role"],
                                        "properties": {"role": {"const": "user"}}}},
        description="At least one of them from the user",
    )
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: TokenCount | None = None
    max_completion_tokens: TokenCount | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    stop: str | list[str] | None = None
    n: OnlyOne | None = None
    user: str | None = Field(default=None, max_length=256)


class ModelObject(BaseModel):
    model_config = DEFERRED

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "parley"


class ModelsList(BaseModel):
    model_config = DEFERRED

    object: Literal["list"] = "list"
    data: list[ModelObject]


def to_messages(body: CompletionRequest) -> list[ChatMessage]:
    if getattr(body, "tools", None) or getattr(body, "functions", None):
        raise ValidationFailed("tools and function calling are not supported", code="unsupported_parameter",
                               param="tools" if getattr(body, "tools", None) else "functions")
    out: list[ChatMessage] = []
    for m in body.messages:
        role = "system" if m.role == "developer" else m.role
        if isinstance(m.content, str):
            out.append(ChatMessage(role, m.content))
            continue
        parts: list[dict[str, Any]] = []
        for part in m.content:
            if isinstance(part, TextPart):
                parts.append({"type": "text", "text": part.text})
            else:
                if not part.image_url.url.startswith("data:image/"):
                    # Fetching remote URLs would let any caller make the platform download anything.
                    raise ValidationFailed("image_url must be a data: URL (remote images are not fetched)",
                                           code="invalid_image_url", param="messages")
                parts.append({"type": "image_url", "image_url": {"url": part.image_url.url}})
        out.append(ChatMessage(role, parts))
    return out


def params_of(body: CompletionRequest) -> GenerationParams:
    defaults = GenerationParams()
    stop = (body.stop,) if isinstance(body.stop, str) else tuple(body.stop or ())
    return GenerationParams(
        max_tokens=body.max_completion_tokens or body.max_tokens or 131072,
        temperature=defaults.temperature if body.temperature is None else body.temperature,
        top_p=defaults.top_p if body.top_p is None else body.top_p,
        stop=stop,
    )


@router.get("/models", response_model=ModelsList)
def list_models(who: IdentityDep, catalog: CatalogDep) -> ModelsList:
    """The catalog in OpenAI's shape, with `auto` first."""
    created = 1_735_689_600
    return ModelsList(data=[ModelObject(id="auto", created=created)]
                      + [ModelObject(id=m.id, created=created) for m in catalog.models])


@router.post("/chat/completions", response_model=None, responses={200: {
    "description": "A `chat.completion`, or with `stream: true` Server-Sent Events of `chat.completion.chunk`",
    "content": {"application/json": {"schema": {"type": "object"}},
                "text/event-stream": {"schema": COMPLETION_EVENT}}}})
async def chat_completions(body: CompletionRequest, who: IdentityDep, completions: CompletionsDep,
                           runner: RunnerDep) -> Any:
    """Chat Completions, streamed (`stream: true`: `chat.completion.chunk` events, then `[DONE]`) or not."""
    plan = await run_in_threadpool(
        completions.prepare, who, messages=to_messages(body), model=body.model, params=params_of(body)
    )
    generation = runner.start(plan)
    completion_id = f"chatcmpl-{plan.assistant.message_id}"
    created = int(time.time())
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        chunks = openai_chunks(generation, completion_id, created, include_usage, runner.ping_every)
        return SseResponse(chunks, wait_until_saved=generation.wait, headers=quota_headers(plan.quota))
    await generation.wait()
    return JSONResponse(completion_body(generation, completion_id, created), headers=quota_headers(plan.quota))


def completion_body(generation: Generation, completion_id: str, created: int) -> dict[str, Any]:
    text, end = "", None
    for event in generation.log.events:
        if event.name == "content_chunk":
            text += event.data["delta"]
        elif event.terminal:
            end = event
    if end is None or end.name == "error":
        data = end.data if end else {"code": "model_error", "message": "the model failed", "retryable": True}
        # A failure after the response began cannot become an HTTP error status any more: report it
        # the way OpenAI reports server errors.
        return {"error": {"message": data["message"], "type": "server_error", "param": None, "code": data["code"]}}
    usage = end.data["tokensUsed"]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": end.data["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": FINISH.get(end.data["finishReason"], "stop"), "logprobs": None}],
        "usage": {"prompt_tokens": usage["input"], "completion_tokens": usage["output"],
                  "total_tokens": usage["input"] + usage["output"]},
    }


async def openai_chunks(
    generation: Generation, completion_id: str, created: int, include_usage: bool, ping_every: float
) -> AsyncIterator[bytes]:
    model = generation.plan.start_data["model"]

    def chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
        body: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                                "model": model, "choices": [] if usage else
                                [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        if include_usage:
            body["usage"] = usage
        return f"data: {json.dumps(body, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()

    def content(text: str) -> bytes:
        # One per delta: the same bytes as chunk({"content": text}), with only the text encoded.
        if prefix[0] != model:
            head = chunk({"content": ""})
            cut = head.index(b'"content":""') + len(b'"content":')
            prefix[:] = [model, head[:cut], head[cut + 2:]]
        head_part: bytes = prefix[1]
        tail_part: bytes = prefix[2]
        return head_part + json_text(text).encode() + tail_part

    prefix: list[Any] = [object(), b"", b""]  # the model the cached head and tail were made for
    batch: list[SseEvent] | None
    async for batch in generation.log.batches(ping_every=ping_every):
        if batch is None:
            yield PING
            continue
        out: list[bytes] = []
        for event in batch:
            if event.name == "content_chunk":
                out.append(content(event.data["delta"]))
            elif event.name == "message_start":
                model = event.data.get("model", model)
                out.append(chunk({"role": "assistant", "content": ""}))
            elif event.name == "model_switched":
                model = event.data["model"]  # a fallback answers: later chunks name it
            elif event.name == "message_end":
                out.append(chunk({}, FINISH.get(event.data["finishReason"], "stop")))
                if include_usage:
                    used = event.data["tokensUsed"]
                    out.append(chunk({}, usage={"prompt_tokens": used["input"], "completion_tokens": used["output"],
                                                "total_tokens": used["input"] + used["output"]}))
            elif event.name == "error":
                error = {"message": event.data["message"], "type": "server_error", "param": None,
                         "code": event.data["code"]}
                out.append(f"data: {json.dumps({'error': error})}\n\n".encode())
        if out:
            yield out[0] if len(out) == 1 else b"".join(out)
    yield b"data: [DONE]\n\n"
