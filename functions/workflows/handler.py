"""Lambda entry for the workflow tasks (Step Functions invokes it with ``{"task", "input"}``)."""

from __future__ import annotations

from typing import Any

from parley.container import build_container
from parley.settings import Settings

_tasks = build_container(Settings.from_env()).workflow_tasks.table


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _tasks[event["task"]](event["input"])
