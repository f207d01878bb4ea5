"""Lambda entry for AppSync Events' authorizer of the live channel (see parley/sharing/live_auth.py).

Settings are read when the execution environment starts; nothing is fetched until the first token.
"""

from typing import Any

from parley.settings import Settings
from parley.sharing.live_auth import live_authorizer_from_settings

_authorizer = live_authorizer_from_settings(Settings.from_env())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _authorizer(event)
