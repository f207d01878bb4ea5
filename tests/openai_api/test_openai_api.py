"""The OpenAI-compatible API, driven by the official `openai` client."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from parley.auth.local_jwt import issue_token
from parley.settings import DEV_JWT_SECRET
from tests.support import LiveServer, ScriptedBackend, backend


@pytest.fixture(scope="module")
def server(app):
    with LiveServer(app) as s:
        yield s


def client_for(server, tier: str = "plus") -> openai.OpenAI:
    token = issue_token(DEV_JWT_SECRET, f"oai-{uuid.uuid4().hex[:8]}", tier)  # type: ignore[arg-type]
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=token, max_retries=0)


def test_models_list(server):
    models = [m.id for m in client_for(server).models.list()]
    assert models[0] == "auto" and "parley-fast" in models


def test_non_streaming_completion(server):
    client = client_for(server)
    result = client.chat.completions.create(
        model="parley-fast", messages=[{"role": "user", "content": "Say hello to Lisbon"}]
    )
    assert result.object == "chat.completion"
    assert result.choices[0].message.role == "assistant"
    assert "Say hello to Lisbon" in result.choices[0].message.content.splitlines()[0]  # the simulator's topic line
    assert result.choices[0].finish_reason == "stop"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


def test_streaming_with_usage(server):
    client = client_for(server)
    stream = client.chat.completions.create(
        model="auto", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi!"}],
        stream=True, stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith(("Hello! How can I help today?", "Hi there, what would you like to work on?"))  # a greeting
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_stream_ends_with_done(server):
    token = issue_token(DEV_JWT_SECRET, f"oai-{uuid.uuid4().hex[:8]}", "plus")
    r = httpx.post(f"{server.url}/v1/chat/completions", headers={"Authorization": f"Bearer {token}"},
                   json={"model": "parley-fast", "stream": True, "messages": [{"role": "user", "content": "x"}]})
    lines = [line for line in r.text.splitlines() if line.startswith("data:")]
    assert lines[-1] == "data: [DONE]"


def test_max_tokens_gives_length(server):
    result = client_for(server).chat.completions.create(
        model="parley-fast", max_tokens=5, messages=[{"role": "user", "content": "Tell me a long story"}]
    )
    assert result.choices[0].finish_reason == "length"
    assert result.usage.completion_tokens <= 5


def test_errors_in_openai_shape(server):
    client = client_for(server)
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-17", messages=[{"role": "user", "content": "x"}])
    assert unknown.value.status_code == 404
    assert unknown.value.code == "model_not_found" and unknown.value.type == "invalid_request_error"
    assert unknown.value.param == "model" and "gpt-17" in unknown.value.message
    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="auto", messages=[])
    assert empty.value.param == "messages" and empty.value.type == "invalid_request_error"
    with pytest.raises(openai.AuthenticationError) as bad_key:
        openai.OpenAI(base_url=f"{server.url}/v1", api_key="nope", max_retries=0).models.list()
    assert bad_key.value.status_code == 401
    assert bad_key.value.code == "invalid_api_key" and bad_key.value.type == "invalid_request_error"
    no_key = httpx.get(f"{server.url}/v1/models")
    assert no_key.status_code == 401 and no_key.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as n:
        client.chat.completions.create(model="auto", n=2, messages=[{"role": "user", "content": "x"}])
    assert n.value.param == "n"
    with pytest.raises(openai.BadRequestError) as hot:
        client.chat.completions.create(model="auto", temperature=5, messages=[{"role": "user", "content": "x"}])
    assert hot.value.param == "temperature" and hot.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as tools:
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "x"}],
                                       tools=[{"type": "function", "function": {"name": "f"}}])
    assert tools.value.param == "tools"


def test_stream_names_the_model_that_answers_after_a_fallback(app, server):
    class FirstUnavailable(ScriptedBackend):
        async def stream(self, spec, request):
            self.unavailable = spec.id == "parley-fast"
            async for event in super().stream(spec, request):
                yield event

    with backend(app, FirstUnavailable(["fine"])):
        chunks = list(client_for(server).chat.completions.create(
            model="parley-fast", messages=[{"role": "user", "content": "x"}], stream=True))
        whole = client_for(server).chat.completions.create(
            model="parley-fast", messages=[{"role": "user", "content": "x"}])
    content = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert content and all(c.model == "parley-smart" for c in content)
    assert whole.model == "parley-smart"


def test_limits_and_ledger_apply(server):
    client = client_for(server, tier="free")
    for _ in range(10):
        client.chat.completions.create(model="parley-fast", messages=[{"role": "user", "content": "q"}])
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="parley-fast", messages=[{"role": "user", "content": "q"}])
    assert int(limited.value.response.headers["retry-after"]) >= 1
    usage = httpx.get(f"{server.url}/usage", headers={"Authorization": f"Bearer {client.api_key}"}).json()
    assert usage["requests"]["used"] == 10
    assert usage["tokens"]["output"] > 0 and usage["cost"]["monthToDate"] > 0
