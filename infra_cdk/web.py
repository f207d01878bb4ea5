"""The web client: a private S3 bucket behind CloudFront (origin access control), security headers,
SPA fallback, and a runtime ``/config.json`` telling the client where the API and Cognito are.

``web/dist`` is deployed when it has been built (``make web``); the configuration file is deployed
either way. CloudFront caches only ``/assets/*`` (Vite's content-hashed file names, so a new build
never collides with a cached one); ``/``, ``/index.html`` and ``/config.json`` are always fetched
from the bucket, so a redeploy takes effect at once.

config.json (what the web client fetches at start-up)::

    {"mode": "aws", "apiBaseUrl": "https://.../prod", "region": "us-east-1",
     "auth": {"userPoolId": "...", "clientId": "...", "domain": "https://<prefix>.auth.<region>.amazoncognito.com",
              "redirectUri": "https://<web>/", "logoutUri": "https://<web>/",
              "scopes": ["openid", "email", "profile"], "tokenType": "id"},
     "cognito": {"userPoolId": ..., "clientId": ..., "domain": ..., "region": ..., "redirectUri": ...},
     "live": {"realtimeUrl": "wss://<AppSync Events realtime domain>/event/realtime",
              "host": "<AppSync Events HTTP domain>"}}

``cognito`` repeats ``auth`` under the name ``web/src/config.ts`` reads today (``parseConfig``);
the infra tests run that very function on the synthesized file.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra_cdk.data import secure_bucket
from infra_cdk.layout import ROOT
from infra_cdk.nag import acknowledge
from infra_cdk.parameters import Parameters

WEB_DIST = ROOT / "web" / "dist"
CONFIG_FILE = "config.json"
#: Where Vite puts the content-hashed build output (``build.assetsDir``, default ``assets``).
HASHED_ASSETS = "/assets/*"


def content_security_policy(connect_src: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Highlighted code and markdown rendering set inline styles.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *connect_src],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class Web(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, params: Parameters, log_bucket: s3.IBucket,
                 cdn_log_bucket: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        self._params = params
        self.bucket = secure_bucket(
            self,
            "Site",
            server_access_logs_bucket=log_bucket,
            server_access_logs_prefix="web-bucket/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._headers = headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Parley web client security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy([]), override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730), include_subdomains=True, preload=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
                xss_protection=cloudfront.ResponseHeadersXSSProtection(protection=True, mode_block=True, override=True),
            ),
        )
        origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        domain = params.domain
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", domain.web_certificate_arn)
            if domain.web_certificate_arn else None
        )
        web = params.web
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Parley web client",
            default_root_object="index.html",
            # Not cached: /, /index.html (which names the current hashed assets) and /config.json
            # must change with every deployment, with no invalidation to wait for.
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                response_headers_policy=headers,
                compress=True,
            ),
            additional_behaviors={
                HASHED_ASSETS: cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    response_headers_policy=headers,
                    compress=True,
                ),
            },
            # A single-page app: unknown paths render index.html, which routes on the client.
            error_responses=[
                cloudfront.ErrorResponse(http_status=status, response_http_status=200,
                                         response_page_path="/index.html", ttl=Duration.seconds(0))
                for status in (403, 404)
            ],
            domain_names=[domain.web_domain] if domain.web_domain else None,
            certificate=certificate,
            # Only a custom certificate can pin the TLS version (the default one is fixed at TLSv1).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
            enable_logging=True,
            log_bucket=cdn_log_bucket,
            log_file_prefix="cloudfront/",
            web_acl_id=web.web_acl_arn,
            geo_restriction=(
                cloudfront.GeoRestriction.allowlist(*web.allowed_countries) if web.allowed_countries else None
            ),
        )
        if not web.web_acl_arn:
            acknowledge(self.distribution, "AwsSolutions-CFR2",
                        "A CLOUDFRONT-scope web ACL must live in us-east-1; pass one as web.web_acl_arn. The site "
                        "is static files; the API behind it has its own regional WAF.")
        if not web.allowed_countries:
            acknowledge(self.distribution, "AwsSolutions-CFR1",
                        "A public product served worldwide; restrict with the web.allowed_countries parameter.")
        if not domain.web_domain:
            acknowledge(self.distribution, "AwsSolutions-CFR4",
                        "The default *.cloudfront.net certificate cannot pin a minimum TLS version; with "
                        "domain.web_domain the distribution enforces TLSv1.2_2021.")

    @property
    def cloudfront_origin(self) -> str:
        """The distribution's own ``https://<id>.cloudfront.net`` (always reachable)."""
        return f"https://{self.distribution.distribution_domain_name}"

    @property
    def origin(self) -> str:
        """Where users are sent: the custom domain when configured, else the CloudFront URL."""
        if self._params.domain.web_domain:
            return f"https://{self._params.domain.web_domain}"
        return self.cloudfront_origin

    @property
    def origins(self) -> list[str]:
        """Every origin the client is served from (CORS, Cognito callbacks): the primary one first."""
        return list(dict.fromkeys([self.origin, self.cloudfront_origin]))

    def allow_connect(self, *sources: str) -> None:
        """Let the page's scripts call these origins (API, Cognito, S3 uploads).

        Set after construction because the API is built after the distribution (its CORS needs
        the distribution's origin); the URL is built from the API id, so there is no cycle.
        """
        self._headers.node.default_child.add_property_override(  # type: ignore[union-attr]
            "ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy",
            content_security_policy(list(sources)),
        )

    def deploy(self, config: dict[str, Any], log_retention_days: int) -> s3deploy.BucketDeployment:
        """Upload web/dist when it exists, and config.json always (one deployment, so neither prunes
        the other)."""
        sources = [s3deploy.Source.json_data(CONFIG_FILE, config)]
        if (WEB_DIST / "index.html").is_file():
            sources.insert(0, s3deploy.Source.asset(str(WEB_DIST)))
        log_group = logs.LogGroup(self, "DeployLogs")
        log_group.node.default_child.add_property_override(  # type: ignore[union-attr]
            "RetentionInDays", log_retention_days
        )
        deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            log_group=log_group,
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/index.html", f"/{CONFIG_FILE}"],
            memory_limit=512,
        )
        return deployment


def web_config(*, api_url: str, user_pool_id: str, client_id: str, auth_domain: str, origin: str,
               scopes: tuple[str, ...], live: dict[str, str] | None = None) -> dict[str, Any]:
    auth = {
        "userPoolId": user_pool_id,
        "clientId": client_id,
        "domain": auth_domain,
        "redirectUri": f"{origin}/",
        "logoutUri": f"{origin}/",
        "scopes": list(scopes),
        # The authorizers check the ID token (its audience is the app client; no OAuth scopes on methods).
        "tokenType": "id",
    }
    config = {
        "mode": "aws",
        "apiBaseUrl": api_url,
        "region": Aws.REGION,
        "auth": auth,
        # What web/src/config.ts reads today (see the module docstring).
        "cognito": {key: auth[key] for key in ("userPoolId", "clientId", "domain", "redirectUri")}
        | {"region": Aws.REGION},
    }
    if live is not None:
        config["live"] = live
    return config
