"""Lambda entry for AppSync Events' authorizer of the live channel (see parley/sharing/live_auth.py).

Settings are read when the execution environment starts; nothing is fetched until the first token.
"""

import gc

gc.disable()  # start-up runs without the garbage collector: see parley.heap

from typing import Any

from parley.heap import after_start_up
from parley.settings import Settings
from parley.sharing.live_auth import live_authorizer_from_settings

_authorizer = live_authorizer_from_settings(Settings.from_env())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _authorizer(event)


after_start_up()
