"""Lambda entry for the workflow tasks (Step Functions invokes it with ``{"task", "input"}``)."""

from __future__ import annotations

import gc

gc.disable()  # start-up runs without the garbage collector: see parley.heap

from typing import Any

from parley.container import build_container
from parley.heap import after_start_up
from parley.observability import lambda_entry
from parley.settings import Settings

_settings = Settings.from_env()
_tasks = build_container(_settings).workflow_tasks.table


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _tasks[event["task"]](event["input"])


handler = lambda_entry(_settings, _handle)

after_start_up()
