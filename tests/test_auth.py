"""Authentication: local JWTs, API Gateway identities, and forged headers."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.local_jwt import ISSUER, issue_token
from parley.settings import DEV_JWT_SECRET, Settings, SettingsError


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Bearer " + "a" * 40},
    ],
)
def test_missing_or_malformed_token_is_401(client, headers):
    r = client.get("/conversations", headers=headers)
    assert r.status_code == 401
    assert r.json()["code"] in {"unauthorized", "token_expired"}
    assert r.json()["retryable"] is False


def test_expired_token_is_401(client):
    token = issue_token(DEV_JWT_SECRET, "alice", "free", ttl_s=-10)
    r = client.get("/conversations", headers=bearer(token))
    assert r.status_code == 401
    assert r.json()["code"] == "token_expired"


def test_wrong_signature_is_401(client):
    token = issue_token("some-other-secret-of-enough-length", "alice", "free")
    assert client.get("/conversations", headers=bearer(token)).status_code == 401


def test_alg_none_is_401(client):
    claims = {"sub": "alice", "exp": int(time.time()) + 600, "iss": ISSUER}
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert client.get("/conversations", headers=bearer(token)).status_code == 401


def test_missing_sub_is_401(client):
    claims = {"exp": int(time.time()) + 600, "iss": ISSUER}
    token = jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")
    assert client.get("/conversations", headers=bearer(token)).status_code == 401
    claims["sub"] = "  "
    token = jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")
    assert client.get("/conversations", headers=bearer(token)).status_code == 401


def test_valid_token_works_and_user_is_sub(client):
    token = issue_token(DEV_JWT_SECRET, "carol-auth", "plus")
    assert client.get("/conversations", headers=bearer(token)).status_code == 200


def test_dev_token_route(client):
    r = client.post("/dev/token", json={"userId": "dana", "tier": "plus"})
    assert r.status_code == 200
    token = r.json()["token"]
    claims = jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"], issuer=ISSUER)
    assert claims["sub"] == "dana" and claims["custom:tier"] == "plus"
    assert client.post("/dev/token", json={"userId": "", "tier": "plus"}).status_code == 422
    assert client.post("/dev/token", json={"userId": "x", "tier": "gold"}).status_code == 422


# -- aws mode ------------------------------------------------------------------------------------

AWS = dict(mode="aws", table_conversations="parley-conversations", bucket_data="parley-data")


def test_aws_mode_refuses_the_dev_secret():
    with pytest.raises(SettingsError):
        Settings.from_env({"PARLEY_MODE": "aws", "PARLEY_JWT_SECRET": DEV_JWT_SECRET})
    assert Settings.from_env({"PARLEY_MODE": "aws"}).mode == "aws"


@pytest.fixture(scope="module")
def aws_client(app, local_endpoints):
    # The same local servers as the local app (tables exist); only the identity source differs.
    aws_app = create_app(Settings(**AWS, **local_endpoints))
    return TestClient(aws_app)


def test_aws_mode_has_no_dev_token_route(aws_client):
    assert aws_client.post("/dev/token", json={"userId": "x"}).status_code == 404


def test_aws_mode_rejects_local_tokens(aws_client):
    token = issue_token(DEV_JWT_SECRET, "alice", "free")
    assert aws_client.get("/conversations", headers=bearer(token)).status_code == 401


def test_forged_request_context_header_grants_nothing(aws_client):
    forged = {"authorizer": {"claims": {"sub": "victim", "custom:tier": "plus"}}}
    r = aws_client.get("/conversations", headers={"x-amzn-request-context": json.dumps(forged)})
    assert r.status_code == 401


def test_lwa_header_is_trusted_only_where_configured(app, local_endpoints):
    app = create_app(Settings(**AWS, **local_endpoints, trust_lwa_context_header=True))
    c = TestClient(app)
    context = {"authorizer": {"claims": {"sub": "lwa-user", "cognito:groups": "[plus]"}}}
    r = c.post("/conversations", json={}, headers={"x-amzn-request-context": json.dumps(context)})
    assert r.status_code == 201
    assert c.get("/conversations", headers={"x-amzn-request-context": "{not json"}).status_code == 401
    empty = json.dumps({"authorizer": {}})
    assert c.get("/conversations", headers={"x-amzn-request-context": empty}).status_code == 401
