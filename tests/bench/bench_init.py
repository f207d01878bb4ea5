"""Cold init of each Lambda function (issue 21): ``python tests/bench/run.py init``. Prints; asserts nothing.

What Lambda's init phase runs for a function, in a fresh interpreter each time: its entry module
imported from the function's own directory with the layers' code next on the path (as
``/var/task`` then ``/opt/python``), which builds its settings, clients and app at module load.
The streaming ``chat`` function has no Python handler: the Web Adapter starts
``uvicorn --factory parley.heap:served_app``, so its row imports what that command imports and calls
the factory. Timed inside the child from its first line, so the interpreter's own start (the same
for every function, and Lambda's to pay, not ours) is left out and reported on its own.

Bytecode is present (a warm-up run writes it where it is missing), as the layers ship it
(infra_cdk/bytecode.py); the "without .pyc" rows are the cost of a layer that ships none. The floor
row is the libraries no Parley function can do without at init (boto3, FastAPI, Powertools,
PynamoDB, Mangum). The machine is shared: read the min, and the spread.

The last rows are what init leaves to the first request (routes and response validators are built
on first use, see parley.api.lazy_routes): in a fresh interpreter, right after ``create_app()`` in
AWS mode, one request timed, then the same request again (steady state; the difference is the first
request's share of the work). ``GET /conversations`` answers 401 without a token, after the route's
matching, dependencies and error handling ran; ``/openapi.json`` builds every route and the document.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: The code measured: this checkout, or another one (``BENCH_INIT_SOURCE=<dir>``, a before/after on one machine).
ROOT = Path(os.environ.get("BENCH_INIT_SOURCE") or Path(__file__).resolve().parents[2])
CORE = ROOT / "layers" / "core"

#: name -> (the function's directory, relative to ROOT, put first on the path; what its init runs).
ENTRIES: dict[str, tuple[str, str]] = {
    "api": ("functions/api", "import handler"),
    "chat": ("functions/chat", "import uvicorn.main, uvicorn.loops.uvloop, uvicorn.protocols.http.httptools_impl\n"
                               "from parley.heap import served_app\nserved_app()"),
    "authorizer": ("functions/authorizer", "import handler"),
    "workflows": ("functions/workflows", "import handler"),
    "coldstore": ("functions/coldstore", "import handler"),
    "attachments": ("functions/attachments", "import handler"),
    "floor (boto3 + fastapi + powertools + pynamodb + mangum)":
        ("functions/api", "import boto3, fastapi, aws_lambda_powertools, pynamodb.models, mangum"),
}

#: The interpreter to measure: the Lambda's Python version where a venv of it is at hand
#: (``BENCH_INIT_PYTHON=/path/to/python3.12``), else this one.
PYTHON = os.environ.get("BENCH_INIT_PYTHON") or sys.executable

_TIMED = ("import time\n_t0, _c0 = time.perf_counter(), time.process_time()\n{code}\n"
          "print(time.perf_counter() - _t0, time.process_time() - _c0)\n")


def environment(function_dir: str, **extra: str) -> dict[str, str]:
    """AWS mode, as the functions run; nothing here reaches the network at init."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "PYTHON"))}
    env.update({
        "PARLEY_MODE": "aws", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "PYTHONPATH": os.pathsep.join([str(ROOT / function_dir), str(CORE), str(ROOT)]),
        # What Lambda's runtime sets: libraries that behave differently outside Lambda (the X-Ray SDK
        # makes sampling clients there) are measured as Lambda runs them.
        "LAMBDA_TASK_ROOT": str(ROOT / function_dir), "AWS_LAMBDA_FUNCTION_NAME": "parley-bench",
        **extra,
    })
    return env


def timed_run(function_dir: str, code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds the child spent running ``code`` (its own clocks, from its first line)."""
    out = subprocess.run([PYTHON, "-c", _TIMED.format(code=code)], env=env, cwd=ROOT / function_dir,
                         check=True, capture_output=True, text=True).stdout
    wall, cpu = out.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


#: (label, method, path) of the first-request rows.
FIRST_REQUESTS = [("GET /health", "GET", "/health"), ("GET /conversations (401)", "GET", "/conversations"),
                  ("GET /openapi.json", "GET", "/openapi.json")]
_FIRST_REQUEST = ("import time\nfrom starlette.testclient import TestClient\nfrom parley.app import create_app\n"
                  "client = TestClient(create_app())\nruns = []\nfor _ in range(2):\n"
                  "    t0 = time.perf_counter(); client.request({method!r}, {path!r})\n"
                  "    runs.append(time.perf_counter() - t0)\n"
                  "print(*runs)\n")


def first_request(method: str, path: str, n: int) -> list[tuple[float, float]]:
    """(first, second) wall seconds of one request right after init, each pair from a fresh interpreter."""
    env = environment("functions/api")
    runs = []
    for _ in range(n):
        out = subprocess.run([PYTHON, "-c", _FIRST_REQUEST.format(method=method, path=path)], env=env,
                             cwd=ROOT / "functions/api", check=True, capture_output=True, text=True).stdout
        first, second = out.strip().splitlines()[-1].split()
        runs.append((float(first), float(second)))
    return runs


def interpreter_start(n: int) -> list[tuple[float, float]]:
    import time

    runs = []
    for _ in range(n):
        started, before = time.perf_counter(), os.times()
        subprocess.run([PYTHON, "-c", "pass"], env=environment("functions/api"), check=True)
        after = os.times()
        runs.append((time.perf_counter() - started,
                     after.children_user + after.children_system - before.children_user - before.children_system))
    return runs


def _version() -> str:
    return subprocess.run([PYTHON, "-c", "import sys; print('Python', sys.version.split()[0])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _line(name: str, runs: list[tuple[float, float]]) -> str:
    wall = [w for w, _ in runs]
    cpu = statistics.median(c for _, c in runs)
    return (f"  {name:<58} min {min(wall) * 1000:5.0f}  median {statistics.median(wall) * 1000:5.0f}  "
            f"max {max(wall) * 1000:5.0f} ms  (CPU median {cpu * 1000:4.0f} ms, n={len(runs)})")


def main(argv: list[str] | None = None) -> None:
    args = list(argv or [])  # [runs] [function names]: `python -m tests.bench.bench_init 5 api chat`
    n = int(args.pop(0)) if args and args[0].isdigit() else 7
    chosen = [name for name in ENTRIES if not args or name.split()[0] in args]
    print(f"== cold init per Lambda function (import + construction), fresh interpreter each run, "
          f"{_version()}, code of {ROOT} ==")
    for name in chosen:
        function_dir, code = ENTRIES[name]
        if not (ROOT / function_dir).is_dir():
            continue
        env = environment(function_dir)
        timed_run(function_dir, code, env)  # writes any missing .pyc: the rows below read bytecode
        print(_line(name, [timed_run(function_dir, code, env) for _ in range(n)]), flush=True)
    # A layer without .pyc under a read-only /opt: every module compiled at every start, never cached.
    with tempfile.TemporaryDirectory() as empty:
        for name in [name for name in ("api", "chat") if name in chosen]:
            function_dir, code = ENTRIES[name]
            env = environment(function_dir, PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=empty)
            print(_line(f"{name}, without .pyc", [timed_run(function_dir, code, env) for _ in range(3)]),
                  flush=True)
    print(_line("interpreter start alone (python -c pass, wall)", interpreter_start(n)))
    if not args or "first" in args:
        print("== the first request after init (api app, AWS mode), then the same request again ==")
        for label, method, path in FIRST_REQUESTS:
            runs = first_request(method, path, min(n, 5))
            first, second = statistics.median(f for f, _ in runs), statistics.median(s for _, s in runs)
            print(f"  {label:<58} first median {first * 1000:5.1f} ms, then {second * 1000:5.1f} ms "
                  f"(n={len(runs)})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
