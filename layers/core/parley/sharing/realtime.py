"""The AppSync Events real-time WebSocket protocol, served by the app itself in local mode.

The web client speaks one protocol in both modes: on AWS to AppSync Events, locally to this server,
which implements the part of it the client uses, as "Understanding the Event API WebSocket
protocol" (AWS AppSync Events Developer Guide,
https://docs.aws.amazon.com/appsync/latest/eventapi/event-api-websocket-protocol.html) describes it:

- the endpoint is ``/event/realtime``; the client offers two subprotocols, ``aws-appsync-event-ws``
  and ``header-<the authorization header as base64url JSON>``; for Lambda authorization that header
  is ``{"Authorization": <token>, "host": <the API's HTTP domain>}``;
- ``{"type": "connection_init"}`` is answered ``{"type": "connection_ack", "connectionTimeoutMs": N}``,
  then ``{"type": "ka"}`` comes periodically (a client that hears nothing for N ms reconnects);
- ``{"type": "subscribe", "id", "channel", "authorization": {...}}`` is answered
  ``{"type": "subscribe_success", "id"}`` or ``{"type": "subscribe_error", "id", "errors": [{"errorType",
  "message"}]}``; each published event then arrives as ``{"type": "data", "id", "event": "<JSON string>"}``;
- ``{"type": "unsubscribe", "id"}`` is answered ``unsubscribe_success`` (or ``unsubscribe_error``);
- a refused connection gets ``{"type": "connection_error", "errors": [...]}`` and is closed; anything
  else unknown an ``{"type": "error", "errors": [{"errorType": "UnsupportedOperation", ...}]}``.
  Publishing is refused (``publish_error``): on AWS only Parley's functions publish, with IAM.

Connections and subscriptions are decided by the same :class:`LiveChannelAuthorizer` as AppSync's
Lambda authorizer, asked with the same event shape (locally the tokens are local JWTs or API keys).
Events are the hub's, delivered as the JSON that the AWS relay publishes (``{"event", "id",
"data"}``, sharing/remote.py). Beyond AppSync, a removed member's subscription is cut at once (the hub
revokes it); and after a ``rekey`` nothing more is delivered on the old key's subscription, exactly
as on AWS, where nothing is published there any more.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from parley.auth.api_keys import ApiKeyRepository, looks_like_api_key
from parley.auth.identity import Identity
from parley.chat.events import SseEvent
from parley.conversations.repository import ConversationRepository
from parley.settings import Settings
from parley.sharing.channel import LiveChannel
from parley.sharing.live_auth import CHANNEL, LiveChannelAuthorizer, live_key_with
from parley.sharing.remote import wire

PROTOCOL = "aws-appsync-event-ws"
HEADER_PREFIX = "header-"
MAX_SUBSCRIPTIONS = 50
MAX_ID_CHARS = 128
UNAUTHORIZED = "UnauthorizedException"


def decode_header(subprotocols: list[str]) -> Mapping[str, Any]:
    """The authorization header carried in the ``header-<base64url JSON>`` subprotocol ({} when none)."""
    for offered in subprotocols:
        if offered.startswith(HEADER_PREFIX):
            raw = offered[len(HEADER_PREFIX):]
            try:
                value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            except (binascii.Error, ValueError):
                return {}
            return value if isinstance(value, Mapping) else {}
    return {}


def _token(authorization: object) -> str | None:
    if not isinstance(authorization, Mapping):
        return None
    token = authorization.get("Authorization") or authorization.get("authorization")
    return token if isinstance(token, str) else None


def _errors(error_type: str, message: str) -> list[dict[str, str]]:
    return [{"errorType": error_type, "message": message}]


class RealtimeServer:
    def __init__(self, authorizer: LiveChannelAuthorizer, channel: LiveChannel, *, keepalive_s: float,
                 run_blocking: Callable[..., Awaitable[Any]]) -> None:
        self._authorize = authorizer
        self._channel = channel
        self._keepalive_s = keepalive_s
        self._run_blocking = run_blocking

    async def _decide(self, token: str | None, operation: str, channel: str | None = None) -> dict[str, Any]:
        context: dict[str, Any] = {"operation": operation}
        if channel is not None:
            context["channel"] = channel
        # The authorizer reads DynamoDB (blocking): off the event loop, as a Lambda would run it.
        result: dict[str, Any] = await self._run_blocking(
            self._authorize, {"authorizationToken": token, "requestContext": context})
        return result

    async def serve(self, ws: WebSocket) -> None:
        offered = list(ws.scope.get("subprotocols") or [])
        if PROTOCOL not in offered:
            await ws.close(code=1002)  # not this protocol: the handshake is refused
            return
        await ws.accept(subprotocol=PROTOCOL)
        connection = _Connection(self, ws)
        allowed = await self._decide(_token(decode_header(offered)), "EVENT_CONNECT")
        if not allowed.get("isAuthorized"):
            await connection.send({"type": "connection_error",
                                   "errors": _errors(UNAUTHORIZED, "You are not authorized to make this call.")})
            await ws.close(code=1008)
            return
        try:
            await connection.run()
        finally:
            await connection.stop()


class _Connection:
    def __init__(self, server: RealtimeServer, ws: WebSocket) -> None:
        self._server = server
        self._ws = ws
        self._lock = asyncio.Lock()  # one sender at a time: subscriptions and keep-alives interleave
        self._subscriptions: dict[str, asyncio.Task[None]] = {}
        self._keepalive: asyncio.Task[None] | None = None

    async def send(self, message: Mapping[str, Any]) -> None:
        async with self._lock:
            if self._ws.application_state == WebSocketState.CONNECTED:
                await self._ws.send_text(json.dumps(message, separators=(",", ":")))

    async def run(self) -> None:
        while True:
            try:
                text = await self._ws.receive_text()
            except (WebSocketDisconnect, RuntimeError):
                return
            try:
                message = json.loads(text)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                await self.send({"type": "error", "errors": _errors("BadRequestException", "not a JSON object")})
                continue
            await self._handle(message)

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        sub_id = message.get("id")
        if kind == "connection_init":
            if self._keepalive is None:
                timeout_ms = int(self._server._keepalive_s * 5 * 1000)
                await self.send({"type": "connection_ack", "connectionTimeoutMs": timeout_ms})
                self._keepalive = asyncio.get_running_loop().create_task(self._keep_alive())
        elif kind == "subscribe":
            await self._subscribe(sub_id, message)
        elif kind == "unsubscribe":
            task = self._subscriptions.pop(sub_id, None) if isinstance(sub_id, str) else None
            if task is None:
                await self.send({"type": "unsubscribe_error", "id": sub_id,
                                 "errors": _errors("UnknownOperationError", "no such subscription")})
                return
            task.cancel()
            await self.send({"type": "unsubscribe_success", "id": sub_id})
        elif kind == "publish":
            await self.send({"type": "publish_error", "id": sub_id,
                             "errors": _errors(UNAUTHORIZED, "publishing is not allowed on this API")})
        else:
            await self.send({"type": "error", "id": sub_id,
                             "errors": _errors("UnsupportedOperation", f"{kind!s:.40} is not supported")})

    async def _subscribe(self, sub_id: object, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        if not isinstance(sub_id, str) or not 0 < len(sub_id) <= MAX_ID_CHARS or not isinstance(channel, str):
            await self.send({"type": "subscribe_error", "id": sub_id,
                             "errors": _errors("BadRequestException", "a subscription needs an id and a channel")})
            return
        if sub_id in self._subscriptions or len(self._subscriptions) >= MAX_SUBSCRIPTIONS:
            await self.send({"type": "subscribe_error", "id": sub_id,
                             "errors": _errors("BadRequestException", "duplicate id, or too many subscriptions")})
            return
        allowed = await self._server._decide(_token(message.get("authorization")), "EVENT_SUBSCRIBE", channel)
        match = CHANNEL.match(channel)
        if not allowed.get("isAuthorized") or match is None:
            await self.send({"type": "subscribe_error", "id": sub_id,
                             "errors": _errors(UNAUTHORIZED, "You are not authorized to make this call.")})
            return
        user_id = str(allowed["handlerContext"]["userId"])
        events = self._server._channel.subscribe(user_id, match.group(1), None)

        async def first() -> Any:
            return await anext(events)

        # The hub's follow starts (and takes its place in the log) before the answer goes out, so
        # nothing published after subscribe_success is missed.
        started = asyncio.get_running_loop().create_task(first())
        await asyncio.sleep(0)
        await self.send({"type": "subscribe_success", "id": sub_id})
        self._subscriptions[sub_id] = asyncio.get_running_loop().create_task(self._deliver(sub_id, started, events))

    async def _deliver(self, sub_id: str, started: asyncio.Task[Any],
                       events: AsyncGenerator[SseEvent | None, None]) -> None:
        try:
            try:
                event = await started
            except StopAsyncIteration:
                return
            while True:
                if event is not None:  # None: a quiet ping of the hub (its access check passed)
                    if event.name == "revoked":
                        return  # access ended (a removal, a deletion): nothing more, at once
                    await self.send({"type": "data", "id": sub_id,
                                     "event": json.dumps(wire(event), separators=(",", ":"))})
                    if event.name == "rekey":
                        return  # the old key's channel: nothing is published there any more
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    return
        finally:
            if not started.done():
                started.cancel()
            with contextlib.suppress(Exception):
                await events.aclose()

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._server._keepalive_s)
            await self.send({"type": "ka"})

    async def stop(self) -> None:
        tasks = [*self._subscriptions.values(), *([self._keepalive] if self._keepalive else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def local_identify(secret: str, api_keys: ApiKeyRepository) -> Callable[[str], Identity]:
    """A bearer token as local mode's API takes it: an API key (``prly_...``) or a local JWT."""
    def identify(token: str) -> Identity:
        from parley.auth.local_jwt import verify_token  # local mode only

        if looks_like_api_key(token):
            return api_keys.authenticate(token).identity
        return verify_token(secret, token)
    return identify


def build_local_realtime(settings: Settings, api_keys: ApiKeyRepository, repository: ConversationRepository,
                         channel: LiveChannel, run_blocking: Callable[..., Awaitable[Any]]) -> RealtimeServer:
    authorizer = LiveChannelAuthorizer(local_identify(settings.local_jwt_secret, api_keys),
                                       live_key_with(repository.get))
    return RealtimeServer(authorizer, channel, keepalive_s=settings.live_keepalive_s, run_blocking=run_blocking)
