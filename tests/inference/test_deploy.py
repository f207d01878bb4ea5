"""Deployment tooling: the pure plan and the CLI's dry run (the sagemaker SDK is not installed here)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from model_endpoints import deploy
from model_endpoints.serving import lmi_image_uri
from parley.catalog import ModelSpec, load_catalog

NOW = datetime(2026, 11, 28, 9, 30, 5, tzinfo=UTC)
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def spec_of(model_id: str) -> ModelSpec:
    spec = load_catalog().get(model_id)
    assert spec is not None
    return spec


def test_module_does_not_import_the_sdk():
    code = "import sys, model_endpoints.deploy; print('sagemaker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plan_names_and_contents():
    plan = deploy.plan_deployment(
        spec_of("parley-fast"), region="us-east-1", role_arn="arn:aws:iam::1:role/r", now=NOW
    )
    assert plan.endpoint_name == "parley-fast"  # the name the SageMaker backend calls
    assert plan.model_name == "parley-fast-20261128-093005"
    assert plan.endpoint_config_name == "parley-fast-cfg-20261128-093005"
    assert plan.container["Image"] == lmi_image_uri("us-east-1")
    assert plan.variant["ModelName"] == plan.model_name
    assert {"Key": "parley:model", "Value": "parley-fast"} in plan.tags


def test_overrides_and_long_names_stay_valid():
    plan = deploy.plan_deployment(
        spec_of("parley-smart"),
        region="eu-west-1",
        role_arn=None,
        endpoint_name="x" * 63,
        instance_type="ml.p5.48xlarge",
        instance_count=2,
        model_uri="s3://b/w/",
        now=NOW,
    )
    for name in (plan.model_name, plan.endpoint_config_name):
        assert NAME.match(name) and len(name) <= 63
    assert plan.variant["InstanceType"] == "ml.p5.48xlarge" and plan.variant["InitialInstanceCount"] == 2
    assert plan.container["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
    assert plan.container["ModelDataSource"]["S3DataSource"]["S3Uri"] == "s3://b/w/"


def test_invalid_endpoint_name_is_refused():
    with pytest.raises(ValueError):
        deploy.plan_deployment(
            spec_of("parley-fast"), region="us-east-1", role_arn=None, endpoint_name="bad_name!"
        )


def test_token_is_masked_when_printed():
    plan = deploy.plan_deployment(
        spec_of("parley-fast"), region="us-east-1", role_arn=None, hf_token="hf_secret"
    )
    assert plan.container["Environment"]["HF_TOKEN"] == "hf_secret"
    assert "hf_secret" not in json.dumps(plan.redacted())


def test_snake_case_matches_sagemaker_core_field_names():
    assert deploy.snake_case(
        {
            "InstanceType": 1,
            "InitialInstanceCount": 2,
            "InferenceAmiVersion": 3,
            "ContainerStartupHealthCheckTimeoutInSeconds": 4,
            "Image": 5,
        }
    ) == {
        "instance_type": 1,
        "initial_instance_count": 2,
        "inference_ami_version": 3,
        "container_startup_health_check_timeout_in_seconds": 4,
        "image": 5,
    }


def test_cli_dry_run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MY_HF", "hf_from_env")
    code = deploy.main(
        ["--model", "parley-code", "--region", "us-west-2", "--dry-run", "--hf-token-env", "MY_HF"]
    )
    out = capsys.readouterr().out
    assert code == 0 and "hf_from_env" not in out
    plan = json.loads(out)
    assert plan["endpointName"] == "parley-code"
    assert plan["container"]["Environment"]["HF_TOKEN"] == "***"
    assert plan["variant"]["InstanceType"] == spec_of("parley-code").serving.instance_type  # type: ignore[union-attr]


def test_cli_refuses_unknown_model_and_missing_token(capsys: pytest.CaptureFixture[str]):
    assert deploy.main(["--model", "nope", "--region", "us-east-1", "--dry-run"]) == 2
    assert (
        deploy.main(
            [
                "--model",
                "parley-fast",
                "--region",
                "us-east-1",
                "--dry-run",
                "--hf-token-env",
                "PARLEY_TEST_UNSET_VARIABLE",
            ]
        )
        == 2
    )


def test_cli_argument_rules():
    with pytest.raises(SystemExit):
        deploy.parse_args(["--region", "us-east-1"])
    with pytest.raises(SystemExit):
        deploy.parse_args(["--region", "us-east-1", "--delete"])
    assert deploy.parse_args(["--region", "us-east-1", "--delete", "--endpoint-name", "e"]).delete
