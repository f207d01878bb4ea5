"""Lambda entry for the cold-storage job, invoked by an EventBridge schedule.

Settings and clients are built when the execution environment starts (Lambda's init phase); each
invocation is one bounded run that stops well before the function's timeout, and the next
scheduled run resumes where it stopped.
"""

from __future__ import annotations

import gc

gc.disable()  # start-up runs without the garbage collector: see parley.heap

from typing import Any

from parley.container import build_container
from parley.heap import after_start_up
from parley.observability import lambda_entry
from parley.settings import Settings

#: Seconds kept back from the function's remaining time, to finish the conversation in hand.
MARGIN_S = 60

_settings = Settings.from_env()
_coldstore = build_container(_settings).coldstore


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = _coldstore.run(max_seconds=max(10.0, context.get_remaining_time_in_millis() / 1000 - MARGIN_S))
    return report.as_dict()


handler = lambda_entry(_settings, _handle)

after_start_up()
