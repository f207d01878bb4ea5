"""Long conversations (issue 5): tokens sent to the model per turn over a 200-turn conversation,
with and without summaries, and CPU time to build a context at 128K tokens. Prints figures.
"""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET, Settings

TURNS = 200
#: A pasted paragraph of about 480 tokens per user turn, so that the history outgrows half the
#: model's input budget (the default summary threshold) well before turn 200.
PASTE = "The committee reviewed the quarterly figures, the hiring plan and the open risks in detail. " * 30


def run(summaries: bool) -> list[int]:
    prefix = f"bench-sum-{uuid.uuid4().hex[:6]}"
    settings = Settings(mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, cache_enabled=False, generate_titles=False,
                        limit_plus_per_hour=10_000, limit_plus_tokens_per_day=10**12,
                        table_conversations=f"{prefix}-conversations", table_usage=f"{prefix}-usage",
                        summary_trigger_fraction=0.5 if summaries else 10.0)
    app = create_app(settings)
    container = app.state.container
    registry = container.backends
    inner = registry.backend_for(container.catalog.get("parley-fast"))
    sent: list[int] = []

    class Counting:
        async def stream(self, spec, request):
            if not request.messages[0].content.startswith(("Summarize", "Write a short title")):
                sent.append(request.context_tokens)
            async for event in inner.stream(spec, request):
                yield event

    registry.override("simulator", Counting())
    client = TestClient(app)
    auth = {"Authorization": f"Bearer {issue_token(DEV_JWT_SECRET, f'bench-{uuid.uuid4().hex[:6]}', 'plus')}"}
    cid = client.post("/conversations", json={"model": "parley-fast"}, headers=auth).json()["conversationId"]
    for i in range(TURNS):
        r = client.post(f"/conversations/{cid}/messages", json={"content": f"Turn {i}. {PASTE}"}, headers=auth)
        assert r.status_code == 200, r.text
        container.workflows.wait(60)
    return sent


def main() -> None:
    from tests.bench.bench_chat import bench_context_128k

    print("== long conversations (issue 5) ==")
    without = run(summaries=False)
    with_summaries = run(summaries=True)
    print(json.dumps({
        "turns": TURNS,
        "tokens_sent_total_without_summaries": sum(without),
        "tokens_sent_total_with_summaries": sum(with_summaries),
        "saving": round(1 - sum(with_summaries) / sum(without), 3),
        "max_request_tokens_without": max(without),
        "max_request_tokens_with": max(with_summaries),
    }))
    print("per-turn input tokens (every 10th turn), without | with summaries:")
    for turn in range(0, TURNS, 10):
        print(f"  turn {turn + 1:3d}: {without[turn]:7d} | {with_summaries[turn]:7d}")
    print("context build at 128K tokens:", json.dumps(bench_context_128k()))


if __name__ == "__main__":
    main()
