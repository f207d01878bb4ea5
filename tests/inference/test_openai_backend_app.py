"""The app on the OpenAI-compatible backend, end to end: a real model server on loopback (the gateway
bench's fake upstream), the native route and `/v1`, over the app's own event loop."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.settings import Settings
from tests.support import free_port, parse_sse

ROOT = Path(__file__).resolve().parents[2]
TOKENS = 40


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "tests/bench/fake_upstream.py"), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "the fake model server did not start"
            time.sleep(0.1)
        httpx.post(f"{url}/_config", json={"tokens": TOKENS, "itl_ms": 0})
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def client(upstream: str) -> Iterator[TestClient]:
    settings = Settings(mode="local", model_backend="openai", openai_base_url=f"{upstream}/v1",
                        cache_enabled=False, generate_titles=False)
    with TestClient(create_app(settings)) as c:
        yield c


def expected_text() -> str:
    from tests.bench.fake_upstream import token_text

    return "".join(token_text(i) for i in range(TOKENS))


def test_a_turn_streams_the_model_servers_answer(client: TestClient, make_user) -> None:
    auth = make_user("plus")
    cid = client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    for attempt in range(2):  # a second turn reuses the pooled connection
        response = client.post(f"/conversations/{cid}/messages", json={"content": f"hello {attempt}"}, headers=auth)
        events, _ = parse_sse(response.text)
        text = "".join(e.data["delta"] for e in events if e.name == "content_chunk")
        assert events[-1].name == "message_end" and text == expected_text()
        assert events[-1].data["tokensUsed"]["output"] == TOKENS


def test_v1_streams_the_model_servers_answer(client: TestClient, make_user) -> None:
    auth = make_user("plus")
    body = {"model": "auto", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    response = client.post("/v1/chat/completions", json=body, headers=auth)
    assert response.status_code == 200
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    import json

    chunks = [json.loads(line) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == expected_text()
