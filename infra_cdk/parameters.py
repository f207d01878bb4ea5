"""Deployment parameters: ``infra_cdk/parameters.json`` (or the file named by context
``parley:parameters``), overridden key by key with CDK context ``parley.<dotted.path>=value``.

Pure Python (pydantic only): the layer build script reads the same parameters without loading CDK.
Every field is documented here and in ``docs/deploy.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from parley.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = Path(__file__).resolve().parent / "parameters.json"
#: Context key naming another parameters file (relative to the repository root or absolute).
FILE_CONTEXT_KEY = "parley:parameters"
#: Context keys with this prefix override single parameters: ``-c parley.inference.mode=openai``.
OVERRIDE_PREFIX = "parley."

InferenceMode = Literal["sagemaker", "openai", "simulator"]
Architecture = Literal["arm64", "x86_64"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EndpointOverride(_Strict):
    """Per-model SageMaker settings (keys of ``inference.models`` are catalog model ids)."""

    enabled: bool = True
    instance_type: str | None = None
    min_instances: int | None = Field(default=None, ge=1)
    max_instances: int | None = Field(default=None, ge=1)
    #: Target for ``SageMakerVariantConcurrentRequestsPerModelHighResolution`` (in-flight requests per copy).
    target_concurrent_requests: float | None = Field(default=None, gt=0)
    #: Weights staged in S3 (``s3://bucket/prefix/``) instead of the Hugging Face Hub: needed for gated
    #: models (no token in the template) and faster at scale-out.
    model_s3_uri: str | None = None

    @field_validator("model_s3_uri")
    @classmethod
    def _s3(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("s3://"):
            raise ValueError("model_s3_uri must start with s3://")
        return v


class Inference(_Strict):
    #: ``sagemaker``: one LMI (vLLM) endpoint per catalog model with a serving config;
    #: ``openai``: no GPU resources, the functions call ``openai_base_url``;
    #: ``simulator``: no model at all (smoke deployments; answers are labelled simulated).
    mode: InferenceMode = "simulator"
    openai_base_url: str | None = None
    #: Secrets Manager secret (name or ARN) whose string is the OpenAI-compatible server's API key.
    openai_api_key_secret: str | None = None
    min_instances: int = Field(default=1, ge=1)
    max_instances: int = Field(default=4, ge=1)
    target_concurrent_requests: float = Field(default=16, gt=0)
    scale_in_cooldown_s: int = 600
    scale_out_cooldown_s: int = 60
    #: LMI image tag (djl-inference repository); None: ``model_endpoints.serving.LMI_TAG``.
    lmi_image_tag: str | None = None
    #: Seconds SageMaker waits for the container to load the model (large models take minutes).
    startup_health_check_timeout_s: int = 1800
    models: dict[str, EndpointOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Inference:
        if self.mode == "openai" and not self.openai_base_url:
            raise ValueError("inference.mode 'openai' needs inference.openai_base_url")
        if self.min_instances > self.max_instances:
            raise ValueError("inference.min_instances must be <= inference.max_instances")
        return self


class Domain(_Strict):
    """Optional custom domains. DNS records are left to you (docs/deploy.md), except the API's
    latency records with several ``regions`` (then in ``hosted_zone_id``)."""

    web_domain: str | None = None
    #: ACM certificate in us-east-1 (CloudFront's requirement) covering ``web_domain``.
    web_certificate_arn: str | None = None
    api_domain: str | None = None
    #: ACM certificate in the stack's region covering ``api_domain``.
    api_certificate_arn: str | None = None
    #: With several ``regions``: ``{region: ACM certificate ARN in that region}`` for the other regions.
    api_certificate_arns: dict[str, str] = Field(default_factory=dict)
    #: Route 53 public hosted zone holding ``api_domain`` (needed with several ``regions``).
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None

    @model_validator(mode="after")
    def _pairs(self) -> Domain:
        if bool(self.web_domain) != bool(self.web_certificate_arn):
            raise ValueError("domain.web_domain and domain.web_certificate_arn go together")
        if bool(self.api_domain) != bool(self.api_certificate_arn):
            raise ValueError("domain.api_domain and domain.api_certificate_arn go together")
        return self


class Auth(_Strict):
    #: Hosted UI prefix (``<prefix>.auth.<region>.amazoncognito.com``); unique per region.
    #: Default: ``parley-<account id>``.
    domain_prefix: str | None = None
    #: Extra OAuth callback/logout URLs (e.g. ``http://localhost:5173/`` for a dev web client).
    extra_callback_urls: list[str] = Field(default_factory=list)
    #: Cognito feature plan: ``lite`` (cheapest per monthly active user; hosted UI, groups, OAuth and
    #: TOTP MFA are all Parley needs), ``essentials`` (managed login) or ``plus``.
    feature_plan: Literal["lite", "essentials", "plus"] = "essentials"
    #: Cognito threat protection (needs the Plus feature plan).
    threat_protection: bool = False

    @model_validator(mode="after")
    def _plan(self) -> Auth:
        if self.threat_protection and self.feature_plan != "plus":
            raise ValueError("auth.threat_protection needs auth.feature_plan 'plus'")
        return self


class Api(_Strict):
    #: Where the Lambda authorizer (when ``functions/authorizer`` exists) replaces Cognito's:
    #: ``all`` routes (API keys work everywhere) or only ``v1`` (the OpenAI-compatible API).
    authorizer_scope: Literal["all", "v1"] = "all"
    throttle_rate_per_s: float = 1000
    throttle_burst: int = 2000
    stage_name: str = "prod"
    #: A regional WAFv2 web ACL with AWS managed rules and a per-IP rate limit in front of the API.
    waf: bool = True
    #: Requests per 5 minutes per IP before the WAF blocks.
    waf_rate_limit: int = 3000


class Web(_Strict):
    #: An existing CLOUDFRONT-scope WAFv2 web ACL ARN (must live in us-east-1).
    web_acl_arn: str | None = None
    #: Restrict viewers to these ISO country codes (empty: no restriction).
    allowed_countries: list[str] = Field(default_factory=list)


class Data(_Strict):
    #: Objects under ``cold/`` move to ``cold_storage_class`` after this many days.
    cold_transition_days: int = Field(default=30, ge=1)
    cold_storage_class: Literal["GLACIER_INSTANT_RETRIEVAL", "INTELLIGENT_TIERING", "INFREQUENT_ACCESS"] = (
        "GLACIER_INSTANT_RETRIEVAL"
    )
    #: Uploads under ``uploads/`` never attached to a message are deleted after this many days.
    uploads_expire_days: int = Field(default=2, ge=1)
    abort_multipart_days: int = Field(default=1, ge=1)
    #: The data bucket is versioned: an overwritten or deleted object stays recoverable this long.
    noncurrent_expire_days: int = Field(default=30, ge=1)
    access_logs_expire_days: int = Field(default=90, ge=1)


class Functions(_Strict):
    api_memory_mb: int = 1024
    chat_memory_mb: int = 1024
    workflow_memory_mb: int = 512
    #: Reserved concurrency for the streaming function (None: unreserved, the account pool).
    chat_reserved_concurrency: int | None = None
    #: Reserved concurrency of the cold-storage job: 1 keeps runs from overlapping. None on an
    #: account whose concurrency quota is still the new-account 10 (nothing can be reserved there;
    #: overlapping runs stay correct, their conditional writes just collide).
    coldstore_reserved_concurrency: int | None = Field(default=1, ge=1)


#: The values CloudWatch Logs accepts for a retention period.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)


class Observability(_Strict):
    #: Set this first: every alarm notifies this address (an SNS email subscription to confirm).
    #: Without it the alarms go to a topic nobody reads (synth warns).
    alarm_email: str | None = None
    log_retention_days: int = 30
    ttft_p95_ms: float = 2000
    error_rate_percent: float = 1.0
    cache_hit_rate_min_percent: float = 30.0
    endpoint_5xx_per_5min: int = 5
    #: Per GPU; the alarm multiplies by the instance's GPU count (GPUUtilization sums them).
    gpu_utilization_percent: float = Field(default=90.0, gt=0, le=100)
    #: Alarm when in-flight requests per instance stay above this multiple of the scaling target.
    concurrency_over_target: float = Field(default=1.5, gt=1)
    #: The region's Lambda concurrency quota; the alarm fires at 80 % of it.
    lambda_concurrency_quota: int = Field(default=1000, ge=10)

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days must be one of {LOG_RETENTION_DAYS}")
        return v


#: Settings the CDK app sets from what it deploys (names, ARNs, URLs, endpoints): never in ``settings``.
RESERVED_SETTINGS = frozenset({
    "mode", "region", "bucket_data", "trust_lwa_context_header", "cors_origins", "coldstore_prefix",
    "cognito_user_pool_id", "cognito_client_id", "summarize_state_machine_arn", "title_state_machine_arn",
    "live_events_http_domain", "live_events_realtime_domain",
    "model_backend", "openai_base_url", "openai_api_key", "openai_api_key_secret",
    # Local mode's emulators and the dev server's static files: nothing to point at in AWS.
    "dynamodb_endpoint", "s3_endpoint", "s3_presign_endpoint", "sagemaker_endpoint_url", "web_dist",
})
#: Settings that cannot work in a deployment, with the reason.
REFUSED_SETTINGS = {
    "jwt_secret": "aws mode verifies Cognito tokens and API keys in the authorizer; local JWTs are refused there",
    "attachment_process_inline": "in AWS the S3 upload event runs the attachments function (which has the "
                                 "document libraries); the API function cannot process uploads",
}


class Parameters(_Strict):
    stack_name: str = "Parley"
    #: The (primary) region: web client, Cognito and the tables' home.
    region: str = "us-east-1"
    #: Several regions (the first is ``region``): one stack per region, the tables as global tables
    #: with a replica in each, the API behind Route 53 latency records with health checks on
    #: ``domain.api_domain``. Empty: ``region`` only. See docs/scaling.md for what fails over.
    regions: list[str] = Field(default_factory=list)
    #: Target account; None means the CLI's current credentials (CDK_DEFAULT_ACCOUNT).
    account: str | None = None
    architecture: Architecture = "arm64"
    #: Lambda runtime; the dependency layer is built for the same version.
    python_version: Literal["3.12", "3.13", "3.14"] = "3.12"
    inference: Inference = Field(default_factory=Inference)
    domain: Domain = Field(default_factory=Domain)
    auth: Auth = Field(default_factory=Auth)
    api: Api = Field(default_factory=Api)
    web: Web = Field(default_factory=Web)
    data: Data = Field(default_factory=Data)
    functions: Functions = Field(default_factory=Functions)
    observability: Observability = Field(default_factory=Observability)
    #: Any ``parley.settings.Settings`` field, passed to every function as ``PARLEY_<FIELD>``
    #: (tier limits live here: ``limit_free_per_hour``, ``limit_plus_tokens_per_day``, ...).
    settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _regions(self) -> Parameters:
        if not self.regions:
            return self
        if self.regions[0] != self.region or len(set(self.regions)) != len(self.regions) or len(self.regions) < 2:
            raise ValueError("regions: two or more distinct regions, the first being `region`")
        domain = self.domain
        if not (domain.api_domain and domain.api_certificate_arn and domain.hosted_zone_id and domain.hosted_zone_name):
            raise ValueError("regions: needs domain.api_domain, api_certificate_arn, hosted_zone_id and "
                             "hosted_zone_name (every region answers on the one API domain)")
        if self.api.authorizer_scope != "all":
            raise ValueError("regions: needs api.authorizer_scope 'all' (the Lambda authorizer verifies the primary "
                             "region's Cognito tokens in every region)")
        missing = [r for r in self.regions[1:] if r not in domain.api_certificate_arns]
        if missing:
            raise ValueError(f"regions: domain.api_certificate_arns needs a certificate for {missing}")
        return self

    def for_region(self, region: str) -> Parameters:
        """These parameters as the stack in ``region`` sees them (its region, its API certificate)."""
        if region == self.region:
            return self
        domain = self.domain.model_copy(update={"api_certificate_arn": self.domain.api_certificate_arns[region]})
        return self.model_copy(update={"region": region, "domain": domain})

    @property
    def replica_regions(self) -> list[str]:
        return self.regions[1:]

    @field_validator("settings")
    @classmethod
    def _known_settings(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name, value in v.items():
            if name not in Settings.model_fields:
                raise ValueError(f"settings.{name} is not a parley Settings field")
            if name in RESERVED_SETTINGS or name.startswith("table_"):
                raise ValueError(f"settings.{name} is set by the CDK app itself")
            if name in REFUSED_SETTINGS and value is not None:
                raise ValueError(f"settings.{name}: {REFUSED_SETTINGS[name]}")
        Settings.model_validate(v)  # types and values checked now, not at the first request
        key = v.get("coldstore_kms_key_id")
        if key and str(key).startswith("alias/"):
            raise ValueError("settings.coldstore_kms_key_id: give the key's id or ARN (IAM grants name keys, "
                             "not aliases)")
        if key and v.get("coldstore_sse") != "aws:kms":
            raise ValueError("settings.coldstore_kms_key_id needs settings.coldstore_sse 'aws:kms'")
        return v


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"cannot override {dotted}: {part} is not an object")
    node[leaf] = _parse_context_value(value)


def _parse_context_value(value: Any) -> Any:
    """CLI context values arrive as strings; JSON literals (numbers, true, lists) are decoded."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_parameters(context: Mapping[str, Any] | None = None, path: str | Path | None = None) -> Parameters:
    """The parameters file, then context overrides, validated."""
    context = context or {}
    chosen = path or context.get(FILE_CONTEXT_KEY) or DEFAULT_FILE
    file = Path(chosen)
    if not file.is_absolute():
        file = ROOT / file
    raw: dict[str, Any] = json.loads(file.read_text("utf-8"))
    raw.pop("$comment", None)
    for key, value in sorted(context.items()):
        if key.startswith(OVERRIDE_PREFIX):
            _set_dotted(raw, key[len(OVERRIDE_PREFIX):], value)
    return Parameters.model_validate(raw)
