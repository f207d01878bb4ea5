"""Speed figures in a real browser, printed (run with -s to see them); bounds asserted are very loose.

Timing assertions on a shared 2-core machine would be flaky; the numbers are for people to read, and
`tests/bench/bench_web.py` measures the same against a conversation seeded through the real API.
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Route

from tests.browser.pages import NewPage, Shot, send, sign_in
from tests.browser.perf import OPEN_AND_SCROLL_JS, fake_conversation, scroll_figures, stream_figures

TURNS = 250  # 500 messages


def test_streamed_text_is_drawn_in_the_next_frame(new_page: NewPage, user_id: str) -> None:
    page = new_page()
    sign_in(page, user_id)
    page.evaluate("window.__parleyPerf.reset()")
    send(page, "Measure streaming")
    figures = stream_figures(page)
    print("\nweb streaming:", json.dumps(figures))
    assert figures["deltas"] >= 20, "too few streamed deltas were measured"
    # Loose: a delta waits for at most one frame unless the machine stalls badly.
    assert figures["arrival_to_dom_write_ms"]["p50"] < 100


def test_a_500_message_conversation_opens_and_scrolls(new_page: NewPage, user_id: str, shots: Shot) -> None:
    """The conversation is served by route interception, so the figures are the client's own work."""
    cid = "01PERFTEST0000000000000000"
    detail = fake_conversation(cid, TURNS)
    tree = {"conversationId": cid, "currentMessageId": detail["currentMessageId"],
            "messages": detail["messages"]}
    page = new_page()

    def serve(route: Route, body: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(re.compile(rf"/conversations/{cid}$"), lambda r: serve(r, detail))
    page.route(re.compile(rf"/conversations/{cid}/messages$"), lambda r: serve(r, tree))
    sign_in(page, user_id)
    raw = page.evaluate(OPEN_AND_SCROLL_JS, {"id": cid, "count": 2 * TURNS, "steps": 120, "stepPx": 40})
    figures = scroll_figures(raw)
    print("\nweb 500-message conversation:", json.dumps(figures))
    shots(page, "12-long-conversation-top")
    assert figures["messages"] == 2 * TURNS
    assert figures["opened_at_bottom"], "a conversation opens at its latest message"
    assert figures["reached_top"]
    assert figures["open_to_all_in_dom_ms"] < 15_000  # loose: only catches a pathological regression
