"""Steps -> Amazon States Language, as a plain dict. Pure Python: no CDK import, cheap to import.

The CDK app (``infra_cdk/workflows.py``) deploys exactly this definition with the workflow
function's ARN substituted, and tests can run the same dict under moto (``create_state_machine``
with ``definition=json.dumps(state_machine_definition(steps, function_arn))``).

Shape of one execution (the in-process runner mirrors it):

* The execution input is a JSON object (e.g. ``{"conversationId": ..., "userId": ...}``).
* Each step invokes the workflow function with the event ``{"task": step.task, "input": <state>}``,
  where ``<state>`` is the execution input plus the results of the steps so far.
* The function returns a JSON object; it is stored in the state under the step's task name
  (``ResultPath: $.<task>``), so later steps read ``input["<earlier task>"]``.
* A step with ``continue_if="needed"`` is followed by a Choice: the workflow goes on only when
  ``$.<task>.needed`` is present and ``true``; otherwise it ends in a Succeed state.
* A step's ``retries`` become its ``Retry`` list (error names are the Lambda function's error
  types, e.g. ``ModelError`` raised by a task); transient Lambda service errors are retried too.
* The execution output is the final state.
* A step whose retries are exhausted is caught (``States.ALL``) into one ``Fail`` state,
  ``FAILED_STATE``, with the error and cause of the step under ``$.error``: every failure ends the
  same named way, and the failed-executions alarm counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parley.workflows.steps import Retry, Step

#: Lambda service faults worth retrying on every step (as CDK's ``LambdaInvoke`` does by default).
LAMBDA_SERVICE_ERRORS = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
)
SERVICE_RETRY = Retry(LAMBDA_SERVICE_ERRORS, max_attempts=6, interval_s=2, backoff_rate=2.0)
FAILED_STATE = "Workflow failed"
FAILED_ERROR = "ParleyWorkflowFailed"


def task_event(step: Step) -> dict[str, Any]:
    """The ``Parameters`` of a step's task: what the workflow function receives."""
    return {"task": step.task, "input.$": "$"}


def _retriers(step: Step) -> list[dict[str, Any]]:
    retries = list(step.retries)
    listed = {error for retry in retries for error in retry.errors}
    # An error name may appear in only one retrier; the step's own retry wins.
    service = tuple(e for e in SERVICE_RETRY.errors if e not in listed)
    if service:
        retries.append(Retry(service, SERVICE_RETRY.max_attempts, SERVICE_RETRY.interval_s, SERVICE_RETRY.backoff_rate))
    return [
        {
            "ErrorEquals": list(r.errors),
            "IntervalSeconds": r.interval_s,
            "MaxAttempts": r.max_attempts,
            "BackoffRate": r.backoff_rate,
        }
        for r in retries
    ]


def state_machine_definition(steps: Sequence[Step], function_arn: str, comment: str = "") -> dict[str, Any]:
    """The ASL document for ``steps``, each a task of the Lambda function ``function_arn``."""
    if not steps:
        raise ValueError("a workflow needs at least one step")
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"step names must be unique: {names}")

    states: dict[str, Any] = {}
    for index, step in enumerate(steps):
        following = steps[index + 1].name if index + 1 < len(steps) else None
        task: dict[str, Any] = {
            "Type": "Task",
            # The function ARN as the resource: the task's output is the function's return value.
            "Resource": function_arn,
            "Parameters": task_event(step),
            "ResultPath": f"$.{step.task}",
            "Retry": _retriers(step),
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILED_STATE}],
        }
        states[step.name] = task
        if step.continue_if and following:
            choice_name, done_name = f"{step.name}?", f"{step.name}: nothing to do"
            field = f"$.{step.task}.{step.continue_if}"
            task["Next"] = choice_name
            states[choice_name] = {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": field, "IsPresent": True},
                            {"Variable": field, "BooleanEquals": True},
                        ],
                        "Next": following,
                    }
                ],
                "Default": done_name,
            }
            states[done_name] = {"Type": "Succeed"}
        elif following:
            # (A condition on the last step decides nothing: the workflow ends either way.)
            task["Next"] = following
        else:
            task["End"] = True

    states[FAILED_STATE] = {"Type": "Fail", "Error": FAILED_ERROR,
                            "Cause": "a step failed after its retries (the step's error is in the execution history)"}
    definition: dict[str, Any] = {"StartAt": steps[0].name, "States": states}
    if comment:
        definition = {"Comment": comment, **definition}
    return definition
