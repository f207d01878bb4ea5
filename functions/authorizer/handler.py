"""Lambda entry for API Gateway's authorizer: Cognito tokens and Parley API keys (see docs/auth.md).

Settings are read when the execution environment starts; the user pool's JWKS is fetched on the first
JWT and kept for the life of the container. A TOKEN authorizer's event has no request id: its lines
carry the invocation's (``function_request_id``).
"""

import gc

gc.disable()  # start-up runs without the garbage collector: see parley.heap

from typing import Any

from parley.auth.lambda_authorizer import authorizer_from_settings
from parley.heap import after_start_up
from parley.observability import lambda_entry
from parley.settings import Settings

_settings = Settings.from_env()
_authorizer = authorizer_from_settings(_settings)


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _authorizer(event)


handler = lambda_entry(_settings, _handle)

after_start_up()
