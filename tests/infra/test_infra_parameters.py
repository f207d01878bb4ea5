"""The parameters file, its context overrides and its validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REGIONS, SECOND_REGION
from pydantic import ValidationError

from infra_cdk.inference import endpoint_plans
from infra_cdk.parameters import DEFAULT_FILE, load_parameters
from parley.catalog import load_catalog


def test_default_file_is_valid_and_safe_to_deploy() -> None:
    params = load_parameters()
    assert params.architecture == "arm64"
    # The default deploys no GPU (a p4d endpoint alone costs tens of dollars an hour).
    assert params.inference.mode == "simulator"
    assert endpoint_plans(params) == []


def test_the_sagemaker_example_file_is_valid() -> None:
    params = load_parameters({"parley:parameters": "infra_cdk/parameters.sagemaker.json"})
    assert params.inference.mode == "sagemaker"
    assert {p.endpoint_name for p in endpoint_plans(params)} == {
        m.backend.endpoint for m in load_catalog().models if m.serving}


def test_context_overrides_parse_json_values() -> None:
    params = load_parameters({
        "parley.inference.mode": "openai",
        "parley.inference.openai_base_url": "http://10.0.0.5:8000/v1",
        "parley.api.throttle_burst": "50",
        "parley.settings.limit_free_per_hour": "3",
        "parley.web.allowed_countries": '["DE", "FR"]',
        "unrelated": "ignored",
    })
    assert params.inference.mode == "openai"
    assert params.api.throttle_burst == 50
    assert params.settings["limit_free_per_hour"] == 3
    assert params.web.allowed_countries == ["DE", "FR"]


@pytest.mark.parametrize("context", [
    {"parley.inference.mode": "openai"},  # no URL
    {"parley.settings.not_a_setting": "1"},
    {"parley.settings.table_conversations": "x"},  # the app names tables itself
    {"parley.settings.cors_origins": '["https://evil.example"]'},  # the web URLs, set by the app
    {"parley.settings.cognito_user_pool_id": "us-east-1_x"},
    {"parley.settings.coldstore_prefix": "archive/"},  # lifecycle rules and grants follow cold/
    {"parley.settings.title_state_machine_arn": "arn:aws:states:us-east-1:1:stateMachine:x"},
    {"parley.settings.jwt_secret": "s3cret"},  # local tokens have no place in AWS
    {"parley.settings.attachment_process_inline": "true"},  # the S3 event does it
    {"parley.settings.coldstore_sse": "aws:kms", "parley.settings.coldstore_kms_key_id": "alias/parley"},
    {"parley.settings.coldstore_kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"},  # SSE still AES256
    {"parley.functions.coldstore_reserved_concurrency": "0"},
    {"parley.settings.limit_free_per_hour": "many"},
    {"parley.observability.log_retention_days": "31"},
    {"parley.domain.web_domain": "chat.example.com"},  # certificate missing
    {"parley.unknown_section": "1"},
    {"parley.auth.threat_protection": "true"},  # needs the plus feature plan
    {"parley.inference.min_instances": "5", "parley.inference.max_instances": "2"},
    {"parley.regions": '["us-east-1", "eu-west-1"]'},  # no API domain, certificates or zone
    {**REGIONS, "parley.regions": '["eu-west-1", "us-east-1"]'},  # the first must be `region`
    {**REGIONS, "parley.domain.api_certificate_arns": "{}"},  # no certificate in the second region
    {**REGIONS, "parley.regions": '["us-east-1", "us-east-1"]'},
    {**REGIONS, "parley.api.authorizer_scope": "v1"},  # Cognito's own authorizer is regional
    {"parley.settings.openai_api_key_secret": "x"},  # set by the app from inference.openai_api_key_secret
    {"parley.observability.gpu_utilization_percent": "120"},
])
def test_invalid_parameters_are_refused(context: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        load_parameters(context)


def test_two_regions_give_each_its_own_certificate() -> None:
    params = load_parameters(REGIONS)
    assert params.replica_regions == [SECOND_REGION]
    second = params.for_region(SECOND_REGION)
    assert second.region == SECOND_REGION and second.domain.api_certificate_arn.split(":")[3] == SECOND_REGION
    assert params.for_region("us-east-1") is params


def test_a_parameters_file_can_be_chosen(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_FILE.read_text())
    raw["stack_name"] = "ParleyStaging"
    raw["python_version"] = "3.13"
    path = tmp_path / "staging.json"
    path.write_text(json.dumps(raw))
    params = load_parameters({"parley:parameters": str(path)})
    assert params.stack_name == "ParleyStaging" and params.python_version == "3.13"


def test_endpoint_overrides() -> None:
    params = load_parameters({
        "parley.inference.mode": "sagemaker",
        "parley.inference.models": json.dumps({
            "parley-smart": {"enabled": False},
            "parley-fast": {"instance_type": "ml.g6e.xlarge", "max_instances": 9,
                            "model_s3_uri": "s3://weights/llama/"},
        }),
    })
    plans = {p.spec.id: p for p in endpoint_plans(params)}
    assert "parley-smart" not in plans
    fast = plans["parley-fast"]
    assert (fast.instance_type, fast.max_instances, fast.min_instances) == ("ml.g6e.xlarge", 9, 1)
    assert fast.model_s3_uri == "s3://weights/llama/"


def test_unknown_model_overrides_are_refused() -> None:
    params = load_parameters({"parley.inference.mode": "sagemaker",
                              "parley.inference.models": '{"no-such-model": {}}'})
    with pytest.raises(ValueError):
        endpoint_plans(params)


def test_reserved_settings_are_the_ones_the_app_sets(synth) -> None:
    """Every PARLEY_* variable the app sets from what it deploys is refused in ``settings``."""
    from infra_cdk.functions import settings_environment
    from infra_cdk.parameters import RESERVED_SETTINGS

    from_parameters = set(settings_environment(synth.params))
    for name in synth.function_ids():
        for key in synth.env(name):
            field = key.removeprefix("PARLEY_").lower()
            if key.startswith("PARLEY_") and key not in from_parameters and not field.startswith("table_"):
                assert field in RESERVED_SETTINGS, (name, key)


def test_kms_key_for_cold_archives_is_accepted_as_id_or_arn() -> None:
    for key in ("1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"):
        params = load_parameters({"parley.settings.coldstore_sse": "aws:kms",
                                  "parley.settings.coldstore_kms_key_id": key})
        assert params.settings["coldstore_kms_key_id"] == key
