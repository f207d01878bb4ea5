"""The live channel's authorizer: the API's rules, for connections and subscriptions.

One implementation for both modes. On AWS it is AppSync Events' Lambda authorizer
(functions/live_authorizer), asked on connect (``EVENT_CONNECT``) and on every subscribe
(``EVENT_SUBSCRIBE``) with the bearer token the browser sent; in local mode the realtime server
(sharing/realtime.py) asks it the same questions, in the same event shape, with the local tokens.
A connection needs a valid token (a Cognito token or a Parley API key, exactly as the API's
authorizer decides; locally a local JWT or key); a subscription to ``/conversations/<id>/<key>``
needs, in addition, that the token's user is the conversation's owner or a current member and that
``key`` is the conversation's current live key (one consistent read, as on every API route), so a
stranger's, a removed member's or an old key's subscription is refused. Publishing is never allowed
here: the namespace takes publishes with IAM only, from Parley's functions. Answers are not cached
(``ttlOverride`` 0): each subscription is checked when it is made.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from parley.auth.identity import Identity
from parley.errors import NotFound, Unauthorized
from parley.ids import is_id
from parley.observability import logger
from parley.settings import Settings
from parley.sharing.appsync import NAMESPACE

if TYPE_CHECKING:
    from parley.conversations.model import Conversation

CHANNEL = re.compile(rf"^/{NAMESPACE}/([0-9A-HJKMNP-TV-Z]{{26}})/([0-9a-f]{{32}})$")
DENY = {"isAuthorized": False, "ttlOverride": 0}


class LiveChannelAuthorizer:
    def __init__(self, identify: Callable[[str], Identity], live_key: Callable[[str, str], str | None]) -> None:
        self._identify = identify  # bearer token -> identity; Unauthorized when it is not valid
        # (user id, conversation id) -> the conversation's current live key when the user is its owner
        # or a current member, else None
        self._live_key = live_key

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
        current = self._live_key(identity.user_id, match.group(1))
        if current is None:
            return self._deny("not a member, or no live channel")
        if not hmac.compare_digest(current, match.group(2)):
            return self._deny("not the current key")
        return self._allow(identity)

    @staticmethod
    def _allow(identity: Identity) -> dict[str, Any]:
        return {"isAuthorized": True, "ttlOverride": 0, "handlerContext": {"userId": identity.user_id}}

    @staticmethod
    def _deny(reason: str) -> dict[str, Any]:
        logger.info("live authorizer refused", extra={"reason": reason})  # never the token
        return dict(DENY)


def live_key_with(get: Callable[[str, str], Conversation]) -> Callable[[str, str], str | None]:
    """``live_key`` from the repository's ``get`` (a 404 for a stranger or a removed member)."""
    def live_key(user_id: str, conversation_id: str) -> str | None:
        try:
            return get(user_id, conversation_id).live_key
        except NotFound:
            return None
    return live_key


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
    return LiveChannelAuthorizer(lambda token: tokens.decide(token).identity, live_key_with(repo.get))
