"""The one description of the summarization workflow's steps.

The CDK app builds the Step Functions (Standard) definition from it, the in-process runner executes
the same task functions in the same order, and tests run the real definition under moto: the
three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Retry:
    errors: tuple[str, ...]
    max_attempts: int = 3
    interval_s: int = 2
    backoff_rate: float = 2.0


@dataclass(frozen=True)
class Step:
    name: str  # the state name
    task: str  # the task function's key in ``parley.workflows.tasks.TASKS``
    retries: tuple[Retry, ...] = field(default_factory=tuple)
    #: A Choice after this step ends the workflow successfully when this result field is false.
    continue_if: str | None = None


#: Errors a model call raises that are worth retrying with backoff (raised by the task functions).
MODEL_ERRORS = ("ModelError", "Lambda.TooManyRequestsException", "Lambda.ServiceException")

SUMMARIZE_STEPS: tuple[Step, ...] = (
    Step(name="ChooseSpan", task="choose_span", continue_if="needed"),
    Step(name="Summarize", task="summarize", retries=(Retry(MODEL_ERRORS, max_attempts=4, interval_s=2),)),
    Step(name="StoreSummary", task="store_summary"),
)

TITLE_STEPS: tuple[Step, ...] = (
    Step(name="GenerateTitle", task="generate_title", retries=(Retry(MODEL_ERRORS, max_attempts=3),)),
)
