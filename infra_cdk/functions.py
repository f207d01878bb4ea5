"""The table of Lambda functions and the one construct that builds each of them.

Adding a function is one row in ``function_table`` (and, where it has a trigger, a few lines in
the construct that owns the trigger: ``api.py`` routes, ``workflows.py`` state machines,
``stack.py`` S3 events, table streams and schedules). A row whose entry file does not exist yet is
skipped, with everything that depends on it, so the app deploys whatever is present. What a row may
touch in DynamoDB and S3 is named in ``access.py``.

Every function: arm64 (parameter), the Python runtime of the parameters, its own role (no AWS
managed policies), its own log group with retention, X-Ray tracing, Powertools settings, and the
``PARLEY_*`` settings built once from the parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk import access
from infra_cdk.access import BucketGrant, TableGrant
from infra_cdk.assets import Assets
from infra_cdk.layout import CORE_LAYER, DEPS_LAYER, DOCS_LAYER
from infra_cdk.nag import acknowledge
from infra_cdk.parameters import Parameters

RUNTIMES = {
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
    "3.14": lambda_.Runtime.PYTHON_3_14,
}
LATEST_PYTHON = "3.14"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    #: The entry file, relative to the repository root; its directory is the function's code.
    entry: str
    handler: str
    description: str
    timeout: Duration
    memory_mb: int = 1024
    layers: tuple[str, ...] = (DEPS_LAYER, CORE_LAYER)
    #: DynamoDB actions: one set for every table, or ``{Settings table field: actions}`` for only
    #: those tables (see access.py). Request paths never Scan.
    tables: TableGrant = access.READ_WRITE
    #: S3 object actions per data-bucket key prefix (empty: no bucket access at all).
    bucket: BucketGrant = field(default_factory=dict)
    invoke_models: bool = False
    start_workflows: bool = False
    #: Reserved concurrency (None: the account's unreserved pool).
    reserved_concurrency: int | None = None
    #: Extra PARLEY_* variables (values may be tokens).
    environment: Mapping[str, str] = field(default_factory=dict)
    #: Lambda SnapStart: init runs once per published version and new execution environments resume
    #: from its snapshot; callers invoke the ``live`` alias. The entry must register parley.snapstart's
    #: restore hooks (docs/deploy.md, "SnapStart").
    snap_start: bool = False


def function_table(params: Parameters) -> tuple[FunctionSpec, ...]:
    """Every function Parley has or plans; the streaming ``chat`` function is in ``chat.py``."""
    fn = params.functions
    return (
        FunctionSpec(
            name="api",
            entry="functions/api/handler.py",
            handler="handler.handler",
            description="Parley buffered API routes (FastAPI under Mangum)",
            # API Gateway's buffered integrations give up at 29 s.
            timeout=Duration.seconds(29),
            memory_mb=fn.api_memory_mb,
            bucket=access.api_bucket_grant(),
            start_workflows=True,
            snap_start=True,
        ),
        FunctionSpec(
            name="workflows",
            entry="functions/workflows/handler.py",
            handler="handler.handler",
            description="Parley workflow tasks (summarization, titles), invoked by Step Functions",
            timeout=Duration.minutes(5),
            memory_mb=fn.workflow_memory_mb,
            bucket=access.workflows_bucket_grant(),
            invoke_models=True,
        ),
        FunctionSpec(
            name="attachments",
            entry="functions/attachments/handler.py",
            handler="handler.handler",
            description="Parley attachment processing (S3 uploads/ ObjectCreated)",
            timeout=Duration.minutes(5),
            memory_mb=2048,
            layers=(DEPS_LAYER, DOCS_LAYER, CORE_LAYER),
            tables={"table_attachments": access.READ_WRITE},
            bucket=access.attachments_bucket_grant(),
        ),
        FunctionSpec(
            name="coldstore",
            entry="functions/coldstore/handler.py",
            handler="handler.handler",
            description="Parley daily move of old conversations to cold storage",
            # One run stops a minute before its timeout and the next run resumes where it stopped.
            timeout=Duration.minutes(15),
            memory_mb=1024,
            tables={"table_conversations": access.COLDSTORE_JOB},
            bucket=access.coldstore_bucket_grant(),
            # One sweep at a time: two would race for the same conversations (safely, but for nothing).
            reserved_concurrency=fn.coldstore_reserved_concurrency,
        ),
        FunctionSpec(
            name="authorizer",
            entry="functions/authorizer/handler.py",
            handler="handler.handler",
            description="Parley API Gateway authorizer (Cognito tokens or Parley API keys)",
            timeout=Duration.seconds(10),
            memory_mb=512,
            # Looks a key up by id and records its last use; nothing else, and no bucket.
            tables={"table_api_keys": access.AUTHORIZER_KEYS},
        ),
        FunctionSpec(
            name="live_authorizer",
            entry="functions/live_authorizer/handler.py",
            handler="handler.handler",
            description="Parley AppSync Events authorizer (live channel: owner or current member subscribes)",
            timeout=Duration.seconds(10),
            memory_mb=512,
            # The same token check as the API's authorizer, then the conversation item and the
            # member item by key (consistent GetItem); no write but an API key's last use, no bucket.
            tables={"table_api_keys": access.AUTHORIZER_KEYS, "table_conversations": (access.GET_ITEM,)},
        ),
    )


def runtime_for(params: Parameters) -> lambda_.Runtime:
    return RUNTIMES[params.python_version]


def architecture_for(params: Parameters) -> lambda_.Architecture:
    return lambda_.Architecture.ARM_64 if params.architecture == "arm64" else lambda_.Architecture.X86_64


class Layers(Construct):
    """The shared layers, one LayerVersion each, built from ``layers/build`` (see layer_build.py)."""

    def __init__(self, scope: Construct, construct_id: str, *, params: Parameters, assets: Assets) -> None:
        super().__init__(scope, construct_id)
        descriptions = {
            DEPS_LAYER: "Parley runtime dependencies (pyproject [project.dependencies] minus boto3)",
            DOCS_LAYER: "Parley document libraries (pypdf, python-docx, Pillow)",
            CORE_LAYER: "Parley core library (parley, model_endpoints)",
        }
        self.by_name: dict[str, lambda_.ILayerVersion] = {
            name: lambda_.LayerVersion(
                self,
                name.capitalize(),
                code=assets.layer_code(name),
                compatible_runtimes=[runtime_for(params)],
                compatible_architectures=[architecture_for(params)],
                description=description,
            )
            for name, description in descriptions.items()
        }


class ParleyFunction(Construct):
    """One Lambda function with its role and log group; grants are added by the owning concerns."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        params: Parameters,
        code: lambda_.Code,
        layers: list[lambda_.ILayerVersion],
        environment: Mapping[str, str],
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.log_group = logs.LogGroup(self, "Logs")
        # RetentionDays is an enum of names in Python; the parameter is the number of days.
        self.log_group.node.default_child.add_property_override(  # type: ignore[union-attr]
            "RetentionInDays", params.observability.log_retention_days
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Parley {spec.name} function",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=runtime_for(params),
            architecture=architecture_for(params),
            code=code,
            handler=spec.handler,
            description=spec.description,
            memory_size=spec.memory_mb,
            timeout=spec.timeout,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            layers=layers,
            environment=dict(environment),
            reserved_concurrent_executions=(
                reserved_concurrency if reserved_concurrency is not None else spec.reserved_concurrency
            ),
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.snap_start else None,
            # A version's snapshot is billed while the version exists (Python SnapStart): only the
            # alias's current one is kept.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY)
            if spec.snap_start else None,
        )
        #: What API Gateway and other callers invoke: the ``live`` alias of the newest version where
        #: SnapStart is on (it applies to published versions only), else the function itself.
        self.invoke_target: lambda_.IFunction = self.function
        if spec.snap_start:
            self.alias = lambda_.Alias(self, "Live", alias_name="live", version=self.function.current_version)
            self.invoke_target = self.alias
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "Every deploy publishes a version (current_version) and callers invoke its alias.")
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords (tracing is on) and, for a function fed by a table "
            "stream, dynamodb:ListStreams support no resource-level permissions.",
        )
        if params.python_version != LATEST_PYTHON:
            acknowledge(
                self.function,
                "AwsSolutions-L1",
                f"Runtime pinned to python{params.python_version} by the python_version parameter, which the "
                "dependency layer is built for; raise both together.",
            )


def settings_environment(params: Parameters) -> dict[str, str]:
    """``PARLEY_*`` values of the parameters' ``settings`` (strings, as Settings.from_env reads them)."""
    env: dict[str, str] = {}
    for name, value in params.settings.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | tuple):
            text = ",".join(str(v) for v in value)
        elif value is None:
            text = ""
        else:
            text = str(value)
        env[f"PARLEY_{name.upper()}"] = text
    return env


def base_environment(params: Parameters) -> dict[str, str]:
    """What every function gets before the concerns add their resources' names."""
    log_level = str(params.settings.get("log_level", "INFO")).upper()
    return {
        "PARLEY_MODE": "aws",
        "PARLEY_REGION": Aws.REGION,
        "POWERTOOLS_SERVICE_NAME": "parley",
        "POWERTOOLS_METRICS_NAMESPACE": "Parley",
        "POWERTOOLS_LOG_LEVEL": log_level,
        **settings_environment(params),
    }
