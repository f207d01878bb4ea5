"""Starting workflows: Step Functions in AWS, an in-process runner of the same steps locally.

The in-process runner walks the same ``Step`` description as the state machine, with the same
state passing (each result under its task name), the same Choice (``continue_if``) and the same
retries, so local mode and AWS run the same task functions in the same order.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from parley.observability import MetricsSink, logger
from parley.workflows.steps import SUMMARIZE_STEPS, TITLE_STEPS, Step

Task = Callable[[dict[str, Any]], dict[str, Any]]
WORKFLOWS: dict[str, Sequence[Step]] = {"summarize": SUMMARIZE_STEPS, "title": TITLE_STEPS}


class WorkflowStarter(Protocol):
    def start(self, workflow: str, name: str, payload: dict[str, Any]) -> None:
        """Start ``workflow`` (fire and forget). ``name`` makes repeated starts idempotent."""
        ...


def run_steps(
    steps: Sequence[Step],
    tasks: dict[str, Task],
    payload: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
    retry_scale: float = 1.0,
) -> dict[str, Any]:
    """Execute ``steps`` as the state machine would; returns the final state."""
    state: dict[str, Any] = json.loads(json.dumps(payload))
    for step in steps:
        state[step.task] = _run_with_retries(step, tasks[step.task], state, sleep, retry_scale)
        if step.continue_if and not state[step.task].get(step.continue_if):
            break
    return state


def _run_with_retries(step: Step, task: Task, state: dict[str, Any], sleep: Callable[[float], None],
                      retry_scale: float) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            return task(state)
        except Exception as exc:
            retry = next((r for r in step.retries if type(exc).__name__ in r.errors), None)
            if retry is None or attempt + 1 >= retry.max_attempts:
                raise
            sleep(retry.interval_s * retry.backoff_rate**attempt * retry_scale)
            attempt += 1


class InProcessStarter:
    """Local mode: runs a workflow on a background thread, once per name."""

    def __init__(self, tasks: dict[str, Task], metrics: MetricsSink, *, retry_scale: float = 1.0) -> None:
        self._tasks = tasks
        self._metrics = metrics
        self._retry_scale = retry_scale
        self._lock = threading.Lock()
        self._started: set[str] = set()
        self._threads: list[threading.Thread] = []

    def start(self, workflow: str, name: str, payload: dict[str, Any]) -> None:
        with self._lock:
            if name in self._started:
                return
            self._started.add(name)
        thread = threading.Thread(target=self._run, args=(workflow, name, payload), daemon=True,
                                  name=f"workflow-{name}")
        self._threads.append(thread)
        thread.start()

    def _run(self, workflow: str, name: str, payload: dict[str, Any]) -> None:
        try:
            run_steps(WORKFLOWS[workflow], self._tasks, payload, retry_scale=self._retry_scale)
            self._metrics.emit({"WorkflowSucceeded": 1}, {"workflow": workflow})
        except Exception as exc:
            # A failed summary never blocks chatting: the next turn trims instead.
            logger.warning("workflow failed", extra={"workflow": workflow, "error_type": type(exc).__name__})
            self._metrics.emit({"WorkflowFailed": 1}, {"workflow": workflow})

    def wait(self, timeout: float = 30.0) -> None:
        """Tests and the benchmark: wait for the workflows started so far."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(deadline - time.monotonic(), 0))


class StepFunctionsStarter:
    """AWS: one Standard execution per start; the name makes repeats no-ops."""

    def __init__(self, client_factory: Callable[[], Any], state_machines: dict[str, str], metrics: MetricsSink) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._arns = state_machines
        self._metrics = metrics

    def start(self, workflow: str, name: str, payload: dict[str, Any]) -> None:
        arn = self._arns.get(workflow)
        if not arn:
            logger.warning("no state machine configured", extra={"workflow": workflow})
            return
        if self._client is None:
            self._client = self._client_factory()
        try:
            self._client.start_execution(stateMachineArn=arn, name=name[:80], input=json.dumps(payload))
        except self._client.exceptions.ExecutionAlreadyExists:
            pass
        except Exception:
            logger.exception("starting a workflow failed", extra={"workflow": workflow})
            self._metrics.emit({"WorkflowFailed": 1}, {"workflow": workflow})
