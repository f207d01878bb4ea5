"""Figures the web client's speed is judged by, read in a real browser (used by a test and the bench).

- Streaming: for each streamed delta, the time from the network read that delivered it to the DOM
  write (`toCommit`) and to the start of the next frame, after that write was painted (`toPaint`).
  The client writes in the first animation frame after a delta arrives, so `toCommit` stays under one
  frame (~16.7 ms at 60 Hz) unless the main thread is busy.
- A long conversation: time to open it (all messages in the DOM, then painted), long tasks while
  opening, and frame intervals and long tasks while scrolling it from the bottom to the top.
"""

from __future__ import annotations

import statistics
from typing import Any

from playwright.sync_api import Page

FRAME_MS = 1000 / 60

OPEN_AND_SCROLL_JS = """
async ({ id, count, steps, stepPx }) => {
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const longTasks = [];
  const po = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  });
  po.observe({ type: "longtask", buffered: false });
  const t0 = performance.now();
  location.hash = "#/c/" + id;
  for (;;) {
    if (document.querySelector(".messages .msg")) break;
    if (performance.now() - t0 > 30000) throw new Error("the conversation did not open in 30 s");
    await frame();
  }
  await frame();
  await frame();
  const tFirstPaint = performance.now();
  for (;;) {
    if (document.querySelectorAll(".messages .msg").length >= count) break;
    if (performance.now() - t0 > 30000) throw new Error("the conversation did not open in 30 s");
    await frame();
  }
  const tDom = performance.now();
  await frame();
  await frame();
  const el = document.querySelector(".messages");
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 4;
  const openLong = longTasks.filter((t) => t.start >= t0).map((t) => t.duration);

  // Scroll up as a person reading back would (stepPx per frame), then fling the rest of the way up.
  const scrollRun = async (next) => {
    const start = performance.now();
    const intervals = [];
    let last = await frame();
    for (let i = 1; i <= steps; i++) {
      el.scrollTop = next(i);
      const t = await frame();
      intervals.push(t - last);
      last = t;
    }
    const end = performance.now();
    const long = longTasks.filter((t) => t.start >= start && t.start <= end).map((t) => t.duration);
    return { intervals, long };
  };
  const from = el.scrollTop;
  const reading = await scrollRun((i) => Math.max(0, from - i * stepPx));
  const flingFrom = el.scrollTop;
  const fling = await scrollRun((i) => flingFrom * (1 - i / steps));
  po.disconnect();
  return {
    openToFirstPaintMs: tFirstPaint - t0,
    openToDomMs: tDom - t0,
    openedAtBottom: atBottom,
    openLongTasksMs: openLong,
    scrollHeightPx: el.scrollHeight,
    scrolledPx: from,
    reachedTop: el.scrollTop === 0,
    readingFramesMs: reading.intervals,
    readingLongTasksMs: reading.long,
    flingFramesMs: fling.intervals,
    flingLongTasksMs: fling.long,
    messagesInDom: document.querySelectorAll(".messages .msg").length,
  };
}
"""


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
    }


def stream_figures(page: Page) -> dict[str, Any]:
    chunks = page.evaluate("window.__parleyPerf ? window.__parleyPerf.chunks : []")
    commit = [c["toCommit"] for c in chunks]
    paint = [c["toPaint"] for c in chunks if c["toPaint"] is not None]
    return {
        "deltas": len(chunks),
        "arrival_to_dom_write_ms": summary(commit),
        "arrival_to_next_frame_ms": summary(paint),
        "written_within_one_frame": sum(1 for v in commit if v <= FRAME_MS),
    }


def scroll_figures(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "messages": raw["messagesInDom"],
        "open_to_first_paint_ms": round(raw["openToFirstPaintMs"], 1),
        "open_to_all_in_dom_ms": round(raw["openToDomMs"], 1),
        "opened_at_bottom": raw["openedAtBottom"],
        "open_long_tasks_ms": [round(v) for v in raw["openLongTasksMs"]],
        "scroll_height_px": raw["scrollHeightPx"],
        "reading_scroll_frames_ms": summary(raw["readingFramesMs"]),
        "reading_scroll_frames_over_50ms": sum(1 for v in raw["readingFramesMs"] if v > 50),
        "reading_scroll_long_tasks_ms": [round(v) for v in raw["readingLongTasksMs"]],
        "fling_to_top_frames_ms": summary(raw["flingFramesMs"]),
        "fling_to_top_frames_over_50ms": sum(1 for v in raw["flingFramesMs"] if v > 50),
        "fling_to_top_long_tasks_ms": [round(v) for v in raw["flingLongTasksMs"]],
        "reached_top": raw["reachedTop"],
    }


def fake_conversation(conversation_id: str, turns: int) -> dict[str, Any]:
    """A conversation in the API's shape with realistic Markdown answers (code, lists, tables)."""
    messages: list[dict[str, Any]] = []
    parent: str | None = None
    t = 1_700_000_000_000
    for i in range(2 * turns):
        mid = f"{conversation_id[:16]}{i:010d}"
        user = i % 2 == 0
        if user:
            content = f"Question {i // 2}: how would I write a function that handles case {i // 2}?"
        else:
            n = i // 2
            content = (
                f"Here is one way to handle **case {n}**, with a short explanation.\n\n"
                f"1. Validate the input with `check_{n}()`\n2. Transform it\n3. Return the result\n\n"
                f"```python\ndef handle_{n}(value: int) -> int:\n    \"\"\"Handle case {n}.\"\"\"\n"
                f"    if value < 0:\n        raise ValueError('negative')\n"
                f"    return value * {n} + 1\n```\n\n"
                + ("| input | output |\n|---|---|\n| 1 | 2 |\n| 2 | 3 |\n\n" if n % 5 == 0 else "")
                + "This keeps the function pure, so it is easy to test."
            )
        messages.append({
            "messageId": mid,
            "parentMessageId": parent,
            "role": "user" if user else "assistant",
            "content": content,
            "model": None if user else "parley-fast",
            "createdAt": t + i * 1000,
            "tokensUsed": {"input": 0 if user else 40 + i, "output": 0 if user else 90},
            "finishReason": None if user else "stop",
            "cost": 0.0 if user else 0.0001,
            "attachments": [],
            "childrenIds": [],
            "status": "complete",
            "contextTrimmed": False,
            "details": {},
        })
        if parent is not None:
            messages[-2]["childrenIds"] = [mid]
        parent = mid
    return {
        "conversationId": conversation_id,
        "title": f"{2 * turns} messages",
        "model": "auto",
        "createdAt": t,
        "updatedAt": t + 2 * turns * 1000,
        "currentMessageId": parent,
        "archived": False,
        "messages": messages,
    }
