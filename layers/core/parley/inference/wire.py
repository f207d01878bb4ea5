"""What every backend sends: the OpenAI Chat Completions request body, and error text made safe.

SageMaker LMI, OpenAI-compatible servers and the simulator all take the same body, so a
conversation is serialised in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from parley.catalog import ModelSpec
from parley.inference.base import InferenceRequest

#: Longest server message passed on to clients.
MAX_SERVER_MESSAGE = 300
# Characters a server may escape when it quotes a request back (JSON, Python repr): quoted text is
# searched for in pieces between them.
_ESCAPED = re.compile(r"[\\\"'\n\r\t]+")


def chat_request_body(
    spec: ModelSpec, request: InferenceRequest, *, model: str | None = None
) -> dict[str, Any]:
    """A streaming Chat Completions request. ``model`` is set for servers that route on it.

    ``max_tokens`` is capped at the model's ``max_output`` so a caller cannot ask an endpoint for
    more than it was sized for.
    """
    params = request.params
    body: dict[str, Any] = {
        "messages": [m.as_openai() for m in request.messages],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": max(1, min(params.max_tokens, spec.max_output)),
        "temperature": params.temperature,
        "top_p": params.top_p,
    }
    if params.stop:
        body["stop"] = list(params.stop)
    if model:
        body["model"] = model
    return body


def request_texts(request: InferenceRequest) -> list[str]:
    """Every piece of text in the request's messages (text content parts included)."""
    texts: list[str] = []
    for message in request.messages:
        if isinstance(message.content, str):
            texts.append(message.content)
        else:
            texts.extend(str(p.get("text", "")) for p in message.content if p.get("type") == "text")
    return texts


def redactor(request: InferenceRequest) -> Callable[[str], str]:
    """A function that makes a server's error message safe to show and log.

    Servers sometimes quote the request in validation errors (vLLM passes pydantic's errors on,
    inputs included). A message that contains a recognisable piece of any message of the request
    is replaced by a generic one; otherwise it is cut to :data:`MAX_SERVER_MESSAGE` characters.
    The request is only scanned when an error needs it: errors are rare, contexts can be large.
    """

    def redact(message: str) -> str:
        if any(probe in message for probe in _probes(request)):
            return "the model server rejected the request (its message quoted the request and is withheld)"
        return message[:MAX_SERVER_MESSAGE]

    return redact


def _probes(request: InferenceRequest) -> list[str]:
    """Pieces of the request's text long enough to recognise if a server quotes them."""
    probes: list[str] = []
    for text in request_texts(request):
        pieces = [p for p in _ESCAPED.split(text) if len(p.strip()) >= 12]
        probes.extend(p[:40] for p in pieces[:3])
        stripped = text.strip()
        if 6 <= len(stripped) < 12 and not _ESCAPED.search(stripped):
            probes.append(stripped)
    return probes


def server_message(raw: bytes | str) -> str:
    """The message of an OpenAI, vLLM, llama.cpp, Ollama or FastAPI error body, or its text."""
    text = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).strip()
    try:
        obj: Any = json.loads(text)
    except ValueError:
        return text or "no message"
    if isinstance(obj, dict):
        err = obj.get("error", obj)
        if isinstance(err, dict):
            for key in ("message", "detail"):
                if err.get(key):
                    return str(err[key])
        elif isinstance(err, str):
            return err
        if obj.get("detail"):
            return str(obj["detail"])
    return text
