"""Lambda entry for the workflow tasks (Step Functions invokes it with ``{"task", "input"}``)."""

from __future__ import annotations

from typing import Any

from parley.container import build_container
from parley.observability import lambda_entry
from parley.settings import Settings

_settings = Settings.from_env()
_tasks = build_container(_settings).workflow_tasks.table


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _tasks[event["task"]](event["input"])


handler = lambda_entry(_settings, _handle)
