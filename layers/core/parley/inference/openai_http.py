"""OpenAI-compatible HTTP servers (vLLM, llama.cpp server, Ollama) as a backend.

``POST {base_url}/v1/chat/completions`` with ``stream: true``; the Server-Sent Events that come back
are read with the same parser as SageMaker's JSON lines.

The client is aiohttp: its HTTP parser is C (llhttp), and reading a stream of small deltas costs
~4 ms of CPU per 1K events against ~35 ms with httpx's pure-Python h11 (measured here, issue 21):
at 5-character deltas that was a third of the relay's CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from urllib.parse import urlsplit

import aiohttp

from parley.catalog import ModelSpec
from parley.inference.base import (
    InferenceError,
    InferenceRequest,
    ModelUnavailable,
    StreamEvent,
    TextDelta,
)
from parley.inference.lmi_stream import ChatChunkParser
from parley.inference.wire import chat_request_body, redactor, server_message
from parley.observability import logger

#: Statuses that mean "not now, or not here": the fallback chain may answer instead.
UNAVAILABLE_STATUS = frozenset({429, 502, 503, 504})


def default_session() -> aiohttp.ClientSession:
    # A local model may think for minutes before its first token on a long prompt (CPU servers);
    # no total limit: an answer streams for as long as it takes. The environment's proxy settings
    # are not followed (a model server is named by its URL), nor are cookies kept.
    timeout = aiohttp.ClientTimeout(total=None, connect=5.0, sock_connect=5.0, sock_read=300.0)
    return aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                                 connector=aiohttp.TCPConnector(limit=0, enable_cleanup_closed=True))


def chat_completions_url(base_url: str) -> str:
    """``http://host:8000`` and ``http://host:8000/v1`` both name the same server."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


class OpenAICompatibleBackend:
    """Streams from ``spec.backend.base_url`` (or the default ``base_url``), asking for the model
    ``spec.backend.endpoint``.

    ``session_factory`` makes the ``aiohttp.ClientSession``; one session is kept per event loop (a
    session's pooled connections belong to the loop that opened them).
    """

    def __init__(
        self,
        session_factory: Callable[[], aiohttp.ClientSession] = default_session,
        base_url: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.base_url = base_url
        self._api_key = api_key
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        return self._stream(spec, request)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _session_now(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session_loop is not loop or self._session.closed:
            self._session = self._session_factory()
            self._session_loop = loop
        return self._session

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    async def _stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        base_url = spec.backend.base_url or self.base_url
        if not base_url:
            raise InferenceError(
                f"no server URL is configured for model {spec.id}", retryable=False, code="model_config_error"
            )
        url = chat_completions_url(base_url)
        body = chat_request_body(spec, request, model=spec.backend.endpoint)
        redact = redactor(request)
        parser = ChatChunkParser(redact)
        produced = False
        try:
            async with self._session_now().post(url, json=body, headers=self._headers()) as response:
                if not 200 <= response.status < 300:
                    raise _status_error(response.status, await response.read(), spec, redact)
                # Whatever arrived since the last read, in one piece: a burst of deltas is one feed.
                async for chunk in response.content.iter_any():
                    deltas = parser.feed(chunk)
                    if deltas:
                        produced = True
                        yield deltas[0] if len(deltas) == 1 else TextDelta("".join(d.text for d in deltas))
            tail, completion = parser.close()
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("model server %s for %s: %s", _origin(url), spec.id, type(exc).__name__)
            if not produced:
                raise ModelUnavailable(f"model server for {spec.id} is unreachable", retryable=True) from None
            raise InferenceError(
                "the model stream broke off", retryable=True, code="model_stream_broken"
            ) from None
        if tail:
            yield TextDelta("".join(d.text for d in tail))
        yield completion


def _status_error(status: int, raw: bytes, spec: ModelSpec, redact: Callable[[str], str]) -> InferenceError:
    message = redact(server_message(raw))
    logger.warning("model server answered HTTP %s for %s", status, spec.id)
    if status in UNAVAILABLE_STATUS:
        return ModelUnavailable(f"model {spec.id} is unavailable (HTTP {status})", retryable=True)
    if status >= 500:
        # The server failed before the first token: another model of the chain may answer.
        return ModelUnavailable(f"model server answered HTTP {status}: {message}", retryable=True)
    if status == 404:
        # The server does not know this model (or the URL is wrong): another model may answer.
        return ModelUnavailable(f"model {spec.id} was not found on its server: {message}", retryable=False)
    if status in (401, 403):
        return InferenceError(
            f"the model server refused our credentials (HTTP {status})",
            retryable=False,
            code="model_config_error",
        )
    return InferenceError(f"model server answered HTTP {status}: {message}", retryable=False, code="model_error")


def _origin(url: str) -> str:
    """Scheme, host and port only: a URL's path or query may carry a key."""
    parsed = urlsplit(url)
    return f"{parsed.scheme}://{parsed.hostname}" + (f":{parsed.port}" if parsed.port else "")
