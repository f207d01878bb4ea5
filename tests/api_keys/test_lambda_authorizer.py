"""The API Gateway authorizer: Cognito JWTs against a JWKS served by a stub, and API keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from parley.auth.identity import Identity
from parley.auth.lambda_authorizer import (
    JwksCache,
    JwksUnavailable,
    bearer_from_event,
    build_lambda_authorizer,
    stage_resource,
)
from parley.errors import ServiceUnavailable

POOL = "eu-west-1_TestPool1"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
CLIENT = "client-abc123"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/conversations/01ABC"
STAGE_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING = rsa_key()
OTHER = rsa_key()


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


class StubJwks:
    """Serves a JWKS document and counts fetches (no network)."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.document = {"keys": list(keys)}
        self.urls: list[str] = []

    def __call__(self, url: str) -> dict[str, Any]:
        self.urls.append(url)
        return self.document


def token(key: rsa.RSAPrivateKey = SIGNING, kid: str = "k1", alg: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": "cognito-user-1", "iss": ISSUER, "aud": CLIENT, "token_use": "id",
                              "exp": now + 600, "iat": now, "cognito:groups": ["plus"]}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def event(auth: str | None, kind: str = "TOKEN") -> dict[str, Any]:
    if kind == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": auth, "methodArn": METHOD_ARN}
    return {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {} if auth is None else {"authorization": auth}}


@pytest.fixture
def jwks() -> StubJwks:
    return StubJwks(jwk(SIGNING, "k1"))


@pytest.fixture
def authorizer(jwks, keys):
    return build_lambda_authorizer(keys=keys, user_pool_id=POOL, client_ids=(CLIENT,), fetch=jwks)


def refused(authorizer, ev: dict[str, Any]) -> None:
    with pytest.raises(Exception) as info:
        authorizer(ev)
    # Exactly what API Gateway turns into a 401.
    assert type(info.value) is Exception and str(info.value) == "Unauthorized"


def test_cognito_id_token_is_allowed_for_the_whole_stage(authorizer, jwks):
    out = authorizer(event(f"Bearer {token()}"))
    assert out["principalId"] == "cognito-user-1"
    [statement] = out["policyDocument"]["Statement"]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": STAGE_ARN}
    assert out["context"] == {"userId": "cognito-user-1", "tier": "plus", "authType": "jwt"}
    assert jwks.urls == [f"{ISSUER}/.well-known/jwks.json"]


def test_access_token_and_request_events_work(authorizer):
    access = token(aud=None, token_use="access", client_id=CLIENT, **{"cognito:groups": None})
    out = authorizer(event(f"bearer {access}", kind="REQUEST"))
    assert out["context"]["tier"] == "free" and out["context"]["userId"] == "cognito-user-1"


def test_jwks_is_fetched_once_per_container(authorizer, jwks):
    for _ in range(5):
        authorizer(event(f"Bearer {token()}"))
    assert len(jwks.urls) == 1


@pytest.mark.parametrize("overrides", [
    {"exp": int(time.time()) - 5},
    {"aud": "some-other-client"},
    {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool"},
    {"iss": ISSUER + "/"},
    {"token_use": "refresh"},
    {"token_use": None},
    {"token_use": "access"},  # an access token's client is `client_id`, which this one lacks
    {"sub": None},
    {"exp": None},
])
def test_bad_claims_are_refused(authorizer, overrides):
    refused(authorizer, event(f"Bearer {token(**overrides)}"))


def test_wrong_signatures_and_algorithms_are_refused(authorizer):
    refused(authorizer, event(f"Bearer {token(key=OTHER)}"))  # right kid, wrong key
    public_pem = SIGNING.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    claims = {"sub": "x", "iss": ISSUER, "aud": CLIENT, "token_use": "id", "exp": now + 60}
    # HS256 with the public key as the secret (algorithm confusion); PyJWT refuses to even sign it,
    # so build it by hand.
    head = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": "k1"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    sig = base64.urlsafe_b64encode(hmac.new(public_pem, head + b"." + body, hashlib.sha256).digest()).rstrip(b"=")
    refused(authorizer, event(f"Bearer {(head + b'.' + body + b'.' + sig).decode()}"))
    none = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": "k1"}).encode()).rstrip(b"=")
    refused(authorizer, event(f"Bearer {(none + b'.' + body + b'.').decode()}"))


def test_unknown_kid_refetches_once_a_minute_at_most(jwks):
    now = [1000.0]
    cache = JwksCache("https://example.invalid/jwks.json", jwks, clock=lambda: now[0])
    assert cache.key("k1") is not None
    assert cache.key("rotated") is None
    assert len(jwks.urls) == 1  # fetched less than a minute ago: no refetch for a random kid
    now[0] += 61
    jwks.document["keys"].append(jwk(OTHER, "rotated"))
    assert cache.key("rotated") is not None  # key rotation is picked up
    assert len(jwks.urls) == 2
    assert cache.key("random") is None and len(jwks.urls) == 2


def test_a_new_kid_within_the_minute_is_refused_without_a_refetch(keys):
    jwks = StubJwks(jwk(SIGNING, "k1"))
    authorizer = build_lambda_authorizer(keys=keys, user_pool_id=POOL, client_ids=(CLIENT,), fetch=jwks)
    authorizer(event(f"Bearer {token()}"))
    jwks.document["keys"].append(jwk(OTHER, "k2"))
    refused(authorizer, event(f"Bearer {token(key=OTHER, kid='k2')}"))
    assert len(jwks.urls) == 1


def test_jwks_outage_is_not_a_401(keys):
    def down(url: str) -> dict[str, Any]:
        raise JwksUnavailable("could not fetch JWKS: URLError")

    authorizer = build_lambda_authorizer(keys=keys, user_pool_id=POOL, client_ids=(CLIENT,), fetch=down)
    with pytest.raises(JwksUnavailable):
        authorizer(event(f"Bearer {token()}"))


def test_api_key_is_allowed_with_its_owner_and_tier(authorizer, keys, jwks):
    who = Identity(user_id=f"key-owner-{uuid.uuid4().hex[:8]}", tier="plus")
    created = keys.create(who, "ci")
    out = authorizer(event(f"Bearer {created.key}"))
    assert out["principalId"] == who.user_id
    assert out["policyDocument"]["Statement"][0]["Resource"] == STAGE_ARN
    assert out["context"] == {"userId": who.user_id, "tier": "plus", "authType": "api_key",
                              "apiKeyId": created.key_id}
    assert jwks.urls == []  # keys never touch the JWKS
    keys.delete(who.user_id, created.key_id)
    refused(authorizer, event(f"Bearer {created.key}"))


def test_api_key_storage_outage_is_not_a_401(jwks, keys_app):
    from parley.auth.api_keys import ApiKeyRepository, new_key
    from parley.storage.api_keys_table import build_api_keys_table

    s = keys_app.state.container.settings
    missing = ApiKeyRepository(build_api_keys_table("parley-no-such-table", s.region, s.dynamodb_endpoint))
    authorizer = build_lambda_authorizer(keys=missing, user_pool_id=POOL, client_ids=(CLIENT,), fetch=jwks)
    with pytest.raises(ServiceUnavailable):
        authorizer(event(f"Bearer {new_key()[1]}"))


@pytest.mark.parametrize("auth", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "garbage", "Bearer garbage", "Bearer a.b.c",
    "Bearer prly_", "Bearer prly_0123456789abcdef_" + "A" * 43,
])
@pytest.mark.parametrize("kind", ["TOKEN", "REQUEST"])
def test_garbage_is_refused(authorizer, auth, kind):
    refused(authorizer, event(auth, kind))


def test_without_a_user_pool_only_keys_work(keys, jwks):
    who = Identity(user_id=f"key-only-{uuid.uuid4().hex[:8]}")
    key = keys.create(who, "k").key
    authorizer = build_lambda_authorizer(keys=keys, user_pool_id=None, client_ids=(), fetch=jwks)
    assert authorizer(event(f"Bearer {key}"))["context"]["authType"] == "api_key"
    refused(authorizer, event(f"Bearer {token()}"))
    assert jwks.urls == []


def test_helpers():
    assert stage_resource(METHOD_ARN) == STAGE_ARN
    assert stage_resource("arn:aws:execute-api:us-east-1:1:api/$default/POST/") == \
        "arn:aws:execute-api:us-east-1:1:api/$default/*/*"
    with pytest.raises(ValueError):
        stage_resource("nonsense")
    assert bearer_from_event({"headers": {"Authorization": "Bearer abc"}}) == "abc"
    assert bearer_from_event({"headers": None}) is None
    assert bearer_from_event({"authorizationToken": "Token abc"}) is None


def test_a_bad_method_arn_is_refused(authorizer):
    refused(authorizer, {"type": "TOKEN", "authorizationToken": f"Bearer {token()}", "methodArn": "x"})
