"""One synthesis of the CDK app per test session (JSII start-up is the slow part).

The main synth uses fake layer assets (no pip), includes the planned functions whose entry files
do not exist yet, and creates SageMaker endpoints, so every construct is exercised. A second,
smaller synth (``openai_synth``) covers the other branches at once: the "existing
OpenAI-compatible endpoint" mode, no WAF, the authorizer on /v1 only, custom domains for the web
client and the API, cold archives under a customer KMS key, and an alarm e-mail. A third
(``regions_synth``) is the default parameters (simulator mode) with a second region: both stacks.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

FAKE = {"parley:fake_assets": "true", "parley:include_planned": "true"}
#: The custom domains and KMS key of ``openai_synth``.
WEB_DOMAIN = "chat.example.com"
API_DOMAIN = "api.example.com"
CERT_US_EAST_1 = "arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000"
KMS_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@dataclass
class Synth:
    app: Any
    stack: Any
    params: Any
    template: dict[str, Any]
    outdir: str
    #: The other regions' stacks (``regions_synth``).
    replicas: list[Synth] = field(default_factory=list)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child)

    def function_ids(self) -> dict[str, str]:
        """Parley function name (api, chat, ...) -> logical id of its AWS::Lambda::Function."""
        return {name: self.logical_id(fn.function) for name, fn in self.stack.functions.items()}

    def function(self, name: str) -> dict[str, Any]:
        return self.resources[self.function_ids()[name]]

    def invoke_ids(self) -> dict[str, str]:
        """Parley function name -> logical id of what callers invoke: its alias where SnapStart is on."""
        return {name: self.logical_id(getattr(fn, "invoke_target", fn.function))
                for name, fn in self.stack.functions.items()}

    def env(self, name: str) -> dict[str, Any]:
        return self.function(name)["Properties"]["Environment"]["Variables"]

    def statements(self, function: str) -> list[dict[str, Any]]:
        """Every IAM statement on a function's role (the role's inline policies)."""
        role_id = self.function(function)["Properties"]["Role"]["Fn::GetAtt"][0]
        found: list[dict[str, Any]] = []
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                found += policy["Properties"]["PolicyDocument"]["Statement"]
        return found

    def granted(self, function: str) -> set[tuple[str, str]]:
        """``(action, rendered resource)`` pairs the role allows, e.g. ``("s3:GetObject",
        "<DataDataBucketA7E8509A.Arn>/cold/*")``."""
        pairs: set[tuple[str, str]] = set()
        for st in self.statements(function):
            assert st["Effect"] == "Allow"
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            pairs |= {(a, render(r)) for a in actions for r in resources}
        return pairs

    @staticmethod
    def render(value: Any) -> str:
        return render(value)

    def arn(self, construct: Any) -> str:
        """How ``render`` shows the ARN of a construct's resource."""
        return f"<{self.logical_id(construct)}.Arn>"


def render(value: Any) -> str:
    """A CloudFormation value as readable text: ``<Ref X>``, ``<X.Arn>``, joins concatenated."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<Ref {value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::Join" in value:
        return value["Fn::Join"][0].join(render(v) for v in value["Fn::Join"][1])
    return json.dumps(value, sort_keys=True)


def _synth(context: dict[str, str]) -> Iterator[Synth]:
    from infra_cdk.app import build_app

    outdir = tempfile.mkdtemp(prefix="parley-cdk-test-")
    try:
        app, stack, params = build_app(outdir, context, nag=False)
        assembly = app.synth()
        template = assembly.get_stack_by_name(stack.stack_name).template
        synth = Synth(app, stack, params, template, outdir)
        synth.replicas = [Synth(app, r, r.params, assembly.get_stack_by_name(r.stack_name).template, outdir)
                          # (getattr: these fixtures also run against the app from before regions existed)
                          for r in getattr(stack, "replicas", [])]
        yield synth
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


#: The gated (Llama) models deploy only from staged weights.
STAGED = {"parley-fast": {"model_s3_uri": "s3://parley-weights/parley-fast/"},
          "parley-smart": {"model_s3_uri": "s3://parley-weights/parley-smart/"}}
SAGEMAKER = {"parley.inference.mode": "sagemaker", "parley.inference.models": json.dumps(STAGED)}


@pytest.fixture(scope="session")
def synth() -> Iterator[Synth]:
    yield from _synth({**FAKE, **SAGEMAKER})


@pytest.fixture(scope="session")
def default_synth() -> Iterator[Synth]:
    """What `make synth` deploys with parameters.json as shipped (simulator mode, one region)."""
    yield from _synth(dict(FAKE))


@pytest.fixture(scope="session")
def openai_synth() -> Iterator[Synth]:
    yield from _synth({**FAKE, "parley.inference.mode": "openai",
                       "parley.inference.openai_base_url": "https://llm.example.com/v1",
                       "parley.inference.openai_api_key_secret": "parley/openai-key",
                       "parley.api.waf": "false", "parley.api.authorizer_scope": "v1",
                       "parley.observability.alarm_email": "oncall@example.com",
                       "parley.domain.web_domain": WEB_DOMAIN,
                       "parley.domain.web_certificate_arn": CERT_US_EAST_1,
                       "parley.domain.api_domain": API_DOMAIN,
                       "parley.domain.api_certificate_arn": CERT_US_EAST_1,
                       "parley.settings.coldstore_sse": "aws:kms",
                       "parley.settings.coldstore_kms_key_id": KMS_KEY_ID})


#: Two regions: the default parameters (simulator mode) plus what several regions need.
SECOND_REGION = "eu-west-1"
REGIONS = {"parley.regions": json.dumps(["us-east-1", SECOND_REGION]),
           "parley.domain.api_domain": API_DOMAIN,
           "parley.domain.api_certificate_arn": CERT_US_EAST_1,
           "parley.domain.api_certificate_arns": json.dumps(
               {SECOND_REGION: CERT_US_EAST_1.replace("us-east-1", SECOND_REGION)}),
           "parley.domain.hosted_zone_id": "Z0123456789ABCDEFGHIJ",
           "parley.domain.hosted_zone_name": "example.com"}


@pytest.fixture(scope="session")
def regions_synth() -> Iterator[Synth]:
    yield from _synth({**FAKE, **REGIONS})
