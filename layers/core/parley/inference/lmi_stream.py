"""Incremental decoder for streamed OpenAI ``chat.completion.chunk`` objects.

One parser serves every backend:
- SageMaker LMI (vLLM, async mode) streams JSON lines, one chunk object per line, no ``data:``
  prefix and no ``[DONE]``; the transport cuts those bytes anywhere, even inside a UTF-8 character.
- OpenAI-compatible servers (vLLM, llama.cpp, Ollama) stream Server-Sent Events: ``data: {...}``
  lines, blank separators, comments, and a final ``data: [DONE]``.

Bytes are buffered and split on ``b"\\n"`` before decoding, so a character cut in two by the
transport is whole again by the time its line is decoded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from parley.inference.base import Completion, FinishReason, InferenceError, TextDelta

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "eos_token": "stop",
    "stop_sequence": "stop",
    "tool_calls": "stop",
    "function_call": "stop",
    "length": "length",
    "max_tokens": "length",
    "content_filter": "content_filter",
    "abort": "error",
    "error": "error",
}

#: Beyond this many bytes without a newline the peer is not speaking this format.
MAX_LINE_BYTES = 4 * 1024 * 1024


def map_finish_reason(raw: str) -> FinishReason:
    """Servers disagree on names; anything unknown that still ended the answer counts as a stop."""
    return _FINISH_REASONS.get(raw.lower(), "stop")


_decode_text = json.JSONDecoder().decode


def _decode(line: bytes) -> Any:
    """One line's JSON: orjson (~4x faster on chunk objects, UTF-8 checked in the same pass), and the
    standard library for what orjson refuses but Python servers send (``NaN``, integers past 64 bits)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _decode_text(line.decode())


class ChatChunkParser:
    """Feed it byte chunks as they arrive; it returns the text deltas those bytes completed.

    After the last byte, :meth:`close` returns what an unterminated last line held and the
    :class:`Completion` built from the ``finish_reason`` and ``usage`` the stream carried.
    """

    __slots__ = ("_buffer", "_redact", "finish_reason", "input_tokens", "output_tokens", "done", "chunks")

    def __init__(self, redact: Callable[[str], str] | None = None) -> None:
        self._buffer = b""
        #: Applied to error messages the server sends inside the stream (they may quote the request).
        self._redact = redact
        self.finish_reason: FinishReason | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        #: ``[DONE]`` seen (SSE): anything after it is ignored.
        self.done = False
        #: Chunk objects decoded so far (tests and diagnostics).
        self.chunks = 0

    def feed(self, data: bytes) -> list[TextDelta]:
        if self._buffer:
            data = self._buffer + data
        lines = data.split(b"\n")
        self._buffer = lines.pop()
        if len(self._buffer) > MAX_LINE_BYTES:
            raise InferenceError("model stream line too long", retryable=True, code="model_stream_malformed")
        deltas: list[TextDelta] = []
        for line in lines:
            text = self._line(line)
            if text:
                deltas.append(TextDelta(text))
        return deltas

    def close(self) -> tuple[list[TextDelta], Completion]:
        """End of input: the deltas of an unterminated last line, and the completion."""
        tail, self._buffer = self._buffer, b""
        deltas: list[TextDelta] = []
        if tail.strip():
            text = self._line(tail)
            if text:
                deltas.append(TextDelta(text))
        if self.finish_reason is None:
            raise InferenceError(
                "model stream ended before it finished", retryable=True, code="model_stream_incomplete"
            )
        return deltas, Completion(self.finish_reason, self.input_tokens, self.output_tokens)

    def _line(self, raw: bytes) -> str:
        line = raw.strip()
        if not line or self.done:
            return ""
        if line.startswith(b"data:"):
            line = line[5:].lstrip()
            if line == b"[DONE]":
                self.done = True
                return ""
        elif line[:1] == b":" or line.startswith((b"event:", b"id:", b"retry:")):
            # SSE comments (keep-alives) and fields other than data carry no content here.
            return ""
        try:
            obj = _decode(line)
        except ValueError as exc:  # UnicodeDecodeError included
            raise InferenceError(
                "model stream is not JSON", retryable=True, code="model_stream_malformed"
            ) from exc
        if not isinstance(obj, dict):
            raise InferenceError(
                "model stream is not JSON objects", retryable=True, code="model_stream_malformed"
            )
        self.chunks += 1
        return self._chunk(obj)

    def _chunk(self, obj: dict[str, Any]) -> str:
        if "error" in obj or obj.get("object") == "error":
            raise stream_error(obj, self._redact)
        usage = obj.get("usage")
        if isinstance(usage, dict):
            if isinstance(usage.get("prompt_tokens"), int):
                self.input_tokens = usage["prompt_tokens"]
            if isinstance(usage.get("completion_tokens"), int):
                self.output_tokens = usage["completion_tokens"]
        choices = obj.get("choices")
        if not choices:
            return ""
        choice = choices[0]
        reason = choice.get("finish_reason")
        if reason:
            self.finish_reason = map_finish_reason(str(reason))
        # "message" is what a server that ignored stream=true answers: one whole completion.
        delta = choice.get("delta") or choice.get("message")
        if isinstance(delta, dict):
            content = delta.get("content")
            if isinstance(content, str):
                return content
        return ""


def stream_error(obj: dict[str, Any], redact: Callable[[str], str] | None = None) -> InferenceError:
    """An error object sent inside the stream (vLLM: ``{"error": {...}}`` or ``{"object": "error"}``).

    Only the server's own message is kept, never the request.
    """
    err = obj.get("error", obj)
    if isinstance(err, str):
        message, status = err, obj.get("code")
    elif isinstance(err, dict):
        message, status = str(err.get("message") or "model error"), err.get("code")
    else:
        message, status = "model error", None
    try:
        status_code = int(status) if status is not None else None
    except (TypeError, ValueError):
        status_code = None
    # A 4xx other than 429 is the request's fault: repeating it fails the same way.
    retryable = not (status_code is not None and 400 <= status_code < 500 and status_code != 429)
    message = redact(message) if redact else message[:300]
    return InferenceError(f"model error: {message}", retryable=retryable, code="model_error")
