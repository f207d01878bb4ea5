"""Nothing unbacked: versioned data, a dead-letter queue on every asynchronous path, workflows that
fail by name, titles on Express; several regions; where the assembly goes; the deploy guide."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import SECOND_REGION

from infra_cdk.asl import FAILED_STATE

ROOT = Path(__file__).resolve().parents[2]


def _data_bucket(synth) -> dict:
    return synth.resources[synth.logical_id(synth.stack.data.bucket)]["Properties"]


def test_the_data_bucket_is_versioned_and_old_versions_expire(synth) -> None:
    props = _data_bucket(synth)
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": synth.params.data.noncurrent_expire_days}


def _queue_arn(synth, name: str) -> dict:
    return {"Fn::GetAtt": [synth.logical_id(synth.stack.dead_letter_queues[name]), "Arn"]}


def test_every_asynchronous_path_has_a_dead_letter_queue(synth) -> None:
    fns = synth.function_ids()
    configs = {c["Properties"]["FunctionName"]["Ref"]: c["Properties"]
               for c in synth.of_type("AWS::Lambda::EventInvokeConfig").values()}
    # S3 ObjectCreated -> attachments, and the schedule -> coldstore, are asynchronous invokes.
    for fn, queue in (("attachments", "attachments-uploads"), ("coldstore", "coldstore")):
        config = configs[fns[fn]]
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == _queue_arn(synth, queue)
        assert config["MaximumRetryAttempts"] == 2
    (mapping,) = synth.of_type("AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == _queue_arn(
        synth, "attachments-expiry")
    (rule,) = synth.of_type("AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    assert target["DeadLetterConfig"]["Arn"] == _queue_arn(synth, "coldstore")
    for queue in synth.of_type("AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_workflows_catch_into_a_fail_state_and_titles_run_express(synth) -> None:
    for name, machine in synth.stack.workflows.state_machines.items():
        props = synth.resources[synth.logical_id(machine)]["Properties"]
        states = json.loads(props["DefinitionString"])["States"]
        tasks = [s for s in states.values() if s["Type"] == "Task"]
        assert tasks and all(t["Catch"][0]["Next"] == FAILED_STATE for t in tasks)
        assert states[FAILED_STATE]["Type"] == "Fail"
        assert props["StateMachineType"] == ("EXPRESS" if name == "title" else "STANDARD")


def test_two_regions_share_global_tables_and_one_api_name(regions_synth) -> None:
    primary, (second,) = regions_synth, regions_synth.replicas
    tables = primary.of_type("AWS::DynamoDB::GlobalTable")
    assert len(tables) == len(primary.stack.data.definitions)
    for table in tables.values():
        replicas = {r["Region"]: r for r in table["Properties"]["Replicas"]}
        assert set(replicas) == {"us-east-1", SECOND_REGION}
        assert all(r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] for r in replicas.values())
    # The second region deploys no table, no user pool, no web client: it uses the primary's.
    # ... nor a cold-storage schedule or table stream mapping (one region archives; replicas have no named stream).
    for absent in ("AWS::DynamoDB::GlobalTable", "AWS::Cognito::UserPool", "AWS::CloudFront::Distribution",
                   "AWS::Events::Rule", "AWS::Lambda::EventSourceMapping"):
        assert not second.of_type(absent), absent
    assert second.stack.region == SECOND_REGION
    csp = json.dumps(primary.of_type("AWS::CloudFront::ResponseHeadersPolicy"))
    assert f"https://*.s3.{SECOND_REGION}.amazonaws.com" in csp  # uploads to the second region's bucket
    env = json.dumps(second.env("authorizer"))
    assert '"Fn::GetStackOutput"' in env and '"Region": "us-east-1"' in env
    for synth in (primary, second):
        (record,) = synth.of_type("AWS::Route53::RecordSet").values()
        (check,) = synth.of_type("AWS::Route53::HealthCheck").values()
        props = record["Properties"]
        assert props["Name"] == f"{primary.params.domain.api_domain}." and props["Type"] == "A"
        assert props["Region"] == synth.stack.region and props["SetIdentifier"] == f"api-{synth.stack.region}"
        assert props["HealthCheckId"] == {"Ref": next(iter(synth.of_type("AWS::Route53::HealthCheck")))}
        config = check["Properties"]["HealthCheckConfig"]
        assert config["Type"] == "HTTPS" and config["ResourcePath"] == "/prod/health"
        assert synth.stack.region in json.dumps(config["FullyQualifiedDomainName"])
        # Each region: its own API, functions, bucket and alarms.
        assert synth.of_type("AWS::S3::Bucket") and synth.of_type("AWS::Lambda::Function")
        assert synth.of_type("AWS::ApiGateway::RestApi") and synth.of_type("AWS::CloudWatch::Alarm")


def test_synth_writes_cdk_out(monkeypatch, tmp_path) -> None:
    from infra_cdk.app import DEFAULT_OUTDIR, build_app

    monkeypatch.delenv("CDK_OUTDIR", raising=False)
    app, _, _ = build_app(context={"parley:fake_assets": "true"}, nag=False)
    assert Path(app.outdir) == DEFAULT_OUTDIR == ROOT / "cdk.out"
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path))
    app, _, _ = build_app(context={"parley:fake_assets": "true"}, nag=False)
    assert Path(app.outdir) == tmp_path


def test_the_deploy_guide_exists_and_is_what_readme_and_parameters_link() -> None:
    guide = ROOT / "docs" / "deploy.md"
    assert guide.is_file()
    assert "docs/deploy.md" in (ROOT / "README.md").read_text()
    assert "docs/deploy.md" in json.loads((ROOT / "infra_cdk" / "parameters.json").read_text())["$comment"]
    text = guide.read_text()
    # alarm_email is the first parameter the guide asks for.
    first = re.search(r"`(observability\.[a-z_]+|inference\.[a-z_.]+|[a-z_]+)`", text.split("## Parameters")[1])
    assert first is not None and first.group(1) == "observability.alarm_email"
    for needed in ("parley models stage", "0.36.0-lmi18.0.0-cu128", "release_notes.md", "regions"):
        assert needed in text, needed
