"""The steps -> Amazon States Language conversion (pure Python, no CDK)."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from moto import mock_aws

from infra_cdk.asl import FAILED_STATE, LAMBDA_SERVICE_ERRORS, state_machine_definition, task_event
from infra_cdk.layout import ROOT
from parley.workflows.steps import SUMMARIZE_STEPS, TITLE_STEPS, Retry, Step

ARN = "arn:aws:lambda:us-east-1:123456789012:function:parley-workflows"


def test_each_step_is_a_task_of_the_workflow_function() -> None:
    asl = state_machine_definition(SUMMARIZE_STEPS, ARN)
    assert asl["StartAt"] == SUMMARIZE_STEPS[0].name
    for step in SUMMARIZE_STEPS:
        state = asl["States"][step.name]
        assert state["Type"] == "Task"
        assert state["Resource"] == ARN
        assert state["Parameters"] == {"task": step.task, "input.$": "$"} == task_event(step)
        assert state["ResultPath"] == f"$.{step.task}"
    assert asl["States"][SUMMARIZE_STEPS[-1].name]["End"] is True


def test_continue_if_ends_in_succeed_unless_the_field_is_true() -> None:
    asl = state_machine_definition(SUMMARIZE_STEPS, ARN)
    gated = next(s for s in SUMMARIZE_STEPS if s.continue_if)
    choice = asl["States"][asl["States"][gated.name]["Next"]]
    assert choice["Type"] == "Choice"
    (rule,) = choice["Choices"]
    field = f"$.{gated.task}.{gated.continue_if}"
    assert rule["And"] == [{"Variable": field, "IsPresent": True}, {"Variable": field, "BooleanEquals": True}]
    following = SUMMARIZE_STEPS[SUMMARIZE_STEPS.index(gated) + 1].name
    assert rule["Next"] == following
    assert asl["States"][choice["Default"]] == {"Type": "Succeed"}


def test_retries_come_from_the_steps_and_no_error_is_in_two_retriers() -> None:
    for steps in (SUMMARIZE_STEPS, TITLE_STEPS):
        asl = state_machine_definition(steps, ARN)
        for step in steps:
            retriers = asl["States"][step.name]["Retry"]
            for retry, rendered in zip(step.retries, retriers, strict=False):
                assert rendered == {"ErrorEquals": list(retry.errors), "IntervalSeconds": retry.interval_s,
                                    "MaxAttempts": retry.max_attempts, "BackoffRate": retry.backoff_rate}
            names = [e for r in retriers for e in r["ErrorEquals"]]
            assert len(names) == len(set(names)), step.name
            assert set(LAMBDA_SERVICE_ERRORS) <= set(names)


def test_every_transition_exists_and_every_state_is_reachable() -> None:
    steps = (
        Step("A", "a", continue_if="go"),
        Step("B", "b", retries=(Retry(("X",), 2),), continue_if="more"),
        Step("C", "c", continue_if="ignored_on_last"),
    )
    asl = state_machine_definition(steps, ARN, comment="test")
    states = asl["States"]
    seen, todo = set(), [asl["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        targets = [state.get("Next"), state.get("Default"), *(c["Next"] for c in state.get("Choices", [])),
                   *(c["Next"] for c in state.get("Catch", []))]
        for target in filter(None, targets):
            assert target in states
            todo.append(target)
    assert seen == set(states)
    assert states["C"]["End"] is True


def test_every_task_ends_in_the_fail_state_once_its_retries_are_spent() -> None:
    asl = state_machine_definition((Step("A", "a"), Step("B", "b", retries=(Retry(("X",), 2),))), ARN)
    states = asl["States"]
    for name in ("A", "B"):
        assert states[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                          "Next": FAILED_STATE}]
    assert states[FAILED_STATE]["Type"] == "Fail"


def test_bad_step_lists_are_refused() -> None:
    with pytest.raises(ValueError):
        state_machine_definition((), ARN)
    with pytest.raises(ValueError):
        state_machine_definition((Step("A", "a"), Step("A", "b")), ARN)


def test_importing_it_loads_no_cdk() -> None:
    code = "import sys, infra_cdk.asl; print(any(m.startswith(('aws_cdk', 'jsii')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_step_functions_accepts_the_definition_under_moto() -> None:
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                               "Statement": []}))["Role"]["Arn"]
        for name, steps in (("summarize", SUMMARIZE_STEPS), ("title", TITLE_STEPS)):
            created = sfn.create_state_machine(name=name, roleArn=role,
                                               definition=json.dumps(state_machine_definition(steps, ARN)))
            described = sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])
            assert json.loads(described["definition"])["StartAt"] == steps[0].name
