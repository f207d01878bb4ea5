"""Lambda entry for API Gateway's authorizer: Cognito tokens and Parley API keys (see docs/auth.md).

Settings are read when the execution environment starts; the user pool's JWKS is fetched on the first
JWT and kept for the life of the container.
"""

from typing import Any

from parley.auth.lambda_authorizer import authorizer_from_settings
from parley.settings import Settings

_authorizer = authorizer_from_settings(Settings.from_env())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _authorizer(event)
