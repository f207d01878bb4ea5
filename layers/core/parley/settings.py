"""Settings, built once at start-up from the environment (never at import time)."""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

Mode = Literal["local", "aws"]
SafetyPolicy = Literal["block", "flag"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

#: Only valid in local mode: aws mode refuses to start with it.
DEV_JWT_SECRET = "parley-local-dev-secret-do-not-use-in-aws"


class SettingsError(ValueError):
    """Settings that cannot run (raised at start-up, before serving anything)."""


class Settings(BaseSettings):
    """Everything configurable, with the embedded defaults of local mode.

    ``Settings(...)`` takes exactly what it is given (tests); :meth:`from_env` is the one place that
    reads ``PARLEY_<FIELD>`` variables, once, at start-up.
    """

    model_config = SettingsConfigDict(frozen=True, env_prefix="PARLEY_", extra="ignore")

    mode: Mode = "local"
    region: str = "us-east-1"
    #: Signs and verifies local-mode tokens; unset means the dev default, which only local mode accepts.
    jwt_secret: str | None = None
    jwt_ttl_s: int = 12 * 3600
    #: Table and bucket names come from the CDK app in aws mode.
    table_conversations: str = "parley-conversations"
    table_usage: str = "parley-usage"
    table_cache: str = "parley-cache"
    table_idempotency: str = "parley-idempotency"
    table_attachments: str = "parley-attachments"
    table_api_keys: str = "parley-api-keys"
    #: Custom instructions and memories, one partition per user.
    table_profiles: str = "parley-profiles"
    bucket_data: str = "parley-data"
    #: Endpoint overrides. Unset in local mode: the local servers the app starts (DynamoDB Local
    #: and an S3 server on loopback ports), which keep their data under ``data_dir``.
    dynamodb_endpoint: str | None = None
    s3_endpoint: str | None = None
    #: Where outside clients reach S3 with presigned uploads. Unset: AWS's regional endpoint in aws
    #: mode; in local mode, the local S3 server.
    s3_presign_endpoint: str | None = None
    #: Local mode: where the local servers keep their data (relative to the working directory).
    data_dir: str = ".parley"
    #: Local mode: a directory with DynamoDBLocal.jar (unset: the one `make install` puts in layers/local).
    dynamodb_local_dir: str | None = None
    #: Trust the `x-amzn-request-context` header; only the chat function sets this, where uvicorn
    #: listens on loopback inside the Lambda sandbox and the Web Adapter is its only client.
    trust_lwa_context_header: bool = False
    #: The Cognito user pool and app client whose tokens the API Gateway authorizer accepts
    #: (aws mode; the CDK app sets them on the authorizer function).
    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None
    #: AppSync Events' HTTP domain (aws mode, set by the CDK app): the live channel is published
    #: there for members' browsers (sharing/aws_live.py). Unset: live events stay in-process.
    live_events_http_domain: str | None = None
    #: AppSync Events' realtime (WebSocket) domain (aws mode, set by the CDK app): where browsers
    #: subscribe, as ``GET /conversations/{id}/live/channel`` reports it. Local mode serves the same
    #: protocol itself at ``/event/realtime``.
    live_events_realtime_domain: str | None = None
    #: How often the local realtime server sends its keep-alive (``ka``), and the timeout it announces.
    live_keepalive_s: float = 60.0
    #: How many API keys one user may hold at once.
    api_keys_per_user: int = 20
    #: Message content above this many UTF-8 bytes is stored in S3 with a pointer in the item.
    content_inline_max_bytes: int = 32_000
    max_message_chars: int = 100_000
    default_model: str = "auto"
    default_system_prompt: str = "You are Parley, a helpful, accurate and concise assistant."
    #: How often a generating process checkpoints the answer and looks for a stop request.
    checkpoint_interval_s: float = 2.0
    ping_interval_s: float = 15.0
    #: How often a page viewing a shared conversation renews its presence; a viewer not renewed
    #: within 2.5 times this stops counting (docs/sharing.md, "Presence"; its price: docs/scaling.md).
    presence_heartbeat_s: int = 30
    #: How often a resumed stream served by another process re-reads the checkpoint.
    resume_poll_s: float = 1.0
    #: A "generating" answer whose process has not checkpointed for this long died with its process
    #: (kill -9, a crash): it reads as interrupted and can be regenerated.
    generation_stale_after_s: float = Field(default=30.0, gt=0)
    #: On shutdown, how long live answers get to finish saving (then they are cut and saved as they are).
    shutdown_grace_s: float = Field(default=5.0, ge=0)
    #: Which backend serves every catalog model: None keeps the catalog's (the simulator) in local
    #: mode and means SageMaker in aws mode; "openai" points at an OpenAI-compatible server.
    model_backend: Literal["simulator", "sagemaker", "openai"] | None = None
    sagemaker_endpoint_url: str | None = None
    openai_base_url: str | None = None
    #: A secret: never logged.
    openai_api_key: str | None = None
    #: Secrets Manager secret (name or ARN) holding the key, read once when the backend is first
    #: built (AWS mode: the key never sits in the function's configuration).
    openai_api_key_secret: str | None = None
    sim_ttft_ms: int = 150
    sim_tokens_per_s: float = 60.0
    sim_fail_after: int | None = None
    #: Length of simulated answers, in tokens (drawn per answer between the two, deterministically).
    sim_reply_tokens_min: int = 40
    sim_reply_tokens_max: int = 80
    limit_free_per_hour: int = 10
    limit_plus_per_hour: int = 100
    limit_free_tokens_per_day: int = 200_000
    limit_plus_tokens_per_day: int = 2_000_000
    cache_enabled: bool = True
    cache_ttl_s: int = 24 * 3600
    idempotency_ttl_s: int = 24 * 3600
    #: Summarize a branch once its unsummarized history passes this share of the model's input budget.
    summary_trigger_fraction: float = 0.5
    summary_keep_recent: int = 6
    generate_titles: bool = True
    #: Step Functions state machines (aws mode; the CDK app sets them).
    summarize_state_machine_arn: str | None = None
    title_state_machine_arn: str | None = None
    #: Attachments. Limits left None keep parley.attachments.limits.Limits' defaults.
    attachment_allowed_kinds: tuple[str, ...] = Field(default_factory=tuple)  # empty: every kind
    attachment_max_document_bytes: int | None = None
    attachment_max_image_bytes: int | None = None
    attachment_max_text_bytes: int | None = None
    attachment_max_pages: int | None = None
    attachment_max_attachments_per_message: int | None = None
    attachment_time_budget_s: float | None = None
    attachment_upload_expires_s: int = Field(default=900, ge=1, le=900)
    attachment_unused_ttl_s: int = Field(default=2 * 24 * 3600, ge=60)
    attachment_chunk_tokens: int = Field(default=400, ge=16)
    attachment_chunk_overlap: int = Field(default=50, ge=0)
    #: Process uploads when first read (None: only in local mode, where no S3 event comes).
    attachment_process_inline: bool | None = None
    #: None: "forkserver" in local mode, "fork" in the Lambda handler.
    attachment_isolation: Literal["fork", "forkserver", "none"] | None = None
    #: Share of the model's input budget that attached documents may take.
    attachment_context_share: float = Field(default=0.5, gt=0, le=0.9)
    #: Hot and cold storage: conversations idle this long move to S3 (one compressed object each).
    coldstore_idle_days: float = 30
    coldstore_prefix: str = "cold/"
    coldstore_sse: Literal["AES256", "aws:kms"] = "AES256"
    coldstore_kms_key_id: str | None = None
    coldstore_max_conversations_per_run: int = 1000
    #: Where per-user search indexes live (one directory each). Unset: a fresh temporary directory per
    #: app (tests); `parley dev` should point it under its data directory so that it persists.
    search_index_dir: str | None = None
    #: Bring the user's index up to date from the table before each search (None: in aws mode, where
    #: other Lambda containers write; locally every write is indexed as it happens).
    search_catch_up: bool | None = None
    #: Token budgets in every turn's system context: custom instructions, and the memories chosen for it.
    instructions_token_budget: int = Field(default=800, ge=0)
    memory_token_budget: int = Field(default=400, ge=0)
    #: Tokens for older messages recalled into a long conversation's context, beyond its summary.
    recall_token_budget: int = Field(default=1500, ge=0)
    safety_policy: SafetyPolicy = "block"
    #: Output moderation per category, e.g. "malware=block,hate=flag" (defaults in parley.safety.output).
    safety_output_actions: str = ""
    #: Characters per output moderation window (README: at most one window reaches a client unchecked).
    safety_output_check_every: int = 256
    #: Repeat offenders: "blocks:limit" tiers, e.g. 3 blocked messages in an hour -> 2 messages an hour.
    safety_offender_tiers: str = "3:2,10:0"
    safety_offender_penalty_s: int = 3600
    #: The app's log level (case does not matter); on AWS the CDK app passes it as POWERTOOLS_LOG_LEVEL.
    log_level: Annotated[LogLevel, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)] = "INFO"
    #: aws mode: X-Ray segments for the Lambda handlers and subsegments for their AWS calls (the CDK
    #: app turns the functions' tracing on). False spares each cold start the X-Ray SDK (~0.1 s).
    tracing: bool = True
    web_dist: str | None = None
    cors_origins: tuple[str, ...] = Field(default_factory=tuple)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword construction never picks up the environment (a test's Settings(...) means what it
        # says, whatever the shell exported); from_env reads it explicitly.
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``PARLEY_*`` variables; unset ones keep their defaults.

        Raises :class:`SettingsError` naming each bad variable (never echoing its value: some are secrets).
        """
        values = _ParleyEnvSource(cls, os.environ if environ is None else environ)()
        try:
            settings = cls(**values)
        except ValidationError as exc:
            problems = "; ".join(f"PARLEY_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                                 for e in exc.errors(include_input=False))
            raise SettingsError(f"invalid settings in the environment: {problems}") from None
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse settings that would be unsafe to serve with."""
        if self.mode == "aws" and self.jwt_secret == DEV_JWT_SECRET:
            raise SettingsError("aws mode refuses the development JWT secret; set PARLEY_JWT_SECRET or unset it")

    @property
    def local_jwt_secret(self) -> str:
        """The HS256 secret for local tokens (the dev default exists only in local mode)."""
        if self.jwt_secret:
            return self.jwt_secret
        if self.mode != "local":
            raise SettingsError("local JWTs are only available in local mode")
        return DEV_JWT_SECRET

    def limit_per_hour(self, tier: str) -> int:
        return self.limit_plus_per_hour if tier == "plus" else self.limit_free_per_hour

    def tokens_per_day(self, tier: str) -> int:
        return self.limit_plus_tokens_per_day if tier == "plus" else self.limit_free_tokens_per_day


class _ParleyEnvSource(EnvSettingsSource):
    """``PARLEY_*`` from a given mapping, with the two conventions the CDK app writes (see
    ``infra_cdk.functions.settings_environment``): lists comma-separated, and an empty value
    meaning None for a field that may be None."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        # Names matched case-insensitively, as the base source does with os.environ.
        self.env_vars = {name.lower(): value for name, value in environ.items()}

    def prepare_field_value(self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool) -> Any:
        if isinstance(value, str):
            if value == "" and _may_be_none(field.annotation):
                return None
            if get_origin(field.annotation) is tuple:
                return tuple(v.strip() for v in value.split(",") if v.strip())
        return super().prepare_field_value(field_name, field, value, value_is_complex)


def _may_be_none(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)
