"""Cognito, buckets, CloudFront, the web config, workflows, SageMaker, observability, modes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra_cdk.asl import state_machine_definition
from infra_cdk.inference import endpoint_plans
from infra_cdk.workflows import FUNCTION_ARN_VARIABLE, env_var, workflow_step_lists
from model_endpoints.catalog import load_catalog
from model_endpoints.serving import lmi_environment


def one(synth, cfn_type: str) -> dict[str, Any]:
    (resource,) = synth.of_type(cfn_type).values()
    return resource["Properties"]


# --- Cognito -------------------------------------------------------------------------------------

def test_web_client_uses_code_flow_without_a_secret(synth) -> None:
    client = one(synth, "AWS::Cognito::UserPoolClient")
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client.get("GenerateSecret", False) is False
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert "WebDistribution" in json.dumps(client["CallbackURLs"])


def test_tier_groups_and_hosted_ui(synth) -> None:
    groups = {g["Properties"]["GroupName"] for g in synth.of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"free", "plus"}
    assert synth.of_type("AWS::Cognito::UserPoolDomain")
    pool = one(synth, "AWS::Cognito::UserPool")
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["DeletionProtection"] == "ACTIVE"
    # No attribute a user could set to raise their own tier.
    assert not any(a.get("Name") == "tier" for a in pool.get("Schema", []))


# --- S3 ------------------------------------------------------------------------------------------

def _data_bucket(synth) -> dict[str, Any]:
    return synth.resources[synth.logical_id(synth.stack.data.bucket)]


def test_data_bucket_is_private_encrypted_and_tls_only(synth) -> None:
    bucket = _data_bucket(synth)
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    assert "LoggingConfiguration" in props
    policy = next(p["Properties"]["PolicyDocument"] for p in synth.of_type("AWS::S3::BucketPolicy").values()
                  if p["Properties"]["Bucket"] == {"Ref": synth.logical_id(synth.stack.data.bucket)})
    assert any(st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for st in policy["Statement"])


def test_data_bucket_cors_and_lifecycle(synth) -> None:
    props = _data_bucket(synth)["Properties"]
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert "PUT" in cors["AllowedMethods"]
    assert "WebDistribution" in json.dumps(cors["AllowedOrigins"])
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    data = synth.params.data
    assert rules["abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == \
        data.abort_multipart_days
    assert rules["expire-orphan-uploads"]["Prefix"] == "uploads/"
    assert rules["expire-orphan-uploads"]["ExpirationInDays"] == data.uploads_expire_days
    cold = rules["cold-transition"]
    assert cold["Prefix"] == "cold/"
    assert cold["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": data.cold_transition_days}]


# --- CloudFront and the web config -----------------------------------------------------------------

def test_distribution_oac_spa_fallback_and_headers(synth) -> None:
    dist = one(synth, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert synth.of_type("AWS::CloudFront::OriginAccessControl")
    assert dist["Origins"][0]["OriginAccessControlId"]
    assert {(e["ErrorCode"], e["ResponseCode"], e["ResponsePagePath"]) for e in dist["CustomErrorResponses"]} == {
        (403, 200, "/index.html"), (404, 200, "/index.html")}
    assert dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    config_behaviour = next(b for b in dist["CacheBehaviors"] if b["PathPattern"] == "/config.json")
    assert config_behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    headers = one(synth, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for needed in ("default-src 'self'", "frame-ancestors 'none'", "execute-api", "amazoncognito.com", ".s3."):
        assert needed in csp


def test_config_json_tells_the_client_where_api_and_cognito_are(synth) -> None:
    deployment = one(synth, "Custom::CDKBucketDeployment")
    assert "/config.json" in deployment["DistributionPaths"]
    files = list(Path(synth.outdir).glob("asset.*/config.json"))
    assert len(files) == 1
    text = files[0].read_text()
    markers = {k: v for m in deployment["SourceMarkers"] for k, v in m.items()}
    config = json.loads(_fill(text, markers))
    assert config["mode"] == "aws"
    assert "execute-api" in config["apiBaseUrl"] and config["apiBaseUrl"].endswith("/prod")
    assert config["auth"]["userPoolId"].startswith("<Ref IdentityUsers")
    assert config["auth"]["clientId"].startswith("<Ref IdentityUsersWebClient")
    assert config["auth"]["tokenType"] == "id"
    assert config["auth"]["scopes"] == ["openid", "email", "profile"]


def _fill(text: str, markers: dict[str, Any]) -> str:
    """Replace the deployment's markers with a readable rendering of the CloudFormation values."""
    def render(value: Any) -> str:
        if isinstance(value, str):
            return value
        if "Ref" in value:
            return f"<Ref {value['Ref']}>"
        if "Fn::GetAtt" in value:
            return f"<GetAtt {'.'.join(value['Fn::GetAtt'])}>"
        if "Fn::Join" in value:
            return "".join(render(v) for v in value["Fn::Join"][1])
        return json.dumps(value)

    for marker, value in markers.items():
        text = text.replace(marker, render(value))
    return text


# --- Workflows -----------------------------------------------------------------------------------

def test_state_machines_are_the_pure_asl_definitions(synth) -> None:
    machines = synth.stack.workflows.state_machines
    assert set(machines) == set(workflow_step_lists()) >= {"summarize", "title"}
    for name, steps in workflow_step_lists().items():
        props = synth.resources[synth.logical_id(machines[name])]["Properties"]
        assert props["StateMachineType"] == "STANDARD"
        expected = state_machine_definition(steps, f"${{{FUNCTION_ARN_VARIABLE}}}", comment=f"Parley {name} workflow")
        assert json.loads(props["DefinitionString"]) == expected
        workflows_fn = synth.function_ids()["workflows"]
        assert props["DefinitionSubstitutions"] == {FUNCTION_ARN_VARIABLE: {"Fn::GetAtt": [workflows_fn, "Arn"]}}
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
        assert props["TracingConfiguration"] == {"Enabled": True}
        for fn in ("api", "chat"):
            assert synth.env(fn)[env_var(name)] == {"Ref": synth.logical_id(machines[name])}


# --- SageMaker -----------------------------------------------------------------------------------

def test_one_autoscaled_endpoint_per_served_catalog_model(synth) -> None:
    plans = endpoint_plans(synth.params)
    served = [m for m in load_catalog().models if m.serving is not None]
    assert len(plans) == len(served) >= 1
    endpoints = {e["Properties"]["EndpointName"] for e in synth.of_type("AWS::SageMaker::Endpoint").values()}
    assert endpoints == {m.backend.endpoint for m in served}
    models = [m["Properties"]["PrimaryContainer"] for m in synth.of_type("AWS::SageMaker::Model").values()]
    for spec in served:
        env = lmi_environment(spec.serving)
        assert any(m["Environment"] == env for m in models), spec.id
        assert all("djl-inference:" in m["Image"] for m in models)
    targets = synth.of_type("AWS::ApplicationAutoScaling::ScalableTarget")
    assert len(targets) == len(served)
    for target in targets.values():
        assert target["Properties"]["MinCapacity"] == synth.params.inference.min_instances
        assert target["Properties"]["MaxCapacity"] == synth.params.inference.max_instances
    for policy in synth.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").values():
        config = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        metric = config["PredefinedMetricSpecification"]["PredefinedMetricType"]
        assert metric == "SageMakerVariantConcurrentRequestsPerModelHighResolution"
        assert config["TargetValue"] == synth.params.inference.target_concurrent_requests


def test_openai_mode_creates_no_gpu_and_points_functions_at_the_url(openai_synth) -> None:
    assert not openai_synth.of_type("AWS::SageMaker::Endpoint")
    assert not openai_synth.of_type("AWS::SageMaker::Model")
    assert not openai_synth.of_type("AWS::WAFv2::WebACL")
    for name in ("api", "chat", "workflows"):
        env = openai_synth.env(name)
        assert env["PARLEY_MODEL_BACKEND"] == "openai"
        assert env["PARLEY_OPENAI_BASE_URL"] == "https://llm.example.com/v1"
        # The key is resolved from Secrets Manager at deploy time; the template holds only its name.
        assert env["PARLEY_OPENAI_API_KEY"] == "{{resolve:secretsmanager:parley/openai-key:SecretString:::}}"
    # No endpoint alarms or grants without endpoints.
    for policy in openai_synth.of_type("AWS::IAM::Policy").values():
        assert "sagemaker:InvokeEndpoint" not in json.dumps(policy)


# --- Observability -------------------------------------------------------------------------------

def test_alarms_from_the_seed(synth) -> None:
    alarms = [a["Properties"] for a in synth.of_type("AWS::CloudWatch::Alarm").values()]
    obs = synth.params.observability

    def stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
        return [m["MetricStat"] for m in alarm.get("Metrics", []) if "MetricStat" in m]

    ttft = next(a for a in alarms if any(s["Metric"]["MetricName"] == "TimeToFirstTokenMs" for s in stats(a)))
    (stat,) = stats(ttft)
    assert stat["Stat"] == "p95" and ttft["Threshold"] == obs.ttft_p95_ms
    assert stat["Metric"]["Namespace"] == "Parley"
    assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": "parley"}]
    expressions = [m.get("Expression", "") for a in alarms for m in a.get("Metrics", [])]
    assert any("100 * e / (n + e)" in e for e in expressions)  # error rate
    assert any("100 * h / (h + m)" in e for e in expressions)  # cache hit rate
    cache = next(a for a in alarms if any("h + m" in m.get("Expression", "") for m in a.get("Metrics", [])))
    assert cache["ComparisonOperator"] == "LessThanThreshold" and cache["Threshold"] == obs.cache_hit_rate_min_percent
    endpoint_alarms = [a for a in alarms if any(s["Metric"]["MetricName"] == "Invocation5XXErrors" for s in stats(a))]
    assert len(endpoint_alarms) == len(synth.stack.inference.endpoints)
    topic = one(synth, "AWS::SNS::Topic")
    assert "KmsMasterKeyId" in topic
    assert all(a["AlarmActions"] for a in alarms)


def test_dashboard_shows_latency_percentiles_and_endpoints(synth) -> None:
    body = json.dumps(one(synth, "AWS::CloudWatch::Dashboard")["DashboardBody"])
    for needed in ("TimeToFirstTokenMs", "p50", "p95", "p99", "CacheHits", "CostUSD", "TokensPerSecond",
                   "ModelLatency", "Invocation5XXErrors", "Invocations"):
        assert needed in body, needed
