"""`make bench`: every benchmark of the project, one after another. Prints figures; asserts nothing.

    python tests/bench/run.py            # all
    python tests/bench/run.py chat web   # some (names below)
    python tests/bench/run.py suite      # the test suite's wall time (never part of "all")
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCHES = {
    "chat": "tests.bench.bench_chat",  # issue 3 (and the call budget of issue 4)
    "relay": "tests.inference.bench_relay",  # backends' relay throughput
    "routing": "tests.bench.bench_routing",  # issue 4
    "summaries": "tests.bench.bench_summaries",  # issue 5
    "infra": "tests.infra.bench_infra",  # issue 6
    "web": "tests.bench.bench_web",  # issue 7
    "attachments": "tests.bench.bench_attachments",  # issue 8
    "safety": "tests.bench.bench_safety",  # issue 9
    "authorizer": "tests.api_keys.bench_authorizer",  # issue 10
    "coldstore": "tests.bench.bench_coldstore",  # issue 11
    "sizing": "tests.bench.bench_sizing",  # issue 18: endpoints fit their GPUs
    "search": "tests.bench.bench_search",  # issue 17
    "recall": "tests.bench.bench_recall",  # issue 17
    "gateway": "tests.bench.bench_gateway",  # issue 21: relay through one `parley dev` process, as the peers
    "reads": "tests.bench.bench_reads",  # issue 21: what a turn reads as the conversation grows
    "init": "tests.bench.bench_init",  # issue 21: cold init of each Lambda function
    "live": "tests.bench.bench_live",  # issue 16: live channel delivery latency, 50 viewers
    "suite": "tests.bench.bench_suite",  # issue 15: the test suite's wall time (only when named)
}
#: Named explicitly only: not part of a plain `make bench`.
OPT_IN = {"suite"}


def main(names: list[str]) -> int:
    chosen = names or [name for name in BENCHES if name not in OPT_IN]
    unknown = [n for n in chosen if n not in BENCHES]
    if unknown:
        print(f"unknown benchmarks: {unknown}; choose from {list(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n######## {name} ########", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(BENCHES[name])
            try:
                module.main([])  # benches that take arguments
            except TypeError:
                module.main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"!! {name} failed: {type(exc).__name__}: {exc}", flush=True)
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    if failed:
        print(f"\nbenchmarks that failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
