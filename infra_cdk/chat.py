"""The streaming ``chat`` function: the same FastAPI app under uvicorn behind the Lambda Web Adapter.

The managed Python runtime cannot stream a response, so the function's handler is
``functions/chat/run.sh`` started by the adapter (``AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap``):
uvicorn listens on 127.0.0.1 inside the sandbox, the adapter proxies each invocation to it and
streams the body back (``AWS_LWA_INVOKE_MODE=response_stream``). API Gateway invokes it with
``responseTransferMode=STREAM`` for the send, regenerate, resume and /v1/chat/completions routes.

Only this function sets ``PARLEY_TRUST_LWA_CONTEXT_HEADER=true``: here nothing but the adapter can
reach uvicorn, so its ``x-amzn-request-context`` header (API Gateway's authorizer claims) is trusted.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk import access
from infra_cdk.assets import Assets
from infra_cdk.functions import FunctionSpec, Layers, ParleyFunction
from infra_cdk.parameters import Parameters

#: The Lambda Web Adapter layer version (aws/aws-lambda-web-adapter 1.0), published by AWS's account.
LWA_ACCOUNT = "753240598075"
LWA_VERSION = 27
#: Where uvicorn listens; the adapter forwards to it.
PORT = "8080"


def chat_spec(params: Parameters) -> FunctionSpec:
    return FunctionSpec(
        name="chat",
        entry="functions/chat/run.sh",
        handler="run.sh",
        description="Parley streaming routes (FastAPI under uvicorn behind the Lambda Web Adapter)",
        # A generation may run long; API Gateway's streaming integrations allow 15 minutes too.
        timeout=Duration.minutes(15),
        memory_mb=params.functions.chat_memory_mb,
        bucket=access.chat_bucket_grant(),
        invoke_models=True,
        start_workflows=True,
    )


def web_adapter_layer_arn(architecture: str) -> str:
    name = "LambdaAdapterLayerArm64" if architecture == "arm64" else "LambdaAdapterLayerX86"
    return f"arn:aws:lambda:{Aws.REGION}:{LWA_ACCOUNT}:layer:{name}:{LWA_VERSION}"


def web_adapter_environment() -> dict[str, str]:
    return {
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
        "AWS_LWA_INVOKE_MODE": "response_stream",
        "AWS_LWA_PORT": PORT,
        "PORT": PORT,
        "AWS_LWA_READINESS_CHECK_PATH": "/health",
        "PARLEY_TRUST_LWA_CONTEXT_HEADER": "true",
    }


class Chat(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        params: Parameters,
        assets: Assets,
        layers: Layers,
        environment: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = chat_spec(params)
        adapter = lambda_.LayerVersion.from_layer_version_arn(
            self, "WebAdapter", web_adapter_layer_arn(params.architecture)
        )
        self.fn = ParleyFunction(
            self,
            "Chat",
            spec=self.spec,
            params=params,
            code=assets.function_code(self.spec.entry),
            # The adapter provides /opt/bootstrap; no two layers hold the same file, so order is moot.
            layers=[adapter, *(layers.by_name[name] for name in self.spec.layers)],
            environment={**environment, **web_adapter_environment()},
            reserved_concurrency=params.functions.chat_reserved_concurrency,
        )
        self.function = self.fn.function
