"""Lambda functions, layers and least-privilege roles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from parley.settings import Settings

from infra_cdk.chat import web_adapter_environment
from infra_cdk.functions import function_table

NAMES = ("api", "chat", "workflows", "attachments", "coldstore", "authorizer")


def statements_of(synth, function: str) -> list[dict[str, Any]]:
    role_id = synth.function(function)["Properties"]["Role"]["Fn::GetAtt"][0]
    found: list[dict[str, Any]] = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions_of(synth, function: str) -> set[str]:
    out: set[str] = set()
    for st in statements_of(synth, function):
        acts = st["Action"]
        out |= {acts} if isinstance(acts, str) else set(acts)
    return out


def test_the_function_table_and_chat_are_all_synthesized(synth) -> None:
    assert set(synth.function_ids()) == set(NAMES)
    assert {s.name for s in function_table(synth.params)} | {"chat"} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_function_shares_runtime_tracing_logs_and_settings(synth, name: str) -> None:
    props = synth.function(name)["Properties"]
    assert props["Architectures"] == ["arm64"]
    assert props["Runtime"] == f"python{synth.params.python_version}"
    assert props["TracingConfig"] == {"Mode": "Active"}
    log_group = synth.resources[props["LoggingConfig"]["LogGroup"]["Ref"]]
    assert log_group["Properties"]["RetentionInDays"] == synth.params.observability.log_retention_days
    env = props["Environment"]["Variables"]
    assert env["PARLEY_MODE"] == "aws"
    assert env["POWERTOOLS_SERVICE_NAME"] == "parley"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Parley"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert env["PARLEY_LIMIT_FREE_PER_HOUR"] == str(synth.params.settings["limit_free_per_hour"])
    assert env["PARLEY_MODEL_BACKEND"] == "sagemaker"
    assert "Ref" in env["PARLEY_BUCKET_DATA"]
    # Only the chat function, where nothing but the Web Adapter reaches uvicorn, trusts its header.
    assert ("PARLEY_TRUST_LWA_CONTEXT_HEADER" in env) == (name == "chat")


#: Variables for functions not yet reading them through Settings (the planned API-key authorizer).
NOT_SETTINGS = {"PARLEY_COGNITO_USER_POOL_ID", "PARLEY_COGNITO_CLIENT_ID"}


@pytest.mark.parametrize("name", NAMES)
def test_every_parley_variable_is_a_settings_field(synth, name: str) -> None:
    """Settings.from_env reads PARLEY_<FIELD>; a variable with no field would be silently ignored."""
    for key in synth.env(name):
        if key.startswith("PARLEY_") and key not in NOT_SETTINGS:
            assert key.removeprefix("PARLEY_").lower() in Settings.model_fields, (name, key)


def test_chat_runs_uvicorn_behind_the_web_adapter(synth) -> None:
    props = synth.function("chat")["Properties"]
    env = props["Environment"]["Variables"]
    assert props["Handler"] == "run.sh"
    assert props["Timeout"] == 900
    for key, value in web_adapter_environment().items():
        assert env[key] == value
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/health"
    first_layer = "".join(p if isinstance(p, str) else "<region>" for p in props["Layers"][0]["Fn::Join"][1])
    assert first_layer == "arn:aws:lambda:<region>:753240598075:layer:LambdaAdapterLayerArm64:27"


def test_layers_per_function(synth) -> None:
    layer_ids = {synth.logical_id(layer): name for name, layer in synth.stack.node.find_child("Layers").by_name.items()}

    def layers(fn: str) -> set[str]:
        # CDK renders layers in its own order; the layers' files never overlap, so order is moot.
        return {layer_ids[ref["Ref"]] for ref in synth.function(fn)["Properties"]["Layers"] if "Ref" in ref}

    assert layers("api") == {"deps", "core"}
    assert layers("chat") == {"deps", "core"}
    # The document libraries only where attachments are processed.
    assert layers("attachments") == {"deps", "docs", "core"}
    for logical_id in layer_ids:
        assert synth.resources[logical_id]["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_api_function_handler_and_buffered_timeout(synth) -> None:
    props = synth.function("api")["Properties"]
    assert props["Handler"] == "handler.handler"
    assert props["Timeout"] == 29


def test_no_wildcard_actions_and_no_star_resources_except_where_aws_allows_none(synth) -> None:
    resource_star_ok = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    for name in NAMES:
        for st in statements_of(synth, name):
            actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
            assert not any("*" in a for a in actions), (name, actions)
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if "*" in resources:
                assert set(actions) <= resource_star_ok, (name, actions)


def test_roles_hold_only_what_their_function_needs(synth) -> None:
    chat = actions_of(synth, "chat")
    assert {"sagemaker:InvokeEndpointWithResponseStream", "dynamodb:PutItem", "s3:PutObject",
            "states:StartExecution"} <= chat
    assert "dynamodb:Scan" not in chat
    api = actions_of(synth, "api")
    assert "states:StartExecution" in api
    assert not any(a.startswith("sagemaker:") for a in api)
    workflows = actions_of(synth, "workflows")
    assert "sagemaker:InvokeEndpoint" in workflows and "states:StartExecution" not in workflows
    authorizer = actions_of(synth, "authorizer")
    assert not any(a.startswith("s3:") for a in authorizer)
    # Only the API keys table, and only once the data layer has it.
    keys_table = synth.stack.data.tables.get("table_api_keys")
    dynamo = [st for st in statements_of(synth, "authorizer") if "dynamodb:GetItem" in st["Action"]]
    if keys_table is None:
        assert dynamo == []
    else:
        (statement,) = dynamo
        assert {"dynamodb:GetItem", "dynamodb:UpdateItem"} <= set(statement["Action"])
        assert json.dumps(statement["Resource"]).count(synth.logical_id(keys_table)) >= 1
        other = [t for f, t in synth.stack.data.tables.items() if f != "table_api_keys"]
        assert not any(synth.logical_id(t) in json.dumps(statement["Resource"]) for t in other)
    assert "dynamodb:Scan" in actions_of(synth, "coldstore")


def test_table_grants_name_each_index_instead_of_a_wildcard(synth) -> None:
    for st in statements_of(synth, "api"):
        if "dynamodb:Query" in st["Action"]:
            rendered = str(st["Resource"])
            assert "/index/by_user" in rendered
            assert "/index/*" not in rendered
            break
    else:
        pytest.fail("no DynamoDB statement on the api role")


def test_model_invocation_is_limited_to_the_catalog_endpoints(synth) -> None:
    endpoints = sorted(synth.stack.inference.endpoints)
    for st in statements_of(synth, "chat"):
        if "sagemaker:InvokeEndpoint" in st["Action"]:
            rendered = str(st["Resource"])
            for name in endpoints:
                assert f"endpoint/{name}" in rendered
            assert len(st["Resource"]) == len(endpoints)
            break
    else:
        pytest.fail("chat cannot invoke the endpoints")


def test_planned_triggers_are_wired(synth) -> None:
    (notification,) = synth.of_type("Custom::S3BucketNotifications").values()
    config = notification["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"][0]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "uploads/"}]
    (rule,) = synth.of_type("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"].startswith("cron(")
    authorizer_env = synth.env("authorizer")
    assert "Ref" in authorizer_env["PARLEY_COGNITO_USER_POOL_ID"]
