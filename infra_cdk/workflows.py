"""Workflows: one Step Functions state machine per step list in ``parley.workflows.steps``.

Summarization is a Standard workflow (exactly once, up to an hour of retries). Titles are an
Express workflow: one starts per new conversation, so at scale it is the highest-rate workflow
by far (~2.3 K starts/s at the seed's peak): Standard would need a StartExecution quota of
thousands per second (the default bucket refills at 300/s in the largest regions) and cost ~$25 per
million state transitions; Express is billed per request and duration (~$1 per million + ~$1.7 per
million 1-second, 64 MB executions) and starts at a 6,000/s default. A title is idempotent and
short (one model call), so Express's at-least-once, 5-minute semantics fit. Figures:
docs/scaling.md.

Every module-level tuple named ``<NAME>_STEPS`` there (``SUMMARIZE_STEPS``, ``TITLE_STEPS``, and any
added later) becomes the state machine ``<name>``; the functions that start workflows get its ARN
as ``PARLEY_<NAME>_STATE_MACHINE_ARN`` (``Settings.<name>_state_machine_arn``; a new workflow
needs that Settings field too, which the infra tests check).

The definition is ``infra_cdk.asl.state_machine_definition(steps, "${WorkflowFunctionArn}")``
(pure Python), deployed with ``DefinitionBody.from_string`` and the function ARN substituted, so
the definition tests run under moto is byte for byte the deployed one.

Payload contract (the in-process runner mirrors it; see ``infra_cdk/asl.py``):
each step is the equivalent of ``tasks.LambdaInvoke(payload_response_only=True)`` of the
``workflows`` function with the event ``{"task": step.task, "input": <state>}``; ``<state>`` is the
execution input plus one key per finished step (its task name) holding that step's returned JSON
object. ``functions/workflows/handler.py`` dispatches ``TASKS[event["task"]](event["input"])``.
A step with ``continue_if`` ends the execution successfully unless ``$.<task>.<continue_if>`` is true.
Step retries come from ``step.retries`` (error names = the exception class names a task raises).
"""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra_cdk.asl import state_machine_definition
from infra_cdk.nag import acknowledge
from infra_cdk.parameters import Parameters
from parley.workflows import steps as steps_module
from parley.workflows.steps import Step

FUNCTION_ARN_VARIABLE = "WorkflowFunctionArn"
#: Workflows run as Express state machines (the rest are Standard).
EXPRESS = frozenset({"title"})


def workflow_step_lists() -> dict[str, tuple[Step, ...]]:
    """``name -> steps`` for every ``<NAME>_STEPS`` tuple in ``parley.workflows.steps``."""
    found: dict[str, tuple[Step, ...]] = {}
    for attr, value in vars(steps_module).items():
        if attr.endswith("_STEPS") and isinstance(value, tuple) and value and all(isinstance(s, Step) for s in value):
            found[attr.removesuffix("_STEPS").lower()] = value
    return dict(sorted(found.items()))


def env_var(name: str) -> str:
    return f"PARLEY_{name.upper()}_STATE_MACHINE_ARN"


class Workflows(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, params: Parameters,
                 function: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.state_machines: dict[str, sfn.StateMachine] = {}
        for name, steps in workflow_step_lists().items():
            log_group = logs.LogGroup(self, f"{name.capitalize()}Logs")
            log_group.node.default_child.add_property_override(  # type: ignore[union-attr]
                "RetentionInDays", params.observability.log_retention_days
            )
            definition = state_machine_definition(steps, f"${{{FUNCTION_ARN_VARIABLE}}}",
                                                  comment=f"Parley {name} workflow")
            role = iam.Role(self, f"{name.capitalize()}Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
            # The definition invokes the unqualified function only (no version or alias wildcard).
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
            )
            machine = sfn.StateMachine(
                self,
                name.capitalize(),
                definition_body=sfn.DefinitionBody.from_string(json.dumps(definition)),
                definition_substitutions={FUNCTION_ARN_VARIABLE: function.function_arn},
                state_machine_type=(sfn.StateMachineType.EXPRESS if name in EXPRESS
                                    else sfn.StateMachineType.STANDARD),
                role=role,
                # Express executions end after 5 minutes at most.
                timeout=Duration.minutes(5) if name in EXPRESS else Duration.hours(1),
                tracing_enabled=True,
                logs=sfn.LogOptions(
                    destination=log_group,
                    level=sfn.LogLevel.ALL,
                    # Execution data holds conversation text (summaries): never logged.
                    include_execution_data=False,
                ),
            )
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "Log delivery (logs:CreateLogDelivery etc.) and X-Ray actions support no resource-level "
                "permissions; CDK adds exactly those for logging and tracing.",
            )
            self.state_machines[name] = machine

    def environment(self) -> dict[str, str]:
        return {env_var(name): machine.state_machine_arn for name, machine in self.state_machines.items()}

    def grant_start(self, grantee: iam.IGrantable) -> None:
        if self.state_machines:
            grantee.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["states:StartExecution"],
                    resources=[m.state_machine_arn for m in self.state_machines.values()],
                )
            )
