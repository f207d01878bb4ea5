"""The relay as the peers were measured (issue 21): a fake OpenAI upstream on loopback, one `parley dev`
process (local mode, real servers) with PARLEY_MODEL_BACKEND=openai pointed at it, and a load generator.

Scenarios (200-token answers, 5-char deltas): c1 and c50 with no token delay (relay capacity), c50 at
20 ms/token as a burst (50 streams start together) and as steady arrivals (first streams spread over 4 s);
for `/v1/chat/completions` and the native `POST /conversations/{id}/messages`. Reported: TTFT p50/p95
and its overhead over the upstream direct (same scenario, same percentile), delivered tokens/s, and CPU ms
per 1K tokens of the Parley process (utime+stime) and, apart, of its local servers (DynamoDB Local and
SeaweedFS: none of Parley's CPU on Lambda, but peerbench counts them with it, as the machine's).
Prints figures; asserts nothing; ~2 minutes.

As the issue's peers were measured: on a machine with 2+ cores the fake upstream, the load generator and
Parley's local servers (DynamoDB Local, SeaweedFS) run on CPU 0 and the Parley process alone on CPU 1
(`BENCH_PIN=0` turns that off).

    .venv/bin/python tests/bench/run.py gateway
    # before/after on the same machine: another checkout's code (e.g. `git archive` of a commit) served by
    # this venv
    BENCH_GATEWAY_SOURCE=/tmp/base .venv/bin/python tests/bench/run.py gateway
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.bench.loadgen import Target, scenario

ROOT = Path(__file__).resolve().parents[2]
PARLEY = Path(sys.executable).with_name("parley")

#: Seconds between the server's first health answer and the first scenario.
WARM_UP_S = 5.0

#: name, concurrency, measured rounds per worker, inter-token delay (ms), ramp (s)
SCENARIOS = (
    ("c1", 1, 20, 0, 0.0),
    ("c50", 50, 2, 0, 0.0),
    ("c50-20ms-burst", 50, 1, 20, 0.0),
    ("c50-20ms-steady", 50, 2, 20, 4.0),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ok(url: str, limit_s: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {limit_s} s")


def _pinning() -> bool:
    return os.environ.get("BENCH_PIN", "1") != "0" and len(os.sched_getaffinity(0)) >= 2


def _pin(pid: int, cpu: int) -> None:
    """Every thread of ``pid`` onto ``cpu`` (a thread's affinity is its own on Linux)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except OSError:
            pass  # a thread that just ended


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return found + [g for c in found for g in _children(c)]


def _post_json(url: str, body: dict) -> None:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    urllib.request.urlopen(request, timeout=5).close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def parley_env(upstream_port: int, data_dir: str) -> dict[str, str]:
    return {**os.environ, "PARLEY_MODE": "local", "PARLEY_DATA_DIR": data_dir, "PARLEY_MODEL_BACKEND": "openai",
            "PARLEY_OPENAI_BASE_URL": f"http://127.0.0.1:{upstream_port}/v1",
            "PARLEY_CACHE_ENABLED": "false",  # the load repeats prompts: no cache hits
            "PARLEY_LIMIT_PLUS_PER_HOUR": "10000000", "PARLEY_LIMIT_PLUS_TOKENS_PER_DAY": "100000000000",
            "PARLEY_GENERATE_TITLES": "false", "PARLEY_LOG_LEVEL": "WARNING"}


def run(names: tuple[str, ...] = ("direct", "v1", "native")) -> dict[str, dict[str, dict]]:
    upstream_port, parley_port = _free_port(), _free_port()
    data_dir = tempfile.mkdtemp(prefix="parley-gateway-bench-")
    cpus = sorted(os.sched_getaffinity(0))
    pin = _pinning()
    if pin:
        os.sched_setaffinity(0, {cpus[0]})  # the load generator (and what it starts, below)
    upstream = subprocess.Popen([sys.executable, str(ROOT / "tests/bench/fake_upstream.py"), "--port",
                                 str(upstream_port)], cwd=ROOT)
    env = parley_env(upstream_port, data_dir)
    if source := os.environ.get("BENCH_GATEWAY_SOURCE"):
        env["PYTHONPATH"] = f"{source}/layers/core:{source}"
        print(f"serving the code in {source}")
    # As shipped, DynamoDB Local commits every write to disk (~17 ms per UpdateItem here, against ~4 ms in
    # memory): BENCH_GATEWAY_EPHEMERAL=1 serves `parley dev --ephemeral` to see the relay without that.
    ephemeral = ["--ephemeral"] if os.environ.get("BENCH_GATEWAY_EPHEMERAL") == "1" else []
    if ephemeral:
        print("parley dev --ephemeral: DynamoDB Local in memory")
    parley = subprocess.Popen([str(PARLEY), "dev", *ephemeral, "--host", "127.0.0.1", "--port", str(parley_port)],
                              cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_ok(f"http://127.0.0.1:{upstream_port}/health", 20, upstream)
        _wait_ok(f"http://127.0.0.1:{parley_port}/health", 90, parley)
        servers = tuple(_children(parley.pid))  # DynamoDB Local and SeaweedFS
        if pin:
            _pin(parley.pid, cpus[1])
            for child in servers:
                _pin(child, cpus[0])
            print(f"pinned: Parley on CPU {cpus[1]}; upstream, load and local servers on CPU {cpus[0]}")
        # parley dev warms DynamoDB Local's JIT in the background for its first seconds (parley.local.warmup):
        # measured after that, as a server that has been up a while, not with c1 sharing the JVM with it.
        time.sleep(WARM_UP_S)
        token = subprocess.run([str(PARLEY), "token", "--user", "bench", "--tier", "plus"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
        auth = {"authorization": f"Bearer {token}"}
        targets = {"direct": (Target(upstream_port), None), "v1": (Target(parley_port, auth), parley.pid),
                   "native": (Target(parley_port, auth, native=True), parley.pid)}
        out: dict[str, dict[str, dict]] = {}
        for scenario_name, concurrency, rounds, itl_ms, ramp_s in SCENARIOS:
            _post_json(f"http://127.0.0.1:{upstream_port}/_config", {"itl_ms": itl_ms})
            for name in names:
                target, pid = targets[name]
                out.setdefault(scenario_name, {})[name] = _run_loop(scenario(
                    target, concurrency, rounds, ramp_s=ramp_s, cpu_pid=pid, server_pids=servers if pid else ()))
        return out
    finally:
        _stop(parley)
        _stop(upstream)
        shutil.rmtree(data_dir, ignore_errors=True)
        if pin:
            os.sched_setaffinity(0, set(cpus))


def _run_loop(coro):
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def table(results: dict[str, dict[str, dict]]) -> str:
    rows = ["| scenario | target | TTFT p50 / p95 ms | overhead p50 / p95 ms | tokens/s "
            "| CPU ms / 1K tokens: Parley / its servers | bad |",
            "|---|---|---|---|---|---|---|"]
    for scenario_name, by_target in results.items():
        direct = by_target.get("direct", {})
        for name, r in by_target.items():
            over = "–"
            if name != "direct" and direct and r.get("ttft_p50_ms") is not None:
                p50, p95 = r["ttft_p50_ms"] - direct["ttft_p50_ms"], r["ttft_p95_ms"] - direct["ttft_p95_ms"]
                over = f"+{p50:.1f} / +{p95:.1f}"
            cpu = f"{r.get('cpu_ms_per_1k_tokens', '–')} / {r.get('servers_cpu_ms_per_1k_tokens', '–')}"
            rows.append(f"| {scenario_name} | {name} | {r.get('ttft_p50_ms')} / {r.get('ttft_p95_ms')} | {over} | "
                        f"{r.get('tokens_per_s')} | {cpu} | {r['bad']}"
                        + (f" {r['errors']}" if r.get("errors") else "") + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    print("== gateway relay (issue 21): fake OpenAI upstream -> parley dev (openai backend) -> load ==")
    results = run()
    print(table(results))
    print("raw:", json.dumps(results))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
