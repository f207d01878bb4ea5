"""Turning a request into an :class:`Identity`, by mode.

aws mode never verifies tokens itself: API Gateway's authorizer already did, and the identity is read
from the request context that API Gateway (through Mangum's event, or the Lambda Web Adapter's
header) hands over. A header is only believed where nothing but the adapter can reach the app.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from starlette.requests import Request

from parley.auth.api_keys import ApiKeyRepository, authenticated_with_api_key, looks_like_api_key
from parley.auth.identity import TIERS, Identity, tier_from_claims
from parley.errors import Unauthorized
from parley.settings import Settings

LWA_CONTEXT_HEADER = "x-amzn-request-context"


class Authenticator(Protocol):
    def __call__(self, request: Request) -> Identity: ...

    def blocks(self, request: Request) -> bool:
        """Whether checking this request's credential waits on I/O (else it is run on the event loop)."""
        ...


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("missing Authorization header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'")
    return token.strip()


class LocalJwtAuthenticator:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def __call__(self, request: Request) -> Identity:
        from parley.auth.local_jwt import verify_token  # local mode only: aws mode never loads PyJWT

        return verify_token(self._secret, bearer_token(request))

    def blocks(self, request: Request) -> bool:
        return False


class ApiGatewayAuthenticator:
    """Identity from API Gateway's authorizer output in the request context."""

    def __init__(self, trust_lwa_header: bool) -> None:
        self._trust_lwa_header = trust_lwa_header

    def __call__(self, request: Request) -> Identity:
        context = self._request_context(request)
        authorizer = context.get("authorizer") if context else None
        if not isinstance(authorizer, Mapping):
            raise Unauthorized("request did not pass the API Gateway authorizer")
        # Cognito user-pool authorizers put claims under "claims"; Lambda authorizers put their
        # context map at the top level.
        nested = authorizer.get("claims")
        claims: Mapping[str, object] = nested if isinstance(nested, Mapping) else authorizer
        sub = claims.get("sub") or claims.get("userId") or authorizer.get("principalId")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("authorizer gave no subject")
        # A Lambda authorizer (Cognito tokens and API keys alike) has already resolved the tier.
        tier = authorizer.get("tier") if claims is authorizer else None
        return Identity(user_id=sub, tier=tier if tier in TIERS else tier_from_claims(claims))

    def blocks(self, request: Request) -> bool:
        return False

    def _request_context(self, request: Request) -> Mapping[str, Any] | None:
        event = request.scope.get("aws.event")
        if isinstance(event, Mapping):
            # Mangum: the event came from Lambda itself, so it cannot be forged by a client header.
            context = event.get("requestContext")
            return context if isinstance(context, Mapping) else None
        if not self._trust_lwa_header:
            return None
        raw = request.headers.get(LWA_CONTEXT_HEADER)
        if not raw:
            return None
        try:
            parsed = json.loads(raw)
        except ValueError:
            return None
        return parsed if isinstance(parsed, Mapping) else None


class ApiKeyAuthenticator:
    """Accept an API key as the bearer token, else defer to the JWT authenticator.

    Local mode only: in aws mode API Gateway's Lambda authorizer checks keys and tokens alike.
    """

    def __init__(self, keys: ApiKeyRepository, fallback: Authenticator) -> None:
        self._keys = keys
        self._fallback = fallback

    def __call__(self, request: Request) -> Identity:
        token = bearer_token(request)
        if looks_like_api_key(token):
            return self._keys.authenticate(token).identity
        return self._fallback(request)

    def blocks(self, request: Request) -> bool:
        return authenticated_with_api_key(request) or self._fallback.blocks(request)


def build_authenticator(settings: Settings, api_keys: ApiKeyRepository | None = None) -> Authenticator:
    if settings.mode == "local":
        jwts = LocalJwtAuthenticator(settings.local_jwt_secret)
        # `Bearer prly_...` is an API key; anything else a JWT.
        return ApiKeyAuthenticator(api_keys, jwts) if api_keys is not None else jwts
    return ApiGatewayAuthenticator(trust_lwa_header=settings.trust_lwa_context_header)
