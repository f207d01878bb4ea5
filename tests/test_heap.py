"""Start-up runs without the garbage collector, and freezes what it made (parley.heap; issue 21)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, json
collections = []
gc.callbacks.append(lambda phase, info: phase == "stop" and collections.append(info["generation"]))
{entry}
print(json.dumps({{"collections": len(collections), "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}))
"""


def _start(function: str, entry: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update({"PARLEY_MODE": "aws", "AWS_DEFAULT_REGION": "us-east-1", "AWS_LAMBDA_FUNCTION_NAME": "parley-test",
                "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),
                "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "core")])})
    out = subprocess.run([sys.executable, "-c", PROBE.format(entry=entry)], env=env, cwd=ROOT / "functions" / function,
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("function", ["api", "authorizer", "workflows", "coldstore", "attachments",
                                      "live_authorizer"])
def test_a_lambda_init_runs_without_the_collector_then_turns_it_back_on(function):
    started = _start(function, "import handler")
    # Without it, the api function's init ran ~250 collections (~50 ms of its ~500 ms). One may come
    # before the handler's first line runs, while the import machinery reads the module itself.
    assert started["collections"] <= 1
    assert started["enabled"] is True
    assert started["frozen"] > 10_000  # the modules and objects init made: never walked again


def test_the_chat_functions_factory_too():
    plain = _start("chat", "from parley.app import create_app\napp = create_app()")
    started = _start("chat", "from parley.heap import served_app\napp = served_app()")
    # The few left run while parley.heap itself is imported, before the factory turns the collector off.
    assert started["collections"] <= 5 < 50 < plain["collections"]
    assert started["enabled"] is True and started["frozen"] > 10_000
