"""Web client figures (issue 7): streamed delta to screen, and a 500-message conversation seeded
through the real API opened and scrolled in headless Chromium. Prints figures; asserts nothing.

Run: `.venv/bin/python tests/bench/bench_web.py` after `make web` (needs /usr/bin/chromium).
Two local servers: one streams at 40 tokens/s (to measure deltas), one answers instantly with high
limits (to seed 250 turns quickly).
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `tests.browser` importable
    sys.path.insert(0, str(ROOT))

from tests.browser.harness import (  # noqa: E402
    DIST,
    check_chromium,
    check_dist,
    chromium,
    running_server,
    seed_long_conversation,
)
from tests.browser.pages import send, sign_in  # noqa: E402
from tests.browser.perf import OPEN_AND_SCROLL_JS, scroll_figures, stream_figures  # noqa: E402

TURNS = 250
STREAMED_ANSWERS = 5


def bundle_sizes() -> dict[str, dict[str, int]]:
    sizes = {}
    for path in sorted((DIST / "assets").iterdir()):
        data = path.read_bytes()
        sizes[path.suffix.lstrip(".")] = {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9))}
    return sizes


def bench_streaming(browser) -> dict[str, object]:
    env = {"PARLEY_SIM_TTFT_MS": "100", "PARLEY_SIM_TOKENS_PER_S": "40", "PARLEY_LIMIT_PLUS_PER_HOUR": "1000"}
    with running_server(env, "bench-stream.log") as server:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server.url)
        page = context.new_page()
        page.goto("/")
        sign_in(page, "bench-stream")
        page.evaluate("window.__parleyPerf.reset()")
        for i in range(STREAMED_ANSWERS):
            send(page, f"Streaming figures, answer {i}")
        figures = stream_figures(page)
        context.close()
    return figures


def bench_long_conversation(browser) -> dict[str, object]:
    env = {
        "PARLEY_SIM_TTFT_MS": "0",
        "PARLEY_SIM_TOKENS_PER_S": "0",
        "PARLEY_LIMIT_PLUS_PER_HOUR": "100000",
        "PARLEY_LIMIT_PLUS_TOKENS_PER_DAY": "1000000000",
    }
    with running_server(env, "bench-long.log") as server:
        token = server.token("bench-long")
        started = time.perf_counter()
        cid = seed_long_conversation(server, token, TURNS)
        seeded_s = time.perf_counter() - started
        results: dict[str, object] = {"seeded_turns": TURNS, "seed_seconds": round(seeded_s, 1)}
        # The server's share of opening: the same GET the client makes, outside the browser.
        gets = []
        for _ in range(3):
            t0 = time.perf_counter()
            server.call("GET", f"/conversations/{cid}", token)
            gets.append((time.perf_counter() - t0) * 1000)
        results["api_get_conversation_ms_median"] = round(sorted(gets)[1], 1)
        for label, viewport in (("desktop", (1280, 800)), ("phone", (390, 844))):
            size = {"width": viewport[0], "height": viewport[1]}
            context = browser.new_context(viewport=size, base_url=server.url)
            page = context.new_page()
            page.goto("/")
            sign_in(page, "bench-long")
            args = {"id": cid, "count": 2 * TURNS, "steps": 120, "stepPx": 40}
            raw = page.evaluate(OPEN_AND_SCROLL_JS, args)
            results[label] = scroll_figures(raw)
            context.close()
    return results


def main() -> None:
    check_chromium()
    check_dist()
    print("== web client (issue 7) ==")
    print("bundle sizes:", json.dumps(bundle_sizes()))
    with chromium() as browser:
        print("streamed deltas, arrival to screen:", json.dumps(bench_streaming(browser)))
        print("500-message conversation via the API:", json.dumps(bench_long_conversation(browser)))


if __name__ == "__main__":
    main()
