"""The real state machine definition (the one the CDK app deploys), run by moto's executor.

moto runs Lambda functions in Docker, which is not available here, so the function's invocation
is served in-process by the same task table the Lambda handler uses; everything else (the ASL,
state passing, the Choice, retries) is moto's executor working on the deployed definition.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile

import boto3
import jwt
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.core.config import default_user_config

from infra_cdk.asl import state_machine_definition
from parley.workflows.steps import SUMMARIZE_STEPS, TITLE_STEPS
from tests.support import parse_sse
from tests.workflows.test_summaries import make_app, small_window_catalog

REGION = "us-east-1"


@pytest.fixture
def sfn_env(monkeypatch):
    monkeypatch.setitem(default_user_config, "stepfunctions", {"execute_state_machine": True})
    # Answers of 150 tokens: ten turns then pass the summary trigger of the small window.
    app = make_app(small_window_catalog(), generate_titles=False, sim_reply_tokens_min=150, sim_reply_tokens_max=150)
    # Step Functions, IAM and Lambda are moto's (they have no local server); the tables stay on
    # DynamoDB Local, whose loopback URL moto lets through.
    mock = mock_aws()
    mock.start()
    yield from _sfn_env(app, monkeypatch)
    mock.stop()


def _sfn_env(app, monkeypatch):
    tasks = app.state.container.workflow_tasks.table

    def invoke_in_process(self, event=None):
        body = event if isinstance(event, dict) else json.loads(event or "{}")
        try:
            return json.dumps(tasks[body["task"]](body["input"])), False, ""
        except Exception as exc:  # what Lambda returns for an unhandled error
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke_in_process)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=f"wf-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    fn = boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=f"parley-workflows-{uuid.uuid4().hex[:6]}", Runtime="python3.12", Role=role,
        Handler="handler.handler", Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    sfn = boto3.client("stepfunctions", region_name=REGION)

    def machine(steps) -> str:
        return sfn.create_state_machine(
            name=f"wf-{uuid.uuid4().hex[:6]}", roleArn=role, type="STANDARD",
            definition=json.dumps(state_machine_definition(steps, fn)),
        )["stateMachineArn"]

    yield app, sfn, machine


def user_of(auth: dict[str, str]) -> str:
    return jwt.decode(auth["Authorization"].split()[1], options={"verify_signature": False})["sub"]


def run(sfn, arn: str, payload: dict) -> dict:
    execution = sfn.start_execution(stateMachineArn=arn, name=f"run-{uuid.uuid4().hex[:8]}",
                                    input=json.dumps(payload))["executionArn"]
    for _ in range(300):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError("execution did not finish")


def test_summarize_definition_runs_under_moto(sfn_env, make_user):
    app, sfn, machine = sfn_env
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={"model": "parley-fast"}, headers=auth).json()["conversationId"]
    for i in range(10):
        events, _ = parse_sse(client.post(f"/conversations/{cid}/messages",
                                          json={"content": f"Fact {i}: " + "words to remember " * 30},
                                          headers=auth).text)
    leaf = events[0].data["messageId"]
    user = user_of(auth)
    arn = machine(SUMMARIZE_STEPS)
    done = run(sfn, arn, {"conversationId": cid, "userId": user, "leafMessageId": leaf})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["choose_span"]["needed"] is True
    assert output["store_summary"]["throughMessageId"] == output["choose_span"]["throughMessageId"]
    summaries = [i for i in app.state.container.tables.item.query(cid) if i.sk.startswith("S#")]
    assert len(summaries) >= 1
    # a second run over the same span is a no-op (idempotent conditional write)
    again = json.loads(run(sfn, arn, {"conversationId": cid, "userId": user, "leafMessageId": leaf})["output"])
    assert again.get("store_summary", {}).get("stored", False) is False


def test_nothing_to_summarize_ends_at_the_choice(sfn_env, make_user):
    app, sfn, machine = sfn_env
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    events, _ = parse_sse(client.post(f"/conversations/{cid}/messages", json={"content": "short"},
                                      headers=auth).text)
    user = user_of(auth)
    done = run(sfn, machine(SUMMARIZE_STEPS),
               {"conversationId": cid, "userId": user, "leafMessageId": events[0].data["messageId"]})
    assert done["status"] == "SUCCEEDED"
    output = json.loads(done["output"])
    assert output["choose_span"] == {"needed": False} and "summarize" not in output


def test_title_definition_runs_under_moto(sfn_env, make_user):
    app, sfn, machine = sfn_env
    client = TestClient(app)
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    client.post(f"/conversations/{cid}/messages", json={"content": "Plan a trip to Kyoto in spring"}, headers=auth)
    user = user_of(auth)
    done = run(sfn, machine(TITLE_STEPS), {"conversationId": cid, "userId": user, "leafMessageId": "x"})
    assert done["status"] == "SUCCEEDED", done
    assert client.get(f"/conversations/{cid}", headers=auth).json()["title"] == "Plan a trip to Kyoto in"
