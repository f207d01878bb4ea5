"""The public API: an API Gateway REST API (Regional) in front of the ``api`` and ``chat`` functions.

Routes (``ROUTES``): the streaming ones (send, regenerate, resume, /v1/chat/completions) go to the
``chat`` function with ``responseTransferMode=STREAM`` and a 15-minute timeout; everything else is
buffered to the ``api`` function, through greedy ``{proxy+}`` resources where new routes of the
app should work without touching this file. API Gateway picks static path parts before variables,
so the explicit streaming resources win over the greedy ones beside them.

Every method except ``GET /health`` (and CORS preflights) needs a bearer token. Without the
``authorizer`` function, API Gateway's Cognito authorizer checks it (an ID token). With it, the
Lambda authorizer (TOKEN type: Cognito tokens or Parley API keys, one decision for both, cached
5 minutes per Authorization header) guards every route (``api.authorizer_scope: all``, the
default) or only ``/v1`` (``v1``), Cognito the rest. See docs/auth.md.

Error responses produced by API Gateway itself use the app's JSON error shape
``{code, message, retryable}`` and carry CORS headers so browsers can read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.parameters import Parameters

Target = Literal["api", "chat"]
AuthKind = Literal["cognito", "v1", "none"]


@dataclass(frozen=True)
class Route:
    path: str
    methods: tuple[str, ...]
    target: Target
    auth: AuthKind = "cognito"

    @property
    def stream(self) -> bool:
        return self.target == "chat"


ROUTES: tuple[Route, ...] = (
    Route("/health", ("GET",), "api", auth="none"),
    # a share link: its unguessable id is the credential (no sign-in by design)
    Route("/shared/{shareId}", ("GET",), "api", auth="none"),
    # "continue this conversation": a copy into the caller's own account (signed in, like any route)
    Route("/shared/{shareId}/copy", ("POST",), "api"),
    Route("/conversations", ("ANY",), "api"),
    Route("/conversations/{id}", ("ANY",), "api"),
    Route("/conversations/{id}/messages", ("GET",), "api"),
    Route("/conversations/{id}/messages", ("POST",), "chat"),
    Route("/conversations/{id}/messages/{messageId}/regenerate", ("POST",), "chat"),
    Route("/conversations/{id}/messages/{messageId}/events", ("GET",), "chat"),
    # .../stop and anything added later under a message
    Route("/conversations/{id}/messages/{messageId}/{proxy+}", ("ANY",), "api"),
    # a shared conversation's live channel (Server-Sent Events, held open like a stream)
    Route("/conversations/{id}/live", ("GET",), "chat"),
    # .../export and anything added later under a conversation
    Route("/conversations/{id}/{proxy+}", ("ANY",), "api"),
    Route("/v1/chat/completions", ("POST",), "chat", auth="v1"),
    Route("/v1/{proxy+}", ("ANY",), "api", auth="v1"),
    # /models, /usage, /attachments[/{id}], /api-keys[/{id}] and future top-level routes
    Route("/{proxy+}", ("ANY",), "api"),
)

#: Request headers browsers may send (Idempotency-Key and Last-Event-ID are part of the contract;
#: API keys travel as ``Authorization: Bearer prly_...`` too).
CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"]
#: Response headers a browser script may read: the rate-limit contract (the app's own CORS
#: middleware exposes them on proxied responses; these cover API Gateway's preflights and its own
#: error responses).
EXPOSE_HEADERS = ["Retry-After", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                  "x-ratelimit-reset-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
                  "x-ratelimit-reset-tokens"]
#: API Gateway's own 429s (stage throttling, quotas) say when to retry, as the app's do.
GATEWAY_RETRY_AFTER_S = 1
STREAM_TIMEOUT = Duration.minutes(15)
#: How long API Gateway reuses an authorizer's answer for the same Authorization header (also the
#: longest a deleted API key keeps working).
AUTHORIZER_CACHE_TTL = Duration.minutes(5)
#: What the Authorization header must look like before the authorizer is invoked: JWTs and
#: ``prly_`` API keys are both URL-safe base64 and dots.
BEARER_PATTERN = r"^[Bb]earer [-_.A-Za-z0-9]+$"


def _error_template(code: str, retryable: bool) -> str:
    # $context.error.message is API Gateway's own text, already JSON-escaped by the template engine.
    return json.dumps({"code": code, "message": "MESSAGE", "retryable": retryable}).replace(
        '"MESSAGE"', "$context.error.messageString"
    )


GATEWAY_ERRORS: dict[str, tuple[str, str, bool]] = {
    # response type: (status, code, retryable)
    "UNAUTHORIZED": ("401", "unauthorized", False),
    "ACCESS_DENIED": ("401", "unauthorized", False),
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", False),  # an unknown route
    "THROTTLED": ("429", "rate_limited", True),
    "QUOTA_EXCEEDED": ("429", "rate_limited", True),
    "REQUEST_TOO_LARGE": ("413", "too_large", False),
    "DEFAULT_4XX": ("400", "bad_request", False),
    "DEFAULT_5XX": ("503", "unavailable", True),
    "INTEGRATION_TIMEOUT": ("504", "timeout", True),
}


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        params: Parameters,
        functions: dict[str, lambda_.IFunction],
        user_pool: cognito.IUserPool,
        web_origins: list[str],
        lambda_authorizer: lambda_.IFunction | None,
    ) -> None:
        super().__init__(scope, construct_id)
        api_params = params.api
        self._stage_name = api_params.stage_name
        self.access_logs = logs.LogGroup(self, "AccessLogs")
        self.access_logs.node.default_child.add_property_override(  # type: ignore[union-attr]
            "RetentionInDays", params.observability.log_retention_days
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{params.stack_name}-api",
            description="Parley public API",
            endpoint_configuration=apigw.EndpointConfiguration(types=[apigw.EndpointType.REGIONAL]),
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=api_params.stage_name,
                throttling_rate_limit=api_params.throttle_rate_per_s,
                throttling_burst_limit=api_params.throttle_burst,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True,
                ),
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Never log request or response bodies: they hold message contents.
                data_trace_enabled=False,
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=web_origins,
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=EXPOSE_HEADERS,
                max_age=Duration.hours(1),
            ),
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level API Gateway logging role uses AWS's own policy for exactly that purpose.",
        )
        self.validator = self.rest_api.add_request_validator(
            # No request models are declared (FastAPI validates bodies), so body validation
            # checks nothing extra; both flags are what cdk-nag APIG2 looks for.
            "Validator", validate_request_parameters=True, validate_request_body=True
        )
        # Created on first use: an authorizer attached to no method fails the synth.
        self._user_pool = user_pool
        self._lambda_authorizer_fn = lambda_authorizer
        self._scope = api_params.authorizer_scope
        self._authorizers: dict[str, apigw.IAuthorizer] = {}

        integrations = {
            "api": apigw.LambdaIntegration(functions["api"], allow_test_invoke=False),
            "chat": apigw.LambdaIntegration(
                functions["chat"],
                allow_test_invoke=False,
                response_transfer_mode=apigw.ResponseTransferMode.STREAM,
                timeout=STREAM_TIMEOUT,
            ),
        }
        for route in ROUTES:
            resource = self.rest_api.root.resource_for_path(route.path)
            for method in route.methods:
                self._add_method(resource, method, route, integrations[route.target])

        # A gateway response carries one static origin: the primary one (the custom domain when set).
        origin = web_origins[0] if web_origins else "*"
        for response_type, (status, code, retryable) in GATEWAY_ERRORS.items():
            headers = {
                "Access-Control-Allow-Origin": f"'{origin}'",
                "Access-Control-Allow-Headers": f"'{','.join(CORS_HEADERS)}'",
                "Access-Control-Expose-Headers": f"'{','.join(EXPOSE_HEADERS)}'",
            }
            if status == "429":
                headers["Retry-After"] = f"'{GATEWAY_RETRY_AFTER_S}'"
            self.rest_api.add_gateway_response(
                f"Gateway{response_type.title().replace('_', '')}",
                type=apigw.ResponseType.of(response_type),
                status_code=status,
                response_headers=headers,
                templates={"application/json": _error_template(code, retryable)},
            )

        self.web_acl: wafv2.CfnWebACL | None = None
        if api_params.waf:
            self.web_acl = _web_acl(self, api_params.waf_rate_limit)
            wafv2.CfnWebACLAssociation(
                self, "WafAssociation",
                resource_arn=self.rest_api.deployment_stage.stage_arn,
                web_acl_arn=self.web_acl.attr_arn,
            )
        else:
            acknowledge(self.rest_api, "AwsSolutions-APIG3",
                        "WAF disabled by the api.waf parameter for this deployment.")

        self.custom_domain: apigw.DomainName | None = None
        self._api_domain = params.domain.api_domain
        if params.domain.api_domain and params.domain.api_certificate_arn:
            self.custom_domain = self.rest_api.add_domain_name(
                "Domain",
                domain_name=params.domain.api_domain,
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate",
                                                                 params.domain.api_certificate_arn),
                endpoint_type=apigw.EndpointType.REGIONAL,
                security_policy=apigw.SecurityPolicy.TLS_1_2,
            )

    def _add_method(self, resource: apigw.IResource, method: str, route: Route,
                    integration: apigw.Integration) -> None:
        if route.auth == "none":
            m = resource.add_method(method, integration, authorization_type=apigw.AuthorizationType.NONE)
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(m, rule, "Public by design: GET /health (load balancers and the web client probe it) and "
                                     "GET /shared/{shareId} (a share link; the 192-bit id is the credential).")
            return
        authorizer = self._authorizer_for(route)
        m = resource.add_method(
            method, integration, authorizer=authorizer,
            authorization_type=authorizer.authorization_type,
            request_validator=self.validator,
        )
        if authorizer.authorization_type != apigw.AuthorizationType.COGNITO:
            acknowledge(m, "AwsSolutions-COG4",
                        "The Lambda authorizer verifies the same Cognito tokens (JWKS, issuer, client, expiry) "
                        "and also accepts Parley API keys; one method takes one authorizer.")

    def _authorizer_for(self, route: Route) -> apigw.IAuthorizer:
        """The Lambda authorizer where it exists and the route is in its scope, else Cognito's."""
        if self._lambda_authorizer_fn is not None and (self._scope == "all" or route.auth == "v1"):
            if "lambda" not in self._authorizers:
                # TOKEN: the cache key is the whole Authorization header, and a header that is not
                # "Bearer <token>" is refused (401) without invoking the function (docs/auth.md).
                self._authorizers["lambda"] = apigw.TokenAuthorizer(
                    self,
                    "LambdaAuthorizer",
                    handler=self._lambda_authorizer_fn,
                    identity_source=apigw.IdentitySource.header("Authorization"),
                    validation_regex=BEARER_PATTERN,
                    results_cache_ttl=AUTHORIZER_CACHE_TTL,
                )
            return self._authorizers["lambda"]
        if "cognito" not in self._authorizers:
            self._authorizers["cognito"] = apigw.CognitoUserPoolsAuthorizer(
                self, "Cognito", cognito_user_pools=[self._user_pool], results_cache_ttl=AUTHORIZER_CACHE_TTL
            )
        return self._authorizers["cognito"]

    @property
    def origin(self) -> str:
        """Scheme and host of the API (what a browser's CORS and CSP checks compare)."""
        if self.custom_domain is not None:
            # The name itself rather than the DomainName resource's Ref (the same string), so the
            # template and config.json read plainly.
            return f"https://{self._api_domain}"
        return f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"

    @property
    def url(self) -> str:
        """The API's base URL without a trailing slash (custom domain when configured).

        Built from the API id rather than the stage, so resources the stage depends on (CORS
        settings, the web distribution's headers) can use it without a dependency cycle.
        """
        if self.custom_domain is not None:
            return self.origin
        return f"{self.origin}/{self._stage_name}"


def _managed_rule(name: str, priority: int, excluded_to_count: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in excluded_to_count
                ] or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _web_acl(scope: Construct, rate_limit: int) -> wafv2.CfnWebACL:
    return wafv2.CfnWebACL(
        scope,
        "Waf",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility("parley-api"),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name="rate-per-ip",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=rate_limit, aggregate_key_type="IP"
                    )
                ),
                visibility_config=_visibility("rate-per-ip"),
            ),
            _managed_rule("AWSManagedRulesAmazonIpReputationList", 1),
            # Chat messages are long (up to 100k characters): the common rule set's 8 KB body limit
            # would block them, so that one rule only counts.
            _managed_rule("AWSManagedRulesCommonRuleSet", 2, excluded_to_count=("SizeRestrictions_BODY",)),
            _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 3),
        ],
    )
