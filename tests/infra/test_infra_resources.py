"""Cognito, buckets, CloudFront, the web config, workflows, SageMaker, observability, modes."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import render

from infra_cdk.asl import state_machine_definition
from infra_cdk.inference import endpoint_plans
from infra_cdk.web import WEB_DIST
from infra_cdk.workflows import FUNCTION_ARN_VARIABLE, env_var, workflow_step_lists
from model_endpoints.serving import lmi_environment
from parley.catalog import load_catalog


def one(synth, cfn_type: str) -> dict[str, Any]:
    (resource,) = synth.of_type(cfn_type).values()
    return resource["Properties"]


# --- Cognito -------------------------------------------------------------------------------------

def test_web_client_uses_code_flow_without_a_secret(synth, openai_synth) -> None:
    client = one(synth, "AWS::Cognito::UserPoolClient")
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client.get("GenerateSecret", False) is False
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    cloudfront = f"https://<{synth.logical_id(synth.stack.web.distribution)}.DomainName>/"
    assert [synth.render(u) for u in client["CallbackURLs"]] == [cloudfront]
    assert [synth.render(u) for u in client["LogoutURLs"]] == [cloudfront]
    # With a custom domain: that one first, and the CloudFront URL still works.
    client = one(openai_synth, "AWS::Cognito::UserPoolClient")
    urls = [f"https://{openai_synth.params.domain.web_domain}/",
            f"https://<{openai_synth.logical_id(openai_synth.stack.web.distribution)}.DomainName>/"]
    assert [openai_synth.render(u) for u in client["CallbackURLs"]] == urls
    assert [openai_synth.render(u) for u in client["LogoutURLs"]] == urls


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


def test_data_bucket_cors_allows_presigned_posts_from_the_web_origins(synth, openai_synth) -> None:
    (cors,) = _data_bucket(synth)["Properties"]["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["POST"]
    assert [synth.render(o) for o in cors["AllowedOrigins"]] == [
        f"https://<{synth.logical_id(synth.stack.web.distribution)}.DomainName>"]
    (cors,) = _data_bucket(openai_synth)["Properties"]["CorsConfiguration"]["CorsRules"]
    assert f"https://{openai_synth.params.domain.web_domain}" in cors["AllowedOrigins"]


def test_data_bucket_lifecycle(synth) -> None:
    rules = {r["Id"]: r for r in _data_bucket(synth)["Properties"]["LifecycleConfiguration"]["Rules"]}
    data = synth.params.data
    assert rules["abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == \
        data.abort_multipart_days
    assert rules["expire-orphan-uploads"]["Prefix"] == "uploads/"
    assert rules["expire-orphan-uploads"]["ExpirationInDays"] == data.uploads_expire_days
    # A temporary chat's offloaded contents go with it (its items carry a DynamoDB TTL).
    assert rules["expire-temporary-contents"]["Prefix"] == "temporary/"
    assert rules["expire-temporary-contents"]["ExpirationInDays"] == 31
    cold = rules["cold-transition"]
    assert cold["Prefix"] == "cold/"
    assert cold["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": data.cold_transition_days}]
    # Only objects of 128 KB and more (Glacier IR bills anything smaller as 128 KB); a string, as
    # CloudFormation types it.
    assert cold["ObjectSizeGreaterThan"] == str(128 * 1024 - 1)


def test_nothing_ever_expires_cold_archives(synth) -> None:
    """An archive is the only copy of a conversation: no rule that expires objects may reach cold/."""
    for rule in _data_bucket(synth)["Properties"]["LifecycleConfiguration"]["Rules"]:
        prefix = rule.get("Prefix", rule.get("Filter", {}).get("Prefix", ""))
        reaches_cold = "cold/".startswith(prefix) or prefix.startswith("cold/")
        if reaches_cold:
            assert not {"ExpirationInDays", "ExpirationDate", "ExpiredObjectDeleteMarker"} & rule.keys(), rule


# --- CloudFront and the web config -----------------------------------------------------------------

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _cache_policy_for(dist: dict[str, Any], path: str) -> str:
    """The cache policy CloudFront applies to a request path (first matching behaviour, else default)."""
    for behaviour in dist.get("CacheBehaviors", []):
        if fnmatch.fnmatchcase(path, behaviour["PathPattern"]):
            return behaviour["CachePolicyId"]
    return dist["DefaultCacheBehavior"]["CachePolicyId"]


def test_distribution_oac_spa_fallback_and_headers(synth) -> None:
    dist = one(synth, "AWS::CloudFront::Distribution")["DistributionConfig"]
    assert synth.of_type("AWS::CloudFront::OriginAccessControl")
    assert dist["Origins"][0]["OriginAccessControlId"]
    assert {(e["ErrorCode"], e["ResponseCode"], e["ResponsePagePath"]) for e in dist["CustomErrorResponses"]} == {
        (403, 200, "/index.html"), (404, 200, "/index.html")}
    assert dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    headers = one(synth, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for needed in ("default-src 'self'", "frame-ancestors 'none'", "execute-api", "amazoncognito.com", ".s3."):
        assert needed in csp


def test_only_hashed_assets_are_cached(synth) -> None:
    dist = one(synth, "AWS::CloudFront::Distribution")["DistributionConfig"]
    for path in ("/", "/index.html", "/config.json"):
        assert _cache_policy_for(dist, path) == CACHING_DISABLED, path
    assert _cache_policy_for(dist, "/assets/index-DI-GELRZ.js") == CACHING_OPTIMIZED
    # Every file of the current build outside assets/ is served uncached too.
    dist_dir = WEB_DIST
    if dist_dir.is_dir():
        for file in dist_dir.rglob("*"):
            if file.is_file() and file.relative_to(dist_dir).parts[0] != "assets":
                assert _cache_policy_for(dist, f"/{file.relative_to(dist_dir)}") == CACHING_DISABLED, file


def _config(synth) -> dict[str, Any]:
    deployment = one(synth, "Custom::CDKBucketDeployment")
    assert "/config.json" in deployment["DistributionPaths"]
    files = list(Path(synth.outdir).glob("asset.*/config.json"))
    assert len(files) == 1
    markers = {k: v for m in deployment["SourceMarkers"] for k, v in m.items()}
    return json.loads(_fill(files[0].read_text(), markers))


def test_config_json_tells_the_client_where_api_and_cognito_are(synth) -> None:
    config = _config(synth)
    assert set(config) == {"mode", "apiBaseUrl", "region", "auth", "cognito", "live"}
    assert config["mode"] == "aws"
    assert config["region"] == "<Ref AWS::Region>"
    api = synth.logical_id(synth.stack.api.rest_api)
    assert config["apiBaseUrl"] == f"https://<Ref {api}>.execute-api.<Ref AWS::Region>.<Ref AWS::URLSuffix>/prod"
    web = f"https://<{synth.logical_id(synth.stack.web.distribution)}.DomainName>/"
    pool = f"<Ref {synth.logical_id(synth.stack.identity.user_pool)}>"
    client = f"<Ref {synth.logical_id(synth.stack.identity.client)}>"
    assert config["auth"] == {
        "userPoolId": pool, "clientId": client,
        "domain": f"https://<Ref {synth.logical_id(synth.stack.identity.domain)}>.auth.{synth.params.region}"
                  ".amazoncognito.com",
        "redirectUri": web, "logoutUri": web, "scopes": ["openid", "email", "profile"], "tokenType": "id",
    }
    assert config["cognito"] == {"userPoolId": pool, "clientId": client, "domain": config["auth"]["domain"],
                                 "redirectUri": web, "region": "<Ref AWS::Region>"}


def test_config_json_with_custom_domains(openai_synth) -> None:
    config = _config(openai_synth)
    domain = openai_synth.params.domain
    assert config["apiBaseUrl"] == f"https://{domain.api_domain}"
    assert config["auth"]["redirectUri"] == config["auth"]["logoutUri"] == f"https://{domain.web_domain}/"


def test_the_web_client_reads_config_json_as_aws_mode(synth) -> None:
    """Runs web/src/config.ts's own parseConfig (compiled by the web build's esbuild) on the file."""
    esbuild = WEB_DIST.parent / "node_modules" / "esbuild"
    node = shutil.which("node")
    if node is None or not esbuild.is_dir():
        pytest.skip("needs node and web/node_modules (make web)")
    script = (
        "const fs = require('fs'); const esbuild = require(process.argv[1]);"
        "const code = esbuild.transformSync(fs.readFileSync(process.argv[2], 'utf8'),"
        " {loader: 'ts', format: 'cjs'}).code;"
        "const m = {exports: {}};"
        "new Function('module', 'exports', 'location', code)(m, m.exports, {origin: 'https://elsewhere'});"
        "process.stdout.write(JSON.stringify(m.exports.parseConfig(JSON.parse(process.argv[3]))));"
    )
    config = _config(synth)
    result = subprocess.run([node, "-e", script, str(esbuild), str(WEB_DIST.parent / "src" / "config.ts"),
                             json.dumps(config)], capture_output=True, text=True, timeout=60, check=True)
    parsed = json.loads(result.stdout)
    assert parsed["mode"] == "aws"
    assert parsed["apiBaseUrl"] == config["apiBaseUrl"]
    assert parsed["realtime"] == {"url": config["live"]["realtimeUrl"], "host": config["live"]["host"]}
    fields = ("clientId", "userPoolId", "domain", "redirectUri")
    assert [parsed["cognito"][f] for f in fields] == [config["auth"][f] for f in fields]


def _fill(text: str, markers: dict[str, Any]) -> str:
    """Replace the deployment's markers with a readable rendering of the CloudFormation values."""
    for marker, value in markers.items():
        text = text.replace(marker, render(value))
    return text


# --- Workflows -----------------------------------------------------------------------------------

def test_state_machines_are_the_pure_asl_definitions(synth) -> None:
    machines = synth.stack.workflows.state_machines
    assert set(machines) == set(workflow_step_lists()) >= {"summarize", "title"}
    for name, steps in workflow_step_lists().items():
        props = synth.resources[synth.logical_id(machines[name])]["Properties"]
        # Titles start once per new conversation: Express (docs/scaling.md has the quota and cost).
        assert props["StateMachineType"] == ("EXPRESS" if name == "title" else "STANDARD")
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
    uris = {p.spec.id: p.model_s3_uri for p in plans}
    for spec in served:
        env = lmi_environment(spec.serving, model_uri=uris[spec.id])
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
        # Only the secret's name: the functions read the key at run time, so neither the template nor
        # the function configuration holds it.
        assert "PARLEY_OPENAI_API_KEY" not in env
        assert env["PARLEY_OPENAI_API_KEY_SECRET"] == "parley/openai-key"
    for name in ("chat", "workflows"):  # the functions that call the model
        assert ("secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:us-east-1:<Ref AWS::AccountId>:secret:parley/openai-key-??????"
                ) in openai_synth.granted(name)
    assert not any(a == "secretsmanager:GetSecretValue" for a, _ in openai_synth.granted("api"))
    # No endpoint alarms or grants without endpoints.
    for policy in openai_synth.of_type("AWS::IAM::Policy").values():
        assert "sagemaker:InvokeEndpoint" not in json.dumps(policy)


# --- Observability -------------------------------------------------------------------------------

def test_dashboard_shows_latency_percentiles_and_endpoints(synth) -> None:
    body = json.dumps(one(synth, "AWS::CloudWatch::Dashboard")["DashboardBody"])
    for needed in ("TimeToFirstTokenMs", "p50", "p95", "p99", "CacheHits", "CostUSD", "TokensPerSecond",
                   "ModelLatency", "Invocation5XXErrors", "Invocations"):
        assert needed in body, needed
