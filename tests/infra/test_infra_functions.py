"""Lambda functions, layers and least-privilege roles."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra_cdk.chat import web_adapter_environment
from infra_cdk.functions import function_table
from parley.settings import Settings

NAMES = ("api", "chat", "workflows", "attachments", "coldstore", "authorizer", "live_authorizer")


def statements_of(synth, function: str) -> list[dict[str, Any]]:
    return synth.statements(function)


def actions_of(synth, function: str) -> set[str]:
    return {action for action, _ in synth.granted(function)}


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


@pytest.mark.parametrize("name", NAMES)
def test_every_parley_variable_is_a_settings_field(synth, name: str) -> None:
    """Settings.from_env reads PARLEY_<FIELD>; a variable with no field would be silently ignored."""
    for key in synth.env(name):
        if key.startswith("PARLEY_"):
            assert key.removeprefix("PARLEY_").lower() in Settings.model_fields, (name, key)


@pytest.mark.parametrize("name", NAMES)
def test_every_function_environment_builds_valid_settings(synth, name: str) -> None:
    """What each function's Settings.from_env makes of its environment at start-up (deploy-time
    values, e.g. table names, stand in as placeholders)."""
    env = {k: v if isinstance(v, str) else "deploy-time-value" for k, v in synth.env(name).items()}
    settings = Settings.from_env(env)
    assert settings.mode == "aws"
    assert settings.coldstore_prefix == "cold/"
    assert len(settings.cors_origins) == 1  # the CloudFront URL (no custom domain in this synth)
    assert settings.safety_policy == synth.params.settings["safety_policy"]


def test_cors_origins_are_the_web_urls(synth, openai_synth) -> None:
    """The web client calls the API cross-origin: from the CloudFront URL, and the custom domain."""
    distribution = synth.logical_id(synth.stack.web.distribution)
    assert synth.render(synth.env("api")["PARLEY_CORS_ORIGINS"]) == f"https://<{distribution}.DomainName>"
    with_domain = openai_synth.render(openai_synth.env("chat")["PARLEY_CORS_ORIGINS"]).split(",")
    distribution = openai_synth.logical_id(openai_synth.stack.web.distribution)
    assert with_domain == [f"https://{openai_synth.params.domain.web_domain}", f"https://<{distribution}.DomainName>"]


def test_functions_get_table_names_bucket_and_state_machines(synth) -> None:
    for name in NAMES:
        env = synth.env(name)
        for field, table in synth.stack.data.tables.items():
            assert env[f"PARLEY_{field.upper()}"] == {"Ref": synth.logical_id(table)}, (name, field)
        assert env["PARLEY_BUCKET_DATA"] == {"Ref": synth.logical_id(synth.stack.data.bucket)}
    for name in ("api", "chat"):
        for workflow, machine in synth.stack.workflows.state_machines.items():
            assert synth.env(name)[f"PARLEY_{workflow.upper()}_STATE_MACHINE_ARN"] == {"Ref": synth.logical_id(machine)}


def test_no_function_runs_in_a_vpc(synth) -> None:
    # The authorizer fetches the user pool's JWKS from Cognito's public endpoint.
    for name in NAMES:
        assert "VpcConfig" not in synth.function(name)["Properties"], name


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


def _objects(synth, prefix: str) -> str:
    return f"{synth.arn(synth.stack.data.bucket)}/{prefix}*"


def _s3_grants(synth, function: str) -> set[tuple[str, str]]:
    return {(a, r) for a, r in synth.granted(function) if a.startswith("s3:")}


def _table_actions(synth, function: str, field: str) -> set[str]:
    arn = synth.arn(synth.stack.data.tables[field])
    return {a for a, r in synth.granted(function) if r == arn}


def _tables_touched(synth, function: str) -> set[str]:
    arns = {synth.arn(t): f for f, t in synth.stack.data.tables.items()}
    return {arns[r.split("/index/")[0]] for a, r in synth.granted(function)
            if a.startswith("dynamodb:") and r.split("/index/")[0] in arns}


def test_roles_hold_only_what_their_function_needs(synth) -> None:
    chat = actions_of(synth, "chat")
    assert {"sagemaker:InvokeEndpointWithResponseStream", "dynamodb:PutItem", "s3:PutObject",
            "states:StartExecution"} <= chat
    assert "dynamodb:Scan" not in chat
    api = actions_of(synth, "api")
    assert "states:StartExecution" in api and "dynamodb:Scan" not in api
    assert not any(a.startswith("sagemaker:") for a in api)
    workflows = actions_of(synth, "workflows")
    assert "sagemaker:InvokeEndpoint" in workflows and "states:StartExecution" not in workflows
    for name in ("attachments", "coldstore", "authorizer"):
        assert not any(a.startswith(("sagemaker:", "states:")) for a in actions_of(synth, name)), name


def test_coldstore_job_role_schedule_and_limits(synth) -> None:
    props = synth.function("coldstore")["Properties"]
    assert props["Timeout"] == 15 * 60
    assert props["MemorySize"] == 1024
    assert props["ReservedConcurrentExecutions"] == 1
    assert _tables_touched(synth, "coldstore") == {"table_conversations"}
    assert _table_actions(synth, "coldstore", "table_conversations") == {
        "dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
    assert _s3_grants(synth, "coldstore") == {
        ("s3:GetObject", _objects(synth, "cold/")), ("s3:PutObject", _objects(synth, "cold/")),
        ("s3:DeleteObject", _objects(synth, "cold/")),
        # Without ListBucket a missing key answers 403, not 404.
        ("s3:ListBucket", synth.arn(synth.stack.data.bucket)),
    }
    (rule,) = synth.of_type("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "cron(17 3 * * ? *)"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [synth.function_ids()["coldstore"], "Arn"]}


@pytest.mark.parametrize("name", ["api", "chat"])
def test_request_paths_restore_export_and_use_attachments(synth, name: str) -> None:
    granted = synth.granted(name)
    bucket = synth.arn(synth.stack.data.bucket)
    for prefix, action in [("cold/", "s3:GetObject"), ("cold/", "s3:DeleteObject"),
                           ("attachments/", "s3:GetObject"), ("attachments/", "s3:DeleteObject"),
                           ("uploads/", "s3:DeleteObject"),
                           ("conversations/", "s3:GetObject"), ("conversations/", "s3:PutObject"),
                           ("conversations/", "s3:DeleteObject"), ("temporary/", "s3:GetObject"),
                           ("temporary/", "s3:PutObject"), ("temporary/", "s3:DeleteObject")]:
        assert (action, _objects(synth, prefix)) in granted, (name, action, prefix)
    assert ("s3:ListBucket", bucket) in granted
    # Nothing on the whole bucket, and never a write to cold/ (only the job archives).
    assert not any(r == f"{bucket}/*" for _, r in granted)
    assert ("s3:PutObject", _objects(synth, "cold/")) not in granted
    # Presigned POSTs are only valid if the signer may PutObject: the API signs them, chat does not.
    assert (("s3:PutObject", _objects(synth, "uploads/")) in granted) == (name == "api")
    assert ("s3:GetObject", _objects(synth, "uploads/")) not in granted
    # Restores put the archived items back in batches.
    assert "dynamodb:BatchWriteItem" in _table_actions(synth, name, "table_conversations")
    attachments = _table_actions(synth, name, "table_attachments")
    assert {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= attachments
    index = f"{synth.arn(synth.stack.data.tables['table_attachments'])}/index/by_conversation"
    assert ("dynamodb:Query", index) in granted


def test_attachments_function_role_and_triggers(synth) -> None:
    assert _tables_touched(synth, "attachments") == {"table_attachments"}
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} <= _table_actions(
        synth, "attachments", "table_attachments")
    assert _s3_grants(synth, "attachments") == {
        ("s3:GetObject", _objects(synth, "uploads/")), ("s3:DeleteObject", _objects(synth, "uploads/")),
        ("s3:GetObject", _objects(synth, "attachments/")), ("s3:PutObject", _objects(synth, "attachments/")),
        ("s3:DeleteObject", _objects(synth, "attachments/")),
        ("s3:ListBucket", synth.arn(synth.stack.data.bucket)),
    }
    # S3 ObjectCreated on uploads/ only (derived files under attachments/ never re-trigger it).
    (notification,) = synth.of_type("Custom::S3BucketNotifications").values()
    (config,) = notification["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert config["LambdaFunctionArn"] == {"Fn::GetAtt": [synth.function_ids()["attachments"], "Arn"]}


def test_attachments_function_sees_only_ttl_removals_of_the_attachments_table(synth) -> None:
    (mapping,) = synth.of_type("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    table = synth.logical_id(synth.stack.data.tables["table_attachments"])
    assert props["EventSourceArn"] == {"Fn::GetAtt": [table, "StreamArn"]}
    assert props["FunctionName"] == {"Ref": synth.function_ids()["attachments"]}
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert (props["BatchSize"], props["MaximumRetryAttempts"], props["BisectBatchOnFunctionError"]) == (100, 3, True)
    # The handler answers a partial batch response (functions/attachments/handler.py): without this,
    # Lambda would ignore it and retry the whole batch, successes included.
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    (pattern,) = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["REMOVE"],
                       "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}
    stream_reads = {a for a, r in synth.granted("attachments") if r == f"<{table}.StreamArn>"}
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"} <= stream_reads


def test_authorizer_role_gets_and_updates_api_keys_only(synth) -> None:
    keys = synth.arn(synth.stack.data.tables["table_api_keys"])
    assert {(a, r) for a, r in synth.granted("authorizer") if not a.startswith(("logs:", "xray:"))} == {
        ("dynamodb:GetItem", keys), ("dynamodb:UpdateItem", keys)}
    env = synth.env("authorizer")
    assert env["PARLEY_COGNITO_USER_POOL_ID"] == {"Ref": synth.logical_id(synth.stack.identity.user_pool)}
    assert env["PARLEY_COGNITO_CLIENT_ID"] == {"Ref": synth.logical_id(synth.stack.identity.client)}


def test_workflows_read_conversation_contents_only(synth) -> None:
    # Temporary chats' contents too (titles are generated for them; they are never summarized).
    assert _s3_grants(synth, "workflows") == {("s3:GetObject", _objects(synth, "conversations/")),
                                              ("s3:GetObject", _objects(synth, "temporary/")),
                                              ("s3:ListBucket", synth.arn(synth.stack.data.bucket))}


def test_cold_archives_under_a_customer_kms_key(synth, openai_synth) -> None:
    key_id = openai_synth.params.settings["coldstore_kms_key_id"]
    for name in ("api", "chat", "coldstore"):
        kms = {(a, r) for a, r in openai_synth.granted(name) if a.startswith("kms:")}
        assert {a for a, _ in kms} == {"kms:GenerateDataKey", "kms:Decrypt"}, name
        assert all(r.endswith(f":key/{key_id}") for _, r in kms), kms
        assert openai_synth.env(name)["PARLEY_COLDSTORE_SSE"] == "aws:kms"
    for name in ("workflows", "attachments", "authorizer"):
        assert not any(a.startswith("kms:") for a, _ in openai_synth.granted(name)), name
    assert not any(a.startswith("kms:") for name in NAMES for a, _ in synth.granted(name))


def test_table_grants_name_each_index_instead_of_a_wildcard(synth) -> None:
    index_grants = {r for a, r in synth.granted("api") if "/index/" in r}
    assert f"{synth.arn(synth.stack.data.tables['table_conversations'])}/index/by_user" in index_grants
    assert not any(r.endswith("/index/*") for r in index_grants)
    # An index takes reads only.
    assert {a for a, r in synth.granted("api") if "/index/" in r} == {"dynamodb:Query"}


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


def test_the_api_function_starts_from_a_snapstart_snapshot_behind_its_live_alias(synth) -> None:
    """SnapStart applies to published versions only: each deploy publishes one, the ``live`` alias
    points at it and API Gateway invokes the alias (an unqualified invoke would run $LATEST, cold)."""
    fn_id = synth.function_ids()["api"]
    assert synth.function("api")["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    versions = {k: v for k, v in synth.of_type("AWS::Lambda::Version").items()
                if v["Properties"]["FunctionName"] == {"Ref": fn_id}}
    assert len(versions) == 1
    (version_id, version), = versions.items()
    # An old version's snapshot is billed while it exists: replaced versions are deleted.
    assert version["DeletionPolicy"] == "Delete"
    alias_id = synth.invoke_ids()["api"]
    alias = synth.resources[alias_id]["Properties"]
    assert alias["Name"] == "live"
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    invoked = [m for m in synth.of_type("AWS::ApiGateway::Method").values()
               if "Uri" in m["Properties"].get("Integration", {})
               and {"Ref": alias_id} in m["Properties"]["Integration"]["Uri"]["Fn::Join"][1]]
    assert invoked, "no API Gateway method invokes the alias"
    assert not [m for m in synth.of_type("AWS::ApiGateway::Method").values()
                if {"Fn::GetAtt": [fn_id, "Arn"]} in m["Properties"].get("Integration", {}).get("Uri", {})
                .get("Fn::Join", [None, []])[1]]
    permissions = [p["Properties"] for p in synth.of_type("AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
                   and p["Properties"]["FunctionName"] == {"Ref": alias_id}]
    assert permissions, "API Gateway may not invoke the alias"


@pytest.mark.parametrize("name", [n for n in NAMES if n != "api"])
def test_other_functions_have_no_snapstart(synth, name: str) -> None:
    """chat: the Web Adapter (layer 27, LWA 1.0) runs uvicorn as its own process and relays no restore
    hook to it, so nothing could reseed it after a restore (docs/deploy.md, "SnapStart")."""
    assert "SnapStart" not in synth.function(name)["Properties"]
    assert synth.invoke_ids()[name] == synth.function_ids()[name]
