"""The live channel on AWS: AppSync Events behind the live authorizer, published to by IAM from api and chat only."""

from __future__ import annotations

import json
from typing import Any


def _event_api(synth) -> tuple[str, dict[str, Any]]:
    (api_id, api), = synth.of_type("AWS::AppSync::Api").items()
    return api_id, api["Properties"]


def _statements(synth, role_name: str) -> list[dict[str, Any]]:
    policies = [p for k, p in synth.of_type("AWS::IAM::Policy").items() if k.startswith(role_name)]
    return [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_subscribers_go_through_the_live_authorizer_and_only_iam_publishes(synth) -> None:
    api_id, api = _event_api(synth)
    config = api["EventConfig"]
    providers = {p["AuthType"]: p for p in config["AuthProviders"]}
    assert set(providers) == {"AWS_IAM", "AWS_LAMBDA"}  # no API key, no anonymous access
    lambda_config = providers["AWS_LAMBDA"]["LambdaAuthorizerConfig"]
    assert lambda_config["AuthorizerUri"] == {"Fn::GetAtt": [synth.function_ids()["live_authorizer"], "Arn"]}
    assert lambda_config["AuthorizerResultTtlInSeconds"] == 0  # every subscription checked when made
    assert config["ConnectionAuthModes"] == [{"AuthType": "AWS_LAMBDA"}]
    assert config["DefaultPublishAuthModes"] == [{"AuthType": "AWS_IAM"}]
    assert config["DefaultSubscribeAuthModes"] == [{"AuthType": "AWS_LAMBDA"}]
    (namespace,) = synth.of_type("AWS::AppSync::ChannelNamespace").values()
    props = namespace["Properties"]
    assert props["Name"] == "conversations" and props["ApiId"] == {"Fn::GetAtt": [api_id, "ApiId"]}
    assert props["PublishAuthModes"] == [{"AuthType": "AWS_IAM"}]
    assert props["SubscribeAuthModes"] == [{"AuthType": "AWS_LAMBDA"}]
    # AppSync (this API only) may invoke the authorizer
    permissions = [p["Properties"] for p in synth.of_type("AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "appsync.amazonaws.com"]
    assert permissions == [{"Action": "lambda:InvokeFunction", "Principal": "appsync.amazonaws.com",
                            "FunctionName": {"Fn::GetAtt": [synth.function_ids()["live_authorizer"], "Arn"]},
                            "SourceArn": {"Fn::GetAtt": [api_id, "ApiArn"]}}]


def test_only_api_and_chat_may_publish_and_they_know_where(synth) -> None:
    api_id, _ = _event_api(synth)
    publishers = []
    for key, policy in synth.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "appsync" in json.dumps(statement["Action"]):
                assert statement["Action"] == "appsync:EventPublish", key
                assert "*" not in json.dumps(statement["Resource"]).replace('"Fn::', ""), key  # the one namespace
                assert api_id in json.dumps(statement["Resource"]) and "conversations" in json.dumps(
                    statement["Resource"])
                publishers.append(key)
    assert sorted(p.split("Role")[0] for p in publishers) == ["ApiFn", "Chat"]
    for name in ("api", "chat"):
        env = synth.function(name)["Properties"]["Environment"]["Variables"]
        assert env["PARLEY_LIVE_EVENTS_HTTP_DOMAIN"] == {"Fn::GetAtt": [api_id, "Dns.Http"]}
        assert env["PARLEY_LIVE_EVENTS_REALTIME_DOMAIN"] == {"Fn::GetAtt": [api_id, "Dns.Realtime"]}
    assert "PARLEY_LIVE_EVENTS_HTTP_DOMAIN" not in synth.function("workflows")["Properties"]["Environment"]["Variables"]
    outputs = synth.template["Outputs"]
    assert any(o["Value"] == {"Fn::GetAtt": [api_id, "Dns.Realtime"]} for o in outputs.values())


def test_the_live_authorizer_reads_conversations_by_key_only(synth) -> None:
    env = synth.function("live_authorizer")["Properties"]["Environment"]["Variables"]
    assert {"PARLEY_COGNITO_USER_POOL_ID", "PARLEY_COGNITO_CLIENT_ID", "PARLEY_TABLE_CONVERSATIONS"} <= set(env)
    role_key = synth.function_ids()["live_authorizer"].replace("Function", "Role")
    role_key = role_key[: role_key.index("Role") + 4]
    dynamo = [s for s in _statements(synth, role_key) if "dynamodb" in json.dumps(s["Action"])]
    conversations = [s for s in dynamo if "DataConversationsTable" in json.dumps(s["Resource"])]
    assert conversations and all(s["Action"] == "dynamodb:GetItem" for s in conversations)
    assert not any("/index/" in json.dumps(s["Resource"]) for s in conversations)
    assert not any("s3:" in json.dumps(s["Action"]) for s in _statements(synth, role_key))


def test_the_web_client_is_told_where_to_subscribe_and_may_connect_there(synth) -> None:
    """config.json names AppSync Events' realtime endpoint and HTTP host (the protocol's authorization
    header names it); the page's CSP lets it open that WebSocket."""
    from tests.infra.test_infra_resources import _config

    api_id, _ = _event_api(synth)
    live = _config(synth)["live"]
    assert live == {"realtimeUrl": f"wss://<{api_id}.Dns.Realtime>/event/realtime", "host": f"<{api_id}.Dns.Http>"}
    (policy,) = synth.of_type("AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = json.dumps(policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
                     ["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "wss://*.appsync-realtime-api." in csp
