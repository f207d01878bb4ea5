"""The REST API: each route reaches the right function, the right way, behind the right authorizer.

Routing is checked by resolving request paths against the synthesized resources the way API
Gateway does (static path parts before ``{variables}``, ``{proxy+}`` last; a method before ANY).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra_cdk.api import EXPOSE_HEADERS, ROUTES

#: The chat-function routes with every {variable} as "x1".
STREAMING_TEMPLATES = {
    (method, re.sub(r"\{[^}]+\}", "x1", r.path)) for r in ROUTES if r.target == "chat" for method in r.methods
}


class Router:
    def __init__(self, synth) -> None:
        self.synth = synth
        resources = synth.of_type("AWS::ApiGateway::Resource")
        (self.api_id,) = synth.of_type("AWS::ApiGateway::RestApi")
        self.children: dict[str, list[tuple[str, str]]] = {}
        for logical_id, res in resources.items():
            parent = res["Properties"]["ParentId"]
            parent_id = parent["Ref"] if "Ref" in parent else "ROOT"
            self.children.setdefault(parent_id, []).append((res["Properties"]["PathPart"], logical_id))
        self.methods: dict[tuple[str, str], dict[str, Any]] = {}
        for method in synth.of_type("AWS::ApiGateway::Method").values():
            props = method["Properties"]
            rid = props["ResourceId"]
            owner = rid["Ref"] if "Ref" in rid else "ROOT"
            self.methods[(owner, props["HttpMethod"])] = props

    def _match(self, node: str, parts: list[str]) -> str | None:
        if not parts:
            return node
        kids = self.children.get(node, [])
        for part, child in kids:  # static first
            if part == parts[0]:
                found = self._match(child, parts[1:])
                if found:
                    return found
        for part, child in kids:
            if part.startswith("{") and not part.endswith("+}"):
                found = self._match(child, parts[1:])
                if found:
                    return found
        for part, child in kids:
            if part.endswith("+}"):
                return child
        return None

    def resolve(self, method: str, path: str) -> dict[str, Any] | None:
        node = self._match("ROOT", [p for p in path.split("/") if p])
        if node is None:
            return None
        return self.methods.get((node, method)) or self.methods.get((node, "ANY"))

    def target(self, props: dict[str, Any]) -> str:
        """Which Parley function a method's integration invokes."""
        uri = props["Integration"]["Uri"]["Fn::Join"][1]
        # A function's ARN (GetAtt), or its alias's (Ref) where SnapStart is on.
        targets = {**{v: k for k, v in self.synth.function_ids().items()},
                   **{v: k for k, v in self.synth.invoke_ids().items()}}
        refs = [p.get("Ref") or p.get("Fn::GetAtt", [None])[0] for p in uri if isinstance(p, dict)]
        return next(targets[ref] for ref in refs if ref in targets)


@pytest.fixture(scope="module")
def router(synth) -> Router:
    return Router(synth)


STREAMING = [
    ("POST", "/conversations/c1/messages"),
    ("POST", "/conversations/c1/messages/m1/regenerate"),
    ("GET", "/conversations/c1/messages/m1/events"),
    ("POST", "/v1/chat/completions"),
]
BUFFERED = [
    ("GET", "/conversations"), ("POST", "/conversations"),
    ("GET", "/conversations/c1"), ("PATCH", "/conversations/c1"), ("DELETE", "/conversations/c1"),
    ("GET", "/conversations/c1/messages"),
    ("POST", "/conversations/c1/messages/m1/stop"),
    ("GET", "/conversations/c1/export"),
    ("GET", "/models"), ("GET", "/usage"), ("PUT", "/usage/cap"),
    ("POST", "/attachments"), ("GET", "/attachments/a1"), ("DELETE", "/attachments/a1"),
    ("GET", "/api-keys"), ("POST", "/api-keys"), ("DELETE", "/api-keys/k1"),
    ("GET", "/v1/models"),
    ("GET", "/search"), ("GET", "/me/instructions"), ("PUT", "/me/instructions"),
    ("GET", "/memories"), ("POST", "/memories"), ("DELETE", "/memories/m1"),
]


@pytest.mark.parametrize(("method", "path"), STREAMING)
def test_streaming_routes_stream_from_the_chat_function(router: Router, method: str, path: str) -> None:
    props = router.resolve(method, path)
    assert props is not None, path
    assert router.target(props) == "chat"
    integration = props["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    assert integration["ResponseTransferMode"] == "STREAM"
    assert integration["TimeoutInMillis"] == 15 * 60 * 1000
    assert "/response-streaming-invocations" in str(integration["Uri"])


@pytest.mark.parametrize(("method", "path"), BUFFERED)
def test_buffered_routes_go_to_the_api_function(router: Router, method: str, path: str) -> None:
    props = router.resolve(method, path)
    assert props is not None, path
    assert router.target(props) == "api"
    assert props["Integration"].get("ResponseTransferMode", "BUFFERED") == "BUFFERED"


def _authorizer_type(synth, props: dict[str, Any]) -> str:
    authorizers = synth.of_type("AWS::ApiGateway::Authorizer")
    assert props["AuthorizationType"] in ("COGNITO_USER_POOLS", "CUSTOM")
    return authorizers[props["AuthorizerId"]["Ref"]]["Properties"]["Type"]


@pytest.mark.parametrize(("method", "path"), STREAMING + BUFFERED)
def test_every_route_but_health_needs_an_authorizer(router: Router, synth, method: str, path: str) -> None:
    # With the authorizer function and the default scope "all", the Lambda authorizer (Cognito
    # tokens and API keys) guards every route.
    assert synth.params.api.authorizer_scope == "all"
    assert _authorizer_type(synth, router.resolve(method, path)) == "TOKEN"


@pytest.mark.parametrize(("method", "path"), STREAMING + BUFFERED)
def test_authorizer_scope_v1_keeps_cognito_elsewhere(openai_synth, method: str, path: str) -> None:
    router = Router(openai_synth)
    expected = "TOKEN" if path.startswith("/v1/") else "COGNITO_USER_POOLS"
    assert _authorizer_type(openai_synth, router.resolve(method, path)) == expected, path


def test_health_is_public_and_buffered(router: Router) -> None:
    props = router.resolve("GET", "/health")
    assert props["AuthorizationType"] == "NONE"
    assert router.target(props) == "api"


def test_unknown_top_level_paths_still_reach_the_app(router: Router) -> None:
    # Future buffered routes need no infrastructure change.
    props = router.resolve("GET", "/something-new/x/y")
    assert props is not None and router.target(props) == "api"


def test_every_app_route_is_reachable_and_streams_where_the_app_streams(router: Router, app) -> None:
    """The app's own OpenAPI document against the gateway (local-only /dev routes excepted)."""
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/dev/"):
            continue
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        for method, operation in operations.items():
            media = {m for r in operation.get("responses", {}).values() for m in r.get("content", {})}
            props = router.resolve(method.upper(), concrete)
            assert props is not None, f"{method.upper()} {path} has no API Gateway route"
            target = router.target(props)
            if "text/event-stream" in media:
                assert target == "chat", f"{method.upper()} {path} streams but is buffered"
            elif target == "chat":
                # Only the routes that can stream (e.g. /v1/chat/completions with stream=false too).
                assert (method.upper(), concrete) in STREAMING_TEMPLATES, f"{method.upper()} {path}"
            checked += 1
    assert checked >= 8


def test_stage_throttling_logging_and_tracing(synth) -> None:
    (stage,) = synth.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    params = synth.params.api
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == params.throttle_rate_per_s
    assert settings["ThrottlingBurstLimit"] == params.throttle_burst
    assert settings["DataTraceEnabled"] is False  # bodies hold message contents
    assert props["TracingEnabled"] is True
    assert "DestinationArn" in props["AccessLogSetting"]
    (api,) = synth.of_type("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["EndpointConfiguration"]["Types"] == ["REGIONAL"]


def test_cors_preflight_allows_the_web_origin_and_contract_headers(synth, router: Router) -> None:
    props = router.resolve("OPTIONS", "/conversations/c1/messages")
    assert props["AuthorizationType"] == "NONE"
    params = props["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
    origin = params["method.response.header.Access-Control-Allow-Origin"]
    assert synth.render(origin) == f"'https://<{synth.logical_id(synth.stack.web.distribution)}.DomainName>'"
    allowed = params["method.response.header.Access-Control-Allow-Headers"].strip("'").split(",")
    assert allowed == ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"]
    exposed = params["method.response.header.Access-Control-Expose-Headers"].strip("'").split(",")
    assert "Retry-After" in exposed
    assert {h for h in exposed if h.startswith("x-ratelimit-")} == {
        f"x-ratelimit-{what}-{unit}" for what in ("limit", "remaining", "reset") for unit in ("requests", "tokens")}


def test_cors_expose_headers_cover_what_the_app_exposes(app) -> None:
    """The app's own CORS middleware (on proxied responses) and the gateway's agree."""
    from starlette.middleware.cors import CORSMiddleware

    from parley.app import create_app
    from parley.settings import Settings

    cors_app = create_app(Settings(mode="local", cors_origins=("https://web.example.com",)))
    (middleware,) = [m for m in cors_app.user_middleware if m.cls is CORSMiddleware]
    assert set(middleware.kwargs["expose_headers"]) <= set(EXPOSE_HEADERS)


def test_cors_preflight_allows_every_web_origin(openai_synth) -> None:
    router = Router(openai_synth)
    props = router.resolve("OPTIONS", "/conversations")
    # Several origins: the first is the default answer, and the template echoes the request's
    # Origin when it is one of the others.
    response = props["Integration"]["IntegrationResponses"][0]
    origin = response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"]
    assert origin == f"'https://{openai_synth.params.domain.web_domain}'"
    template = json.dumps(response["ResponseTemplates"])
    assert openai_synth.logical_id(openai_synth.stack.web.distribution) in template
    assert "Access-Control-Allow-Origin = $origin" in template


def test_gateway_errors_use_the_app_error_shape(synth) -> None:
    responses = {r["Properties"]["ResponseType"]: r["Properties"]
                 for r in synth.of_type("AWS::ApiGateway::GatewayResponse").values()}
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert responses["THROTTLED"]["StatusCode"] == "429"
    body = responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
    assert '"code": "unauthorized"' in body and '"retryable": false' in body
    for kind in ("THROTTLED", "QUOTA_EXCEEDED"):
        assert responses[kind]["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    for response in responses.values():
        headers = response["ResponseParameters"]
        assert "Retry-After" in headers["gatewayresponse.header.Access-Control-Expose-Headers"]
        assert "WebDistribution" in synth.render(headers["gatewayresponse.header.Access-Control-Allow-Origin"])


def test_lambda_authorizer_guards_every_method_but_health_and_preflights(synth) -> None:
    (authorizer_id,) = synth.of_type("AWS::ApiGateway::Authorizer")
    authorizer = synth.resources[authorizer_id]["Properties"]
    assert authorizer["Type"] == "TOKEN"
    # Cached per Authorization header for 5 minutes; a request without the header, or with one that
    # is no bearer token, never reaches it.
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    assert authorizer["AuthorizerResultTtlInSeconds"] == 300
    pattern = re.compile(authorizer["IdentityValidationExpression"])
    assert pattern.match("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln")
    assert pattern.match("Bearer prly_3f9a0c1b2d4e5f60_q2kW7m-_x")
    assert not pattern.match("Basic dXNlcjpwYXNz") and not pattern.match("Bearer a b")
    assert synth.function_ids()["authorizer"] in json.dumps(authorizer["AuthorizerUri"])
    public = []
    for method in synth.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            assert props["AuthorizationType"] == "NONE"
            continue
        if props["AuthorizationType"] == "NONE":
            public.append(props)
            continue
        assert props["AuthorizationType"] == "CUSTOM"
        assert props["AuthorizerId"] == {"Ref": authorizer_id}
    # Only the health probe and share links (GET /shared/{shareId}: the id is the credential) are public.
    paths = sorted((m["HttpMethod"], synth.resources[m["ResourceId"]["Ref"]]["Properties"]["PathPart"]) for m in public)
    assert paths == [("GET", "health"), ("GET", "{shareId}")]


def test_waf_protects_the_stage_and_lets_long_messages_through(synth) -> None:
    (acl,) = synth.of_type("AWS::WAFv2::WebACL").values()
    rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}
    assert rules["rate-per-ip"]["Statement"]["RateBasedStatement"]["Limit"] == synth.params.api.waf_rate_limit
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}} in common["RuleActionOverrides"]
    assert synth.of_type("AWS::WAFv2::WebACLAssociation")
