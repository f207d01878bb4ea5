"""The garbage collector around a process's start-up (the Lambda functions' init, ``parley dev``).

Start-up makes ~190K long-lived objects (modules, classes, pydantic schemas, botocore models) and few
cycles to free. The collector, left on, walks them over and over as they pile up: ~250 collections,
~50 ms of the ``api`` function's ~500 ms init here, as Lambda runs it. So start-up runs with it off: each entry point
calls ``gc.disable()`` before its first heavy import (a Lambda handler's first statement), then
:func:`after_start_up` once it has built its app.

Freezing then moves everything start-up made into a generation the collector never walks: a later
full collection scans only what requests made (~35 ms against ~120 ms here, a pause on the event
loop every stream shares). The price is start-up's own garbage (~27K objects, a few MB), which stays.
"""

from __future__ import annotations

import gc
from typing import Any


def after_start_up() -> None:
    """Start-up is over: freeze what it made, and turn the collector back on."""
    gc.freeze()
    gc.enable()


def served_app() -> Any:
    """The ``chat`` function's app (uvicorn's factory in functions/chat/run.sh), built with the collector
    off. This module is light: uvicorn imports it first, and the app's modules load in here."""
    gc.disable()
    from parley.app import create_app

    app = create_app()
    after_start_up()
    return app
