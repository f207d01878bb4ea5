"""The Parley stack: the concerns wired together.

Order matters only where one concern needs another's names: the web distribution's origin goes
into CORS (API, data bucket) and the Cognito callback URLs; the tables, bucket, endpoints and
state machines go into the functions' environment and least-privilege grants; the API URL and
Cognito settings (and the live channel's endpoint) go into the web client's ``config.json``.

With ``regions`` (parameters), the first region's stack is the primary: it owns the web client,
Cognito and the global tables (with a replica in every other region). Each other region gets a
``ParleyStack`` with ``primary=`` set: its own functions, API, bucket, workflows, endpoints and
alarms, the primary's user pool and web origins, the tables' local replicas. Every region's API
answers on ``domain.api_domain`` through a Route 53 latency record with a health check
(``infra_cdk/regions.py``).
"""

from __future__ import annotations

from aws_cdk import Annotations, ArnFormat, Aws, CfnOutput, DefaultStackSynthesizer, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra_cdk.api import Api
from infra_cdk.assets import Assets
from infra_cdk.chat import Chat
from infra_cdk.data import Data, log_buckets
from infra_cdk.functions import FunctionSpec, Layers, ParleyFunction, base_environment, function_table
from infra_cdk.identity import SCOPES, Identity
from infra_cdk.inference import Inference, partition
from infra_cdk.live import LiveEvents
from infra_cdk.nag import acknowledge
from infra_cdk.observability import Observability
from infra_cdk.parameters import Parameters
from infra_cdk.regions import latency_record
from infra_cdk.triggers import add_triggers
from infra_cdk.web import Web, web_config
from infra_cdk.workflows import Workflows
from parley.catalog import load_catalog

BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"
#: Functions that read or write cold archives (KMS grants when the archives use a customer key).
COLD_ARCHIVE_USERS = ("api", "chat", "coldstore")


class ParleyStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, params: Parameters, assets: Assets,
                 include_planned: bool = False, primary: ParleyStack | None = None, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.params = params
        self.primary = primary
        #: The other regions' stacks (set by the app on the primary).
        self.replicas: list[ParleyStack] = []

        logs_bucket, cdn_logs_bucket = log_buckets(self, params)
        self.web: Web | None = None
        if primary is None:
            self.web = Web(self, "Web", params=params, log_bucket=logs_bucket, cdn_log_bucket=cdn_logs_bucket)
            # The web client calls the API cross-origin (CloudFront URL and custom domain alike).
            origins = self.web.origins
            self.identity = Identity(self, "Identity", params=params, web_origins=origins)
        else:
            # One web client and one user pool, in the primary region (Cognito is regional).
            origins = primary.web_origins
            self.identity = primary.identity
        self.web_origins = origins
        self.data = Data(self, "Data", params=params, web_origins=origins, log_bucket=logs_bucket,
                         primary=primary.data if primary else None)
        self.inference = Inference(self, "Inference", params=params)
        layers = Layers(self, "Layers", params=params, assets=assets)

        environment = {
            **base_environment(params),
            **self.data.environment(),
            **self.inference.environment(),
            "PARLEY_CORS_ORIGINS": ",".join(origins),
        }

        # The table of functions: present ones (or all of them in tests with fake assets).
        self.functions: dict[str, ParleyFunction] = {}
        for spec in function_table(params):
            if not (assets.entry_exists(spec.entry) or (include_planned and assets.fake)):
                continue
            self.functions[spec.name] = ParleyFunction(
                self, f"{spec.name.capitalize()}Fn", spec=spec, params=params, code=assets.function_code(spec.entry),
                layers=[layers.by_name[name] for name in spec.layers], environment=environment,
            )
        self.chat = Chat(self, "Chat", params=params, assets=assets, layers=layers, environment=environment)
        self.functions["chat"] = self.chat.fn

        self.workflows: Workflows | None = None
        if "workflows" in self.functions:
            self.workflows = Workflows(self, "Workflows", params=params,
                                       function=self.functions["workflows"].function)

        for fn in self.functions.values():
            self._grant(fn.spec, fn)

        authorizer = self.functions.get("authorizer")
        for name in ("authorizer", "live_authorizer"):
            if name in self.functions:
                verifier = self.functions[name].function  # both verify Cognito tokens
                verifier.add_environment("PARLEY_COGNITO_USER_POOL_ID", self.identity.user_pool.user_pool_id)
                verifier.add_environment("PARLEY_COGNITO_CLIENT_ID", self.identity.client.user_pool_client_id)

        self.live: LiveEvents | None = None
        if "live_authorizer" in self.functions:
            self.live = LiveEvents(self, "Live", authorizer=self.functions["live_authorizer"].function)
            for publisher in ("api", "chat"):
                if publisher in self.functions:
                    self.live.grant_publish(self.functions[publisher].role)
                    for key, value in self.live.environment().items():
                        self.functions[publisher].function.add_environment(key, value)

        self.api = Api(
            self, "Api", params=params,
            functions={"api": self.functions["api"].invoke_target, "chat": self.chat.function},
            user_pool=self.identity.user_pool, web_origins=origins,
            lambda_authorizer=authorizer.function if authorizer else None,
        )

        self.dead_letter_queues = add_triggers(self, self.data, self.functions, primary=primary is None)
        if params.regions:
            latency_record(self, params, self.api)

        self.observability = Observability(
            self, "Observability", params=params, dashboard_name=f"{self.stack_name}-overview",
            rest_api=self.api.rest_api,
            functions={name: fn.function for name, fn in self.functions.items()},
            model_ids=[m.id for m in load_catalog().models],
            endpoints=self.inference.plans,
            tables={d.settings_field.removeprefix("table_"): self.data.tables[d.settings_field]
                    for d in self.data.definitions},
            state_machines=dict(self.workflows.state_machines) if self.workflows else {},
            dead_letter_queues=self.dead_letter_queues,
        )
        if not params.observability.alarm_email:
            Annotations.of(self).add_warning_v2(
                "parley:alarm-email", "observability.alarm_email is not set: the alarms notify an SNS topic "
                "nobody subscribes to (set it first, see docs/deploy.md)")
        if self.web is not None:
            self._web_client()
        self._acknowledge_cdk_singletons()
        self._outputs()

    def _web_client(self) -> None:
        assert self.web is not None
        auth_domain = self.identity.hosted_ui_url
        self.web.allow_connect(
            self.api.origin,
            auth_domain,
            f"https://cognito-idp.{Aws.REGION}.amazonaws.com",
            # Presigned uploads go straight to the data bucket (both S3 endpoint styles).
            "https://*.s3.amazonaws.com",
            f"https://*.s3.{Aws.REGION}.amazonaws.com",
            # With several regions a browser may upload to any region's data bucket.
            *(f"https://*.s3.{region}.amazonaws.com" for region in self.params.replica_regions),
            # The live channel's WebSocket (AppSync Events' realtime endpoint). By pattern: naming the
            # API's own domain would make the distribution depend on it, and through the functions'
            # bucket access it depends on the distribution.
            *([f"wss://*.appsync-realtime-api.{Aws.REGION}.amazonaws.com"] if self.live is not None else []),
        )
        self.site = self.web.deploy(web_config(
            api_url=self.api.url, user_pool_id=self.identity.user_pool.user_pool_id,
            client_id=self.identity.client.user_pool_client_id, auth_domain=auth_domain,
            origin=self.web.origin, scopes=SCOPES, live=self.live.web_config() if self.live is not None else None,
        ), log_retention_days=self.params.observability.log_retention_days)

    def _grant(self, spec: FunctionSpec, fn: ParleyFunction) -> None:
        self.data.grant_tables(fn.role, spec.tables)
        self.data.grant_bucket(fn.role, spec.bucket)
        key_arn = self._cold_kms_key_arn()
        if key_arn and spec.name in COLD_ARCHIVE_USERS:
            fn.role.add_to_principal_policy(iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key_arn]))
        if spec.invoke_models:
            self.inference.grant_invoke(fn.role)
        if spec.start_workflows and self.workflows is not None:
            self.workflows.grant_start(fn.role)
            for key, value in self.workflows.environment().items():
                fn.function.add_environment(key, value)

    def _cold_kms_key_arn(self) -> str | None:
        """The customer KMS key of the cold archives (settings.coldstore_kms_key_id), as an ARN."""
        key = self.params.settings.get("coldstore_kms_key_id")
        if not key:
            return None
        key = str(key)
        if key.startswith("arn:"):
            return key
        return self.format_arn(service="kms", resource="key", resource_name=key,
                               arn_format=ArnFormat.SLASH_RESOURCE_NAME)

    def _acknowledge_cdk_singletons(self) -> None:
        """Findings on the helper functions CDK itself adds (not code of ours), per helper."""
        basic = {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]":
                "CDK's own helper function (bucket deployment / S3 notifications) uses the basic execution policy.",
            "AwsSolutions-L1": "CDK's own helper function; its runtime is chosen by aws-cdk-lib.",
        }
        helpers: dict[str, dict[str, str]] = {
            "BucketNotificationsHandler": {
                **basic,
                "AwsSolutions-IAM5[Resource::*]": "CDK's S3 notifications helper must call PutBucketNotification "
                                                  "on buckets it is given at deploy time.",
            },
        }
        if self.web is not None:
            deployment_reason = ("CDK's bucket deployment helper copies the site from the CDK asset bucket into the "
                                 "web bucket; its policy is generated by aws-cdk-lib for those two buckets only.")
            web_bucket = self.get_logical_id(self.web.bucket.node.default_child)  # type: ignore[arg-type]
            asset_bucket = f"cdk-{bootstrap_qualifier(self)}-assets-<AWS::AccountId>-{self.region}"
            helpers["Custom::CDKBucketDeployment"] = {
                **basic,
                **{f"AwsSolutions-IAM5[Action::{action}]": deployment_reason
                   for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*")},
                f"AwsSolutions-IAM5[Resource::arn:{partition(self.region)}:s3:::{asset_bucket}/*]":
                    deployment_reason,
                f"AwsSolutions-IAM5[Resource::<{web_bucket}.Arn>/*]": deployment_reason,
                "AwsSolutions-IAM5[Resource::*]": "After copying, the bucket deployment helper invalidates the "
                                                  "distribution's cache: cloudfront:CreateInvalidation and "
                                                  "GetInvalidation, which aws-cdk-lib grants on every resource.",
            }
        for child in self.node.children:
            for prefix, reasons in helpers.items():
                if child.node.id.startswith(prefix):
                    for rule, reason in reasons.items():
                        acknowledge(child, rule, reason)

    def _outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.url, description="API base URL")
        if self.web is not None:
            CfnOutput(self, "WebUrl", value=f"{self.web.origin}/", description="Web client")
            CfnOutput(self, "WebBucket", value=self.web.bucket.bucket_name)
            CfnOutput(self, "UserPoolId", value=self.identity.user_pool.user_pool_id)
            CfnOutput(self, "UserPoolClientId", value=self.identity.client.user_pool_client_id)
            CfnOutput(self, "AuthDomain", value=self.identity.hosted_ui_url)
        CfnOutput(self, "DataBucket", value=self.data.bucket.bucket_name)
        if self.live is not None:
            CfnOutput(self, "LiveEventsRealtimeDomain", value=self.live.api.realtime_dns,
                      description="AppSync Events WebSocket domain of the live channel (browsers subscribe here)")
        CfnOutput(self, "DashboardName", value=f"{self.stack_name}-overview")
        CfnOutput(self, "AlarmTopic", value=self.observability.topic.topic_arn,
                  description="SNS topic of every alarm (observability.alarm_email subscribes to it)")
        for definition in self.data.definitions:
            CfnOutput(self, definition.construct_id, value=self.data.tables[definition.settings_field].table_name)


def bootstrap_qualifier(stack: Stack) -> str:
    """The bootstrap qualifier the stack's assets use (``cdk bootstrap --qualifier`` and the
    ``@aws-cdk/core:bootstrapQualifier`` context, or a synthesizer given one), default ``hnb659fds``."""
    synthesizer = stack.synthesizer
    qualifier = synthesizer.bootstrap_qualifier if isinstance(synthesizer, DefaultStackSynthesizer) else None
    return str(qualifier or stack.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT)
               or DefaultStackSynthesizer.DEFAULT_QUALIFIER)
