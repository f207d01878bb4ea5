"""The inference port: a backend streams text deltas, then one final :class:`Completion`.

Backends are async iterators so that many streams share one event loop; a backend built on a
blocking client (boto3) runs that client on a worker thread and hands events over.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from parley.catalog import ModelSpec

FinishReason = Literal["stop", "length", "error", "stopped", "content_filter"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message in OpenAI's shape. ``content`` is text, or a list of content parts (images)."""

    role: Literal["system", "user", "assistant"]
    content: str | list[dict[str, Any]]

    def as_openai(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class GenerationParams:
    max_tokens: int = 1024
    temperature: float = 0.7
    top_p: float = 1.0
    stop: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p,
                "stop": list(self.stop)}


@dataclass(frozen=True, slots=True)
class InferenceRequest:
    messages: tuple[ChatMessage, ...]
    params: GenerationParams = field(default_factory=GenerationParams)
    #: Tokens of context as the platform counted them (the simulator reports it back).
    context_tokens: int = 0


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class Completion:
    """The last event of a stream. Token counts are None when the server did not report them."""

    finish_reason: FinishReason
    input_tokens: int | None = None
    output_tokens: int | None = None


StreamEvent = TextDelta | Completion


class InferenceError(Exception):
    """A model failure. ``retryable`` tells the client whether trying again may work."""

    code = "model_error"

    def __init__(self, message: str, *, retryable: bool = True, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        if code:
            self.code = code


class ModelUnavailable(InferenceError):
    """Throttled, overloaded or unreachable before producing anything: the fallback chain may answer."""

    code = "model_unavailable"


class InferenceBackend(Protocol):
    def stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        """Yield TextDelta events, then exactly one Completion; raise InferenceError on failure."""
        ...


async def collect(backend: InferenceBackend, spec: ModelSpec, request: InferenceRequest) -> tuple[str, Completion]:
    """Non-streaming use (summaries, titles, OpenAI non-stream): the whole text and its completion."""
    parts: list[str] = []
    completion: Completion | None = None
    async for event in backend.stream(spec, request):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        else:
            completion = event
    if completion is None:
        raise InferenceError("model stream ended without completion", retryable=True)
    return "".join(parts), completion
