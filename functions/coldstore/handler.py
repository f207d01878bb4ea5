"""Lambda entry for the cold-storage job, invoked by an EventBridge schedule.

Settings and clients are built when the execution environment starts (Lambda's init phase); each
invocation is one bounded run that stops well before the function's timeout, and the next
scheduled run resumes where it stopped.
"""

from __future__ import annotations

from typing import Any

from parley.coldstore import build_coldstore
from parley.container import aws_client, build_container
from parley.settings import Settings

#: Seconds kept back from the function's remaining time, to finish the conversation in hand.
MARGIN_S = 60

_settings = Settings.from_env()
_container = build_container(_settings)
_coldstore = build_coldstore(
    _settings,
    dynamodb=lambda: aws_client(_settings, "dynamodb", _settings.dynamodb_endpoint),
    s3=lambda: _container.s3,
    tables=_container.tables,
    repository=_container.conversations_repo,
)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remaining_s = context.get_remaining_time_in_millis() / 1000 if context is not None else 900.0
    report = _coldstore.run(max_seconds=max(10.0, remaining_s - MARGIN_S))
    return report.as_dict()
