"""API Gateway's Lambda authorizer: a Cognito JWT or a Parley API key, one decision for both.

A method takes one authorizer, and both kinds of bearer token must work on every route, so this
replaces API Gateway's Cognito authorizer (see docs/auth.md). It answers TOKEN events
(``authorizationToken``) and REQUEST events (``headers``) alike:

- an API key (``prly_...``): one GetItem by key id and a constant-time hash compare;
- anything else: a Cognito ID or access token, verified against the user pool's JWKS (fetched once
  per container and again only for an unknown ``kid``, at most once a minute): RS256 signature,
  ``iss`` = the pool, ``token_use`` = id or access, the app client (``aud`` or ``client_id``), ``exp``.

Allowed, it returns a policy for the whole API stage (``.../{stage}/*/*``), because API Gateway caches
the policy by token and reuses it for every route, with the context ``{userId, tier, authType}``
(plus ``apiKeyId`` for keys) that the app reads as its identity. Refused, it raises
``Exception("Unauthorized")``, which API Gateway answers with 401; any other failure (DynamoDB or
the JWKS endpoint unreachable) propagates and becomes a 5xx, so an outage is never mistaken for a
bad token.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from parley.auth.api_keys import ApiKeyRepository, looks_like_api_key
from parley.auth.identity import Identity, tier_from_claims
from parley.errors import Unauthorized
from parley.observability import logger
from parley.settings import Settings

ALGORITHMS = ["RS256"]  # what Cognito signs with; pinning it rejects `none` and HS256 confusion
JWKS_TIMEOUT_S = 3.0
JWKS_MIN_REFRESH_S = 60.0

JsonFetcher = Callable[[str], Mapping[str, Any]]


class JwksUnavailable(RuntimeError):
    """The user pool's keys could not be fetched: a 5xx, not a 401."""


def fetch_json(url: str) -> Mapping[str, Any]:
    """GET a JSON document (the JWKS); only ever called with the pool's https URL."""
    if not url.startswith("https://"):
        raise JwksUnavailable("JWKS URL must be https")
    try:
        with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_S) as response:  # noqa: S310 (https only)
            document: Mapping[str, Any] = json.loads(response.read())
            return document
    except (OSError, ValueError) as exc:
        raise JwksUnavailable(f"could not fetch JWKS: {type(exc).__name__}") from exc


@dataclass(frozen=True)
class CognitoConfig:
    user_pool_id: str
    client_ids: tuple[str, ...]
    #: Defaults to the region in the pool id (``us-east-1_AbC123``).
    region: str | None = None

    @property
    def issuer(self) -> str:
        region = self.region or self.user_pool_id.split("_", 1)[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"


class JwksCache:
    """The pool's signing keys, fetched on first use and refreshed only for an unknown ``kid``
    (key rotation), at most once per ``min_refresh_s`` so random kids cannot flood the endpoint."""

    def __init__(
        self,
        url: str,
        fetch: JsonFetcher = fetch_json,
        *,
        min_refresh_s: float = JWKS_MIN_REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._fetch = fetch
        self._min_refresh_s = min_refresh_s
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            if self._keys is None or (kid not in self._keys and self._may_refresh()):
                self._keys = self._load()
                self._fetched_at = self._clock()
            return self._keys.get(kid)

    def _may_refresh(self) -> bool:
        return self._clock() - self._fetched_at >= self._min_refresh_s

    def _load(self) -> dict[str, jwt.PyJWK]:
        data = self._fetch(self._url)
        keys: dict[str, jwt.PyJWK] = {}
        for entry in data.get("keys", []) if isinstance(data, Mapping) else []:
            if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(dict(entry))
            except jwt.PyJWTError:
                continue  # a key type this PyJWT cannot use is simply not a key we accept
        if not keys:
            raise JwksUnavailable("JWKS has no usable signing keys")
        return keys


class CognitoVerifier:
    def __init__(self, config: CognitoConfig, jwks: JwksCache) -> None:
        self._config = config
        self._jwks = jwks

    def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token") from exc
        kid = header.get("kid")
        if not isinstance(kid, str) or header.get("alg") not in ALGORITHMS:
            raise Unauthorized("invalid token")
        key = self._jwks.key(kid)
        if key is None:
            raise Unauthorized("invalid token: unknown key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self._config.issuer,
                # ID tokens carry the client in `aud`, access tokens in `client_id`: checked below.
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid token") from exc
        token_use = claims.get("token_use")
        client = claims.get("aud") if token_use == "id" else claims.get("client_id") if token_use == "access" else None
        if client not in self._config.client_ids:
            raise Unauthorized("invalid token: wrong audience")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("invalid token: no subject")
        return Identity(user_id=sub, tier=tier_from_claims(claims))


@dataclass(frozen=True)
class Decision:
    identity: Identity
    auth_type: str  # "jwt" or "api_key"
    api_key_id: str | None = None

    @property
    def context(self) -> dict[str, str]:
        # Context values must be flat strings, numbers or booleans (no nested maps).
        context = {"userId": self.identity.user_id, "tier": self.identity.tier, "authType": self.auth_type}
        if self.api_key_id:
            context["apiKeyId"] = self.api_key_id
        return context


def bearer_from_event(event: Mapping[str, Any]) -> str | None:
    """The bearer token of a TOKEN or REQUEST authorizer event, or None."""
    raw = event.get("authorizationToken")
    if raw is None:
        headers = event.get("headers") or {}
        raw = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == "authorization"), None)
    if not isinstance(raw, str):
        return None
    scheme, _, token = raw.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def stage_resource(method_arn: str) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/*/*`` from the invoked method's ARN, so a
    cached policy admits the same token on every route of the stage."""
    arn, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    if not arn.startswith("arn:") or not stage:
        raise ValueError("unexpected methodArn")
    return f"{arn}/{stage}/*/*"


def allow_policy(decision: Decision, method_arn: str) -> dict[str, Any]:
    return {
        "principalId": decision.identity.user_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": stage_resource(method_arn)}
            ],
        },
        "context": decision.context,
    }


class LambdaAuthorizer:
    def __init__(self, keys: ApiKeyRepository | None, cognito: CognitoVerifier | None) -> None:
        self._keys = keys
        self._cognito = cognito

    def decide(self, token: str) -> Decision:
        """Raises Unauthorized for a bad token; other errors mean the check itself failed."""
        if looks_like_api_key(token):
            if self._keys is None:
                raise Unauthorized("API keys are not enabled")
            match = self._keys.authenticate(token)
            return Decision(match.identity, "api_key", match.key_id)
        if self._cognito is None:
            raise Unauthorized("no user pool configured")
        return Decision(self._cognito.verify(token), "jwt")

    def __call__(self, event: Mapping[str, Any]) -> dict[str, Any]:
        token = bearer_from_event(event)
        method_arn = str(event.get("methodArn", ""))
        try:
            if token is None:
                raise Unauthorized("missing bearer token")
            decision = self.decide(token)
            policy = allow_policy(decision, method_arn)
        except (Unauthorized, ValueError) as exc:
            # Reason only (never the token): API Gateway turns exactly this message into a 401.
            logger.info("authorizer refused", extra={"reason": getattr(exc, "message", "bad methodArn")})
            raise Exception("Unauthorized") from None  # noqa: TRY002 (the message API Gateway expects)
        logger.info("authorizer allowed", extra={"auth_type": decision.auth_type, "user_id": decision.identity.user_id})
        return policy


def build_lambda_authorizer(
    *,
    keys: ApiKeyRepository | None,
    user_pool_id: str | None,
    client_ids: tuple[str, ...],
    region: str | None = None,
    fetch: JsonFetcher = fetch_json,
) -> LambdaAuthorizer:
    """The authorizer of one container; nothing is fetched until the first JWT arrives."""
    cognito = None
    if user_pool_id and client_ids:
        config = CognitoConfig(user_pool_id, client_ids, region)
        cognito = CognitoVerifier(config, JwksCache(config.jwks_url, fetch))
    return LambdaAuthorizer(keys, cognito)


def authorizer_from_settings(settings: Settings, fetch: JsonFetcher = fetch_json) -> LambdaAuthorizer:
    """What the Lambda entry builds once per container (its init phase; no network until used)."""
    from parley.storage.api_keys_table import build_api_keys_table

    table = build_api_keys_table(settings.table_api_keys, settings.region, settings.dynamodb_endpoint)
    return build_lambda_authorizer(
        keys=ApiKeyRepository(table),
        user_pool_id=settings.cognito_user_pool_id,
        client_ids=tuple(c for c in (settings.cognito_client_id,) if c),
        fetch=fetch,
    )
