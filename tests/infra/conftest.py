"""One synthesis of the CDK app per test session (JSII start-up is the slow part).

The main synth uses fake layer assets (no pip), includes the planned functions whose entry files
do not exist yet, and creates SageMaker endpoints, so every construct is exercised. A second,
smaller synth (``openai_synth``) covers the "existing OpenAI-compatible endpoint" mode.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")

FAKE = {"parley:fake_assets": "true", "parley:include_planned": "true"}


@dataclass
class Synth:
    app: Any
    stack: Any
    params: Any
    template: dict[str, Any]
    outdir: str

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

    def env(self, name: str) -> dict[str, Any]:
        return self.function(name)["Properties"]["Environment"]["Variables"]


def _synth(context: dict[str, str]) -> Iterator[Synth]:
    from infra_cdk.app import build_app

    outdir = tempfile.mkdtemp(prefix="parley-cdk-test-")
    try:
        app, stack, params = build_app(outdir, context, nag=False)
        assembly = app.synth()
        template = assembly.get_stack_by_name(stack.stack_name).template
        yield Synth(app, stack, params, template, outdir)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


@pytest.fixture(scope="session")
def synth() -> Iterator[Synth]:
    yield from _synth({**FAKE, "parley.inference.mode": "sagemaker"})


@pytest.fixture(scope="session")
def openai_synth() -> Iterator[Synth]:
    yield from _synth({**FAKE, "parley.inference.mode": "openai",
                       "parley.inference.openai_base_url": "https://llm.example.com/v1",
                       "parley.inference.openai_api_key_secret": "parley/openai-key",
                       "parley.api.waf": "false", "parley.api.authorizer_scope": "v1"})
