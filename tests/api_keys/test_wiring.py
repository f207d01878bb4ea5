"""API keys wired into the application itself (settings, tables, container, app, aws-mode identity,
the authorizer's Lambda entry). These pass once the lead applies the wiring from the report."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.settings import Settings
from parley.storage.schema import describe, table_models
from tests.support import LambdaContext


def test_settings_name_the_table_and_the_user_pool():
    s = Settings.from_env({"PARLEY_TABLE_API_KEYS": "keys-x", "PARLEY_COGNITO_USER_POOL_ID": "eu-west-1_Abc",
                           "PARLEY_COGNITO_CLIENT_ID": "client-1", "PARLEY_API_KEYS_PER_USER": "5"})
    assert (s.table_api_keys, s.cognito_user_pool_id, s.cognito_client_id, s.api_keys_per_user) == \
        ("keys-x", "eu-west-1_Abc", "client-1", 5)


def test_the_keys_table_is_deployed_from_the_models():
    tables = {describe(m)["table_name"]: describe(m) for m in table_models(Settings(table_api_keys="keys-y"))}
    keys = tables["keys-y"]
    assert [k["AttributeName"] for k in keys["key_schema"]] == ["pk"]
    assert [i["IndexName"] for i in keys["global_secondary_indexes"]] == ["by_user"]


def test_the_default_app_takes_api_keys_on_native_and_v1_routes(client, make_user):
    auth = make_user("plus")
    created = client.post("/api-keys", json={"name": "wired"}, headers=auth)
    assert created.status_code == 201, created.text
    key = {"Authorization": f"Bearer {created.json()['key']}"}
    assert client.get("/conversations", headers=key).status_code == 200
    assert client.get("/usage", headers=key).json()["tier"] == "plus"
    assert client.get("/v1/models", headers=key).status_code == 200
    assert client.delete(f"/api-keys/{created.json()['apiKeyId']}", headers=auth).status_code == 200
    assert client.get("/conversations", headers=key).status_code == 401


def test_aws_mode_reads_the_lambda_authorizers_context(app, local_endpoints):
    aws = TestClient(create_app(Settings(mode="aws", trust_lwa_context_header=True, **local_endpoints)))
    for auth_type in ("api_key", "jwt"):
        context = {"authorizer": {"principalId": "lambda-auth-user", "userId": "lambda-auth-user", "tier": "plus",
                                  "authType": auth_type, "integrationLatency": 12}}
        r = aws.get("/usage", headers={"x-amzn-request-context": json.dumps(context)})
        assert r.status_code == 200 and r.json()["tier"] == "plus"
    # Cognito's own authorizer still works, and its claims cannot smuggle a `tier`.
    cognito = {"authorizer": {"claims": {"sub": "cog-user", "tier": "plus"}}}
    r = aws.get("/usage", headers={"x-amzn-request-context": json.dumps(cognito)})
    assert r.status_code == 200 and r.json()["tier"] == "free"


@pytest.fixture
def authorizer_handler(app, monkeypatch, local_endpoints):
    monkeypatch.setenv("PARLEY_MODE", "aws")
    for name, url in local_endpoints.items():
        monkeypatch.setenv(f"PARLEY_{name.upper()}", url)
    monkeypatch.setenv("PARLEY_TABLE_API_KEYS", app.state.container.settings.table_api_keys)
    monkeypatch.setenv("PARLEY_COGNITO_USER_POOL_ID", "us-east-1_Pool")
    monkeypatch.setenv("PARLEY_COGNITO_CLIENT_ID", "client-1")
    sys.modules.pop("functions.authorizer.handler", None)
    yield importlib.import_module("functions.authorizer.handler").handler
    sys.modules.pop("functions.authorizer.handler", None)


def test_the_authorizer_entry_answers_api_keys(app, client, make_user, authorizer_handler):
    key = client.post("/api-keys", json={"name": "gw"}, headers=make_user()).json()["key"]
    arn = "arn:aws:execute-api:us-east-1:123456789012:api123/prod/GET/conversations"
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {key}", "methodArn": arn}
    out = authorizer_handler(event, LambdaContext())
    assert out["context"]["authType"] == "api_key"
    resource = out["policyDocument"]["Statement"][0]["Resource"]
    assert resource == "arn:aws:execute-api:us-east-1:123456789012:api123/prod/*/*"
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer_handler({"type": "TOKEN", "authorizationToken": "Bearer nope", "methodArn": arn}, LambdaContext())
