"""Per-request log keys: the request id (``correlation_id``) and, where the path names one, the
conversation id, on every log line the request causes (see ``parley.observability``).

Pure ASGI, and it does not wrap ``send``: a streamed answer pays nothing per chunk, and the whole
cost per request is a header scan and a prefix test (the chat hot path is benchmarked).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from parley.auth.authenticators import LWA_CONTEXT_HEADER
from parley.ids import is_id
from parley.observability import bind_request

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = b"x-request-id"
_LWA_HEADER = LWA_CONTEXT_HEADER.encode()
#: A client's own request id is taken only when it looks like one (it lands in every log line).
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_CONVERSATIONS = "/conversations/"


class RequestContext:
    def __init__(self, app: ASGIApp, *, trust_lwa_header: bool) -> None:
        self.app = app
        self._trust_lwa_header = trust_lwa_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Each request runs in its own task (uvicorn, Mangum): the keys set here stay with it.
            bind_request(self._request_id(scope), conversation_id(scope["path"]))
        await self.app(scope, receive, send)

    def _request_id(self, scope: Scope) -> str:
        event = scope.get("aws.event")
        if isinstance(event, dict):  # Mangum: API Gateway's own request id
            found = _context_request_id(event.get("requestContext"))
            if found:
                return found
        client_id: str | None = None
        for name, value in scope["headers"]:
            if name == _LWA_HEADER and self._trust_lwa_header:
                # Only the chat function's Web Adapter can set it (see auth.authenticators).
                try:
                    found = _context_request_id(json.loads(value))
                except ValueError:
                    found = None
                if found:
                    return found
            elif name == REQUEST_ID_HEADER:
                text = value.decode("latin-1")
                if _CLIENT_ID.fullmatch(text):
                    client_id = text
        return client_id or uuid.uuid4().hex


def conversation_id(path: str) -> str | None:
    """The conversation a path names (``/conversations/{id}...``), if it is an id at all."""
    if not path.startswith(_CONVERSATIONS):
        return None
    candidate = path[len(_CONVERSATIONS):].partition("/")[0]
    return candidate if is_id(candidate) else None


def _context_request_id(context: object) -> str | None:
    found = context.get("requestId") if isinstance(context, dict) else None
    return found if isinstance(found, str) and found else None
