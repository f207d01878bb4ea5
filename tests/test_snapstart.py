"""SnapStart restore hooks, and the init phase leaving nothing in the snapshot that they would have to undo."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

from parley import snapstart

ROOT = Path(__file__).resolve().parents[1]


def test_each_restored_copy_draws_its_own_random_numbers() -> None:
    snapshot = random.getstate()  # what every copy of the snapshot starts from
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        snapstart.after_restore()
        draws.append([random.random() for _ in range(4)])
    assert draws[0] != draws[1]


def test_hooks_are_registered_with_the_runtime_when_it_has_them(monkeypatch) -> None:
    registered, before = [], []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_after_restore = registered.append  # type: ignore[attr-defined]
    runtime.register_before_snapshot = before.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    assert snapstart.register_restore_hooks() is True
    assert registered == [snapstart.after_restore] and before == []

    def warm() -> None: ...

    assert snapstart.register_restore_hooks(warm=warm) is True
    assert before == [warm]


def test_without_the_runtime_nothing_is_registered(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as off Lambda
    assert snapstart.register_restore_hooks() is False


PROBE = """
import gc, json, sys, threading, types
import botocore.client, botocore.session, urllib3.connectionpool
runtime = sys.modules["snapshot_restore_py"] = types.ModuleType("snapshot_restore_py")
registered, before = [], []
runtime.register_after_restore = registered.append
runtime.register_before_snapshot = before.append
import handler
from parley.api.lazy_routes import DeferredRoute
routes = [r for r in handler._app.router.routes if isinstance(r, DeferredRoute)]
built_at_init = sum("dependant" in r.__dict__ for r in routes)
for hook in before:  # what the runtime runs after init, before it takes the snapshot
    hook()
gc.unfreeze()  # init froze what it made (parley.heap), and get_objects() leaves frozen objects out
objects = gc.get_objects()
print(json.dumps({
    "hooks": [f"{hook.__module__}.{hook.__name__}" for hook in registered],
    "before_snapshot": len(before), "routes_built_at_init": built_at_init,
    "routes_unbuilt_in_snapshot": sum("dependant" not in r.__dict__ for r in routes),
    "clients": sum(isinstance(o, botocore.client.BaseClient) for o in objects),
    "sessions": sum(isinstance(o, botocore.session.Session) for o in objects),
    "pools": sum(isinstance(o, urllib3.connectionpool.HTTPConnectionPool) for o in objects),
    "threads": threading.active_count(),
}))
"""


def test_the_api_init_phase_registers_the_hooks_and_creates_no_aws_client_connection_or_thread() -> None:
    """What init leaves is copied into every restored environment: a client made there would share its
    credentials and pooled connections across copies. Clients must wait for the first request. Routes
    are not built at init (cold start) but by the before-snapshot hook, so no restored copy builds one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    # As Lambda's runtime sets them: the X-Ray SDK (Tracer) makes its sampling clients only outside Lambda.
    env.update({"PARLEY_MODE": "aws", "AWS_DEFAULT_REGION": "us-east-1",
                "LAMBDA_TASK_ROOT": str(ROOT / "functions" / "api"), "AWS_LAMBDA_FUNCTION_NAME": "parley-api",
                "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / "api"), str(ROOT / "layers" / "core"),
                                               str(ROOT)])})
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT / "functions" / "api",
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {
        "hooks": ["parley.snapstart.after_restore"], "before_snapshot": 1, "routes_built_at_init": 0,
        "routes_unbuilt_in_snapshot": 0, "clients": 0, "sessions": 0, "pools": 0, "threads": 1}
