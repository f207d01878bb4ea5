"""Inference: SageMaker real-time endpoints (LMI / vLLM) per catalog model, or none.

``inference.mode`` (parameters):

* ``sagemaker``: for each catalog model with a ``serving`` section (and not disabled in
  ``inference.models``), a model, an endpoint configuration and an endpoint named as the catalog's
  ``backend.endpoint``, autoscaled by target tracking on
  ``SageMakerVariantConcurrentRequestsPerModelHighResolution`` (in-flight requests, queued and
  streaming, per model copy; 10-second resolution). Container image and environment come from
  ``model_endpoints.serving`` (shared with the deploy tooling).
* ``openai``: no SageMaker resources; functions get ``PARLEY_OPENAI_BASE_URL``.
* ``simulator``: no model at all (a smoke deployment; answers are labelled simulated).

Functions get ``PARLEY_MODEL_BACKEND`` (``Settings.model_backend``: the mode) in every case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.parameters import EndpointOverride, Parameters
from model_endpoints.serving import (
    LMI_TAG,
    container_definition,
    gated_without_weights,
    production_variant,
    served_models,
)
from model_endpoints.sizing import Sizing, check
from parley.catalog import Catalog, ModelSpec, load_catalog

VARIANT = "AllTraffic"
SCALING_METRIC = appscaling.PredefinedMetric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION


@dataclass(frozen=True)
class EndpointPlan:
    """One endpoint to create, with the parameters' overrides applied."""

    spec: ModelSpec
    endpoint_name: str
    instance_type: str
    min_instances: int
    max_instances: int
    target_concurrent_requests: float
    model_s3_uri: str | None
    #: Weights + KV cache against the instance's GPU memory (checked: the config can start).
    sizing: Sizing


def endpoint_plans(params: Parameters, catalog: Catalog | None = None) -> list[EndpointPlan]:
    if params.inference.mode != "sagemaker":
        return []
    catalog = catalog or load_catalog()
    inference = params.inference
    unknown = set(inference.models) - {m.id for m in catalog.models}
    if unknown:
        raise ValueError(f"inference.models names models not in the catalog: {sorted(unknown)}")
    plans: list[EndpointPlan] = []
    for spec in served_models(catalog.models):
        override = inference.models.get(spec.id, EndpointOverride())
        if not override.enabled:
            continue
        assert spec.serving is not None
        minimum = override.min_instances or inference.min_instances
        maximum = override.max_instances or inference.max_instances
        if minimum > maximum:
            raise ValueError(f"inference.models.{spec.id}: min_instances > max_instances")
        gated = gated_without_weights(spec, override.model_s3_uri)
        if gated:
            raise ValueError(f"inference.models.{spec.id}: {', '.join(gated)} gated on the Hugging Face Hub; stage "
                             "the weights with `parley models stage` and set model_s3_uri (no token goes in a "
                             "template)")
        instance_type = override.instance_type or spec.serving.instance_type
        plans.append(
            EndpointPlan(
                spec=spec,
                endpoint_name=spec.backend.endpoint,
                instance_type=instance_type,
                min_instances=minimum,
                max_instances=maximum,
                target_concurrent_requests=override.target_concurrent_requests or inference.target_concurrent_requests,
                model_s3_uri=override.model_s3_uri,
                sizing=check(spec, instance_type),
            )
        )
    return plans


def partition(region: str) -> str:
    """The ARN partition CDK writes literally for a known region (feature flag enablePartitionLiterals)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _s3_parts(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


class Inference(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, params: Parameters) -> None:
        super().__init__(scope, construct_id)
        self.mode = params.inference.mode
        self._params = params
        self.plans = endpoint_plans(params)
        self.endpoints: dict[str, sagemaker.CfnEndpoint] = {}
        if not self.plans:
            return

        region = Stack.of(self).region
        tag = params.inference.lmi_image_tag or LMI_TAG
        self.role = iam.Role(self, "EndpointRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
                             description="Parley SageMaker endpoints (LMI containers)")
        self._grant_container_basics(region)

        for plan in self.plans:
            cid = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", plan.spec.id))
            container = container_definition(plan.spec, region, tag=tag, model_uri=plan.model_s3_uri)
            if plan.model_s3_uri:
                self._grant_weights(plan.model_s3_uri)
            model = sagemaker.CfnModel(
                self,
                f"{cid}Model",
                execution_role_arn=self.role.role_arn,
                primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                    image=container["Image"], environment=container["Environment"],
                    model_data_source=_model_data_source(container.get("ModelDataSource")),
                ),
            )
            variant = production_variant(plan.spec, model.attr_model_name, initial_instance_count=plan.min_instances,
                                         variant_name=VARIANT, tag=tag)
            variant["InstanceType"] = plan.instance_type
            variant["ContainerStartupHealthCheckTimeoutInSeconds"] = params.inference.startup_health_check_timeout_s
            variant["RoutingConfig"] = {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
            config = sagemaker.CfnEndpointConfig(
                self,
                f"{cid}Config",
                production_variants=[sagemaker.CfnEndpointConfig.ProductionVariantProperty(**_variant_kwargs(variant))],
            )
            endpoint = sagemaker.CfnEndpoint(
                self, f"{cid}Endpoint", endpoint_name=plan.endpoint_name,
                endpoint_config_name=config.attr_endpoint_config_name,
            )
            # The container pulls its image and weights with the role's policy as soon as the
            # endpoint is created: the policy must exist first (the role alone is not enough).
            policy = self.role.node.try_find_child("DefaultPolicy")
            if policy is not None:
                endpoint.node.add_dependency(policy)
            self.endpoints[plan.endpoint_name] = endpoint
            self._autoscale(cid, plan, endpoint)

    def _grant_container_basics(self, region: str) -> None:
        account = Aws.ACCOUNT_ID
        image_repo = f"arn:{Aws.PARTITION}:ecr:{region}:763104351884:repository/djl-inference"
        statements = [
            iam.PolicyStatement(actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                         "ecr:BatchCheckLayerAvailability"], resources=[image_repo]),
            # GetAuthorizationToken is account-wide by design (no resource-level permission).
            iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[f"arn:{Aws.PARTITION}:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/"
                           f"{p.endpoint_name}:*" for p in self.plans],
            ),
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"], resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/Endpoints", "AWS/SageMaker"]}},
            ),
        ]
        for statement in statements:
            self.role.add_to_principal_policy(statement)
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]",
                    "ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource-level permissions "
                    "(the latter is limited to SageMaker's namespaces by a condition).")
        for plan in self.plans:
            acknowledge(
                self.role,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:{region}:<AWS::AccountId>:log-group:"
                f"/aws/sagemaker/Endpoints/{plan.endpoint_name}:*]",
                "SageMaker creates one log stream per instance at run time inside the endpoint's own log group.",
            )

    def _grant_weights(self, uri: str) -> None:
        bucket, prefix = _s3_parts(uri)
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[f"arn:{Aws.PARTITION}:s3:::{bucket}/{prefix}*"]))
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:ListBucket"], resources=[f"arn:{Aws.PARTITION}:s3:::{bucket}"],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}}))
        acknowledge(self.role, f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{prefix}*]",
                    "The model weights are many files under one prefix; read-only.")

    def _autoscale(self, cid: str, plan: EndpointPlan, endpoint: sagemaker.CfnEndpoint) -> None:
        target = appscaling.ScalableTarget(
            self,
            f"{cid}Scaling",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{plan.endpoint_name}/variant/{VARIANT}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=plan.min_instances,
            max_capacity=plan.max_instances,
        )
        target.node.add_dependency(endpoint)
        inference = self._params.inference
        target.scale_to_track_metric(
            "ConcurrentRequests",
            target_value=plan.target_concurrent_requests,
            predefined_metric=SCALING_METRIC,
            scale_in_cooldown=Duration.seconds(inference.scale_in_cooldown_s),
            scale_out_cooldown=Duration.seconds(inference.scale_out_cooldown_s),
        )

    def endpoint_arns(self) -> list[str]:
        region = Stack.of(self).region
        return [
            f"arn:{Aws.PARTITION}:sagemaker:{region}:{Aws.ACCOUNT_ID}:endpoint/{name.lower()}"
            for name in self.endpoints
        ]

    def grant_invoke(self, grantee: iam.IGrantable) -> None:
        secret = self._openai_secret_arn()
        if secret:
            grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[secret]))
            rendered = secret.replace(Aws.ACCOUNT_ID, "<AWS::AccountId>")
            acknowledge(grantee.grant_principal, f"AwsSolutions-IAM5[Resource::{rendered}]",  # type: ignore[arg-type]
                        "One named secret: the wildcard is the random 6-character suffix Secrets Manager appends "
                        "to a secret's ARN.")
        arns = self.endpoint_arns()
        if arns:
            grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
                actions=["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
                resources=arns,
            ))

    def environment(self) -> dict[str, str]:
        inference = self._params.inference
        env = {"PARLEY_MODEL_BACKEND": self.mode}
        if self.mode == "openai" and inference.openai_base_url:
            env["PARLEY_OPENAI_BASE_URL"] = inference.openai_base_url
            if inference.openai_api_key_secret:
                # Only the secret's name: the functions read the key at run time (grant_invoke gives
                # them GetSecretValue on it), so it is in neither the template nor the configuration.
                env["PARLEY_OPENAI_API_KEY_SECRET"] = inference.openai_api_key_secret
        return env

    def _openai_secret_arn(self) -> str | None:
        name = self._params.inference.openai_api_key_secret
        if self.mode != "openai" or not name:
            return None
        if name.startswith("arn:"):
            return name
        # A secret's ARN ends in a random 6-character suffix after its name.
        region = Stack.of(self).region
        return f"arn:{partition(region)}:secretsmanager:{region}:{Aws.ACCOUNT_ID}:secret:{name}-??????"


def _model_data_source(source: dict[str, Any] | None) -> sagemaker.CfnModel.ModelDataSourceProperty | None:
    if source is None:
        return None
    s3 = source["S3DataSource"]
    return sagemaker.CfnModel.ModelDataSourceProperty(s3_data_source=sagemaker.CfnModel.S3DataSourceProperty(
        s3_uri=s3["S3Uri"], s3_data_type=s3["S3DataType"], compression_type=s3["CompressionType"]))


#: Nested structs of a production variant. A plain dict handed to jsii is not converted to the
#: struct: it renders as ``{}`` (RoutingConfig was silently lost that way).
_VARIANT_STRUCTS = {"RoutingConfig": sagemaker.CfnEndpointConfig.RoutingConfigProperty}


def _variant_kwargs(variant: dict[str, Any]) -> dict[str, Any]:
    """``production_variant()``'s CloudFormation-shaped keys as the CDK struct's keyword arguments."""
    kwargs: dict[str, Any] = {}
    for key, value in variant.items():
        if isinstance(value, dict):
            if key not in _VARIANT_STRUCTS:
                raise ValueError(f"production variant key {key}: no CDK struct mapped for it")
            value = _VARIANT_STRUCTS[key](**{_snake(k): v for k, v in value.items()})
        kwargs[_snake(key)] = value
    return kwargs
