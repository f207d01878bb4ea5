"""The AppSync Events Lambda authorizer of the live channel: the API's rules, for subscriptions.

AppSync Events asks it on connect (``EVENT_CONNECT``) and on every subscribe (``EVENT_SUBSCRIBE``)
with the bearer token the browser sent. A connection needs a valid token (a Cognito token or a
Parley API key, exactly as the API's authorizer decides); a subscription to
``/conversations/<id>`` needs, in addition, that the token's user is the conversation's owner or a
current member (one consistent read, as on every API route), so a stranger's or a removed member's
subscription is refused. Publishing is never allowed here: the namespace takes publishes with IAM
only, from Parley's functions. Answers are not cached (``ttlOverride`` 0): each subscription is
checked when it is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from parley.auth.identity import Identity
from parley.errors import NotFound, Unauthorized
from parley.ids import is_id
from parley.observability import logger
from parley.settings import Settings
from parley.sharing.appsync import NAMESPACE

CHANNEL = re.compile(rf"^/{NAMESPACE}/([0-9A-HJKMNP-TV-Z]{{26}})$")
DENY = {"isAuthorized": False, "ttlOverride": 0}


class LiveChannelAuthorizer:
    def __init__(self, identify: Callable[[str], Identity], can_read: Callable[[str, str], bool]) -> None:
        self._identify = identify  # bearer token -> identity; Unauthorized when it is not valid
        self._can_read = can_read  # (user id, conversation id) -> owner or current member

    def __call__(self, event: Mapping[str, Any]) -> dict[str, Any]:
        context = event.get("requestContext") or {}
        operation = context.get("operation")
        token = event.get("authorizationToken")
        if not isinstance(token, str) or not token.strip():
            return self._deny("missing token")
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            identity = self._identify(token)
        except Unauthorized as exc:
            return self._deny(exc.message)
        if operation == "EVENT_CONNECT":
            return self._allow(identity)
        if operation != "EVENT_SUBSCRIBE":
            return self._deny("only connections and subscriptions are authorized here")
        match = CHANNEL.match(str(context.get("channel") or ""))
        if match is None or not is_id(match.group(1)):
            return self._deny("not a conversation channel")
        if not self._can_read(identity.user_id, match.group(1)):
            return self._deny("not a member")
        return self._allow(identity)

    @staticmethod
    def _allow(identity: Identity) -> dict[str, Any]:
        return {"isAuthorized": True, "ttlOverride": 0, "handlerContext": {"userId": identity.user_id}}

    @staticmethod
    def _deny(reason: str) -> dict[str, Any]:
        logger.info("live authorizer refused", extra={"reason": reason})  # never the token
        return dict(DENY)


def can_read_with(get: Callable[[str, str], object]) -> Callable[[str, str], bool]:
    """``can_read`` from the repository's ``get`` (which is a 404 for a stranger or a removed member)."""
    def can_read(user_id: str, conversation_id: str) -> bool:
        try:
            get(user_id, conversation_id)
        except NotFound:
            return False
        return True
    return can_read


def live_authorizer_from_settings(settings: Settings) -> LiveChannelAuthorizer:
    """What the Lambda entry builds once per container (no network until the first token)."""
    from parley.auth.lambda_authorizer import authorizer_from_settings
    from parley.conversations.repository import ConversationRepository
    from parley.storage.blobs import BlobStore
    from parley.storage.tables import build_conversation_table

    tokens = authorizer_from_settings(settings)
    table = build_conversation_table(settings.table_conversations, settings.region, settings.dynamodb_endpoint)
    # Only the conversation item is read (GetItem): no blob is ever fetched.
    blobs = BlobStore(lambda: None, settings.bucket_data)
    repo = ConversationRepository(table, blobs, settings.content_inline_max_bytes)
    return LiveChannelAuthorizer(lambda token: tokens.decide(token).identity, can_read_with(repo.get))
