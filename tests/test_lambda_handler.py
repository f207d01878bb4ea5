"""The api Lambda entry answers API Gateway REST proxy events (Mangum)."""

from __future__ import annotations

import importlib
import json
import sys

import pytest

from parley.app import create_app
from parley.ids import new_id
from parley.settings import Settings
from tests.support import AwsFaults, LambdaContext
from tests.test_log_context import log_lines  # noqa: F401 - a fixture


def rest_event(method: str, path: str, *, claims: dict | None = None, body: dict | None = None,
               headers: dict | None = None) -> dict:
    context = {
        "resourcePath": path,
        "httpMethod": method,
        "path": f"/prod{path}",
        "stage": "prod",
        "requestId": "req-123",
        "identity": {"sourceIp": "203.0.113.9"},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


class FakeContext:
    aws_request_id = "req-123"
    function_name = "parley-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:parley-api"


@pytest.fixture(scope="module")
def handler(app, monkeypatch_module, local_endpoints):
    monkeypatch_module.setenv("PARLEY_MODE", "aws")
    for name, url in local_endpoints.items():
        monkeypatch_module.setenv(f"PARLEY_{name.upper()}", url)
    monkeypatch_module.setenv("PARLEY_TABLE_CONVERSATIONS", "parley-conversations")
    sys.modules.pop("functions.api.handler", None)
    module = importlib.import_module("functions.api.handler")
    return module.handler


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_health_through_lambda(handler):
    out = handler(rest_event("GET", "/health"), FakeContext())
    assert out["statusCode"] == 200
    assert json.loads(out["body"])["mode"] == "aws"


def test_create_and_list_with_cognito_claims(handler):
    claims = {"sub": "lambda-user-1", "cognito:groups": "[plus]"}
    out = handler(rest_event("POST", "/conversations", claims=claims, body={"title": "via lambda"}), FakeContext())
    assert out["statusCode"] == 201, out
    cid = json.loads(out["body"])["conversationId"]
    listed = handler(rest_event("GET", "/conversations", claims=claims), FakeContext())
    assert cid in [c["conversationId"] for c in json.loads(listed["body"])["conversations"]]


def test_no_authorizer_claims_is_401_even_with_forged_header(handler):
    forged = json.dumps({"authorizer": {"claims": {"sub": "victim"}}})
    out = handler(rest_event("GET", "/conversations", headers={"x-amzn-request-context": forged}), FakeContext())
    assert out["statusCode"] == 401


def test_entry_module_reads_no_settings_until_imported():
    # create_app takes explicit settings: the module's only environment read is Lambda's init.
    app = create_app(Settings(mode="aws"))
    assert app.state.container.settings.mode == "aws"


def test_lambda_log_lines_carry_the_gateway_request_and_the_conversation(handler, log_lines):  # noqa: F811
    """A failure inside a conversation route: its line names API Gateway's request id (not Lambda's
    invocation id, which rides along as function_request_id) and the conversation."""
    cid = new_id()
    event = rest_event("GET", f"/conversations/{cid}", claims={"sub": "lambda-logs", "custom:tier": "free"})
    with AwsFaults().add("*", code="AccessDeniedException"):
        out = handler(event, LambdaContext(aws_request_id="invocation-9"))
    assert out["statusCode"] == 500
    (line,) = log_lines.named("AWS call failed")
    assert (line["correlation_id"], line["conversation_id"]) == ("req-123", cid)
    assert line["function_request_id"] == "invocation-9" and line["function_name"] == "parley-test"
