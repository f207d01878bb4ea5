"""The backend registry: one lazily made backend per kind, overridable in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from parley.catalog import ModelSpec
from parley.inference.base import (
    ChatMessage,
    Completion,
    InferenceRequest,
    StreamEvent,
    TextDelta,
    collect,
)
from parley.inference.openai_http import OpenAICompatibleBackend
from parley.inference.registry import BackendRegistry
from parley.inference.sagemaker import SageMakerBackend
from parley.inference.simulator import SimulatorBackend
from parley.settings import Settings

REQUEST = InferenceRequest(messages=(ChatMessage("user", "hello"),))


def with_kind(spec: ModelSpec, kind: str) -> ModelSpec:
    return spec.model_copy(update={"backend": spec.backend.model_copy(update={"kind": kind})})


class Scripted:
    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncIterator[StreamEvent]:
        self.calls += 1
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        yield TextDelta(self.text)
        yield Completion("stop", 1, 1)


def test_one_backend_per_kind_made_on_first_use(fast_spec: ModelSpec):
    registry = BackendRegistry(sim_ttft_ms=0, sim_tokens_per_s=0)
    assert registry._backends == {}
    first = registry.backend_for(fast_spec)
    assert isinstance(first, SimulatorBackend)
    assert registry.backend_for(fast_spec) is first
    assert list(registry._backends) == ["simulator"]


def test_each_kind_gets_its_backend(fast_spec: ModelSpec):
    registry = BackendRegistry(openai_base_url="http://127.0.0.1:8080", region="eu-west-1")
    sagemaker = registry.backend_for(with_kind(fast_spec, "sagemaker"))
    openai = registry.backend_for(with_kind(fast_spec, "openai"))
    assert isinstance(sagemaker, SageMakerBackend) and isinstance(openai, OpenAICompatibleBackend)
    assert openai.base_url == "http://127.0.0.1:8080"
    assert sagemaker._client is None  # boto3 client not made until a stream needs it
    client = sagemaker.client()
    assert client.meta.region_name == "eu-west-1"
    registry.close()


def test_sim_settings_reach_the_simulator(fast_spec: ModelSpec):
    registry = BackendRegistry(sim_ttft_ms=5, sim_tokens_per_s=123, sim_fail_after=3, sim_reply_tokens=(9, 9))
    backend = registry.backend_for(fast_spec)
    assert isinstance(backend, SimulatorBackend)
    config = backend.model.config
    assert (config.ttft_ms, config.tokens_per_s, config.fail_after, config.reply_tokens) == (
        5,
        123,
        3,
        (9, 9),
    )


def test_from_settings(fast_spec: ModelSpec):
    settings = Settings(
        mode="local", sim_ttft_ms=0, sim_tokens_per_s=0, sim_fail_after=2, region="ap-south-1"
    )
    registry = BackendRegistry.from_settings(settings)
    assert (registry.sim_ttft_ms, registry.sim_tokens_per_s, registry.sim_fail_after) == (0, 0, 2)
    assert registry.region == "ap-south-1"


@pytest.mark.anyio
async def test_override_replaces_and_restores(fast_spec: ModelSpec):
    registry = BackendRegistry(sim_ttft_ms=0, sim_tokens_per_s=0)
    scripted = Scripted("scripted answer")
    registry.override("simulator", scripted)
    assert registry.backend_for(fast_spec) is scripted
    text, _ = await collect(registry, fast_spec, REQUEST)  # the registry is a backend itself
    assert text == "scripted answer" and scripted.calls == 1
    registry.override("simulator", None)
    text, _ = await collect(registry, fast_spec, REQUEST)
    assert text == (await collect(SimulatorBackend(ttft_ms=0, tokens_per_s=0), fast_spec, REQUEST))[0]


def test_openai_key_is_read_from_secrets_manager_once(fast_spec: ModelSpec, monkeypatch):
    """AWS mode passes the secret's name only; the key is fetched when the backend is first made."""
    import boto3

    calls: list[tuple[str, str, str]] = []

    class FakeSecrets:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:  # noqa: N803 - boto3's name
            calls.append(("get_secret_value", SecretId, ""))
            return {"SecretString": "sk-from-secrets-manager"}

    def client(service: str, region_name: str | None = None):
        calls.append(("client", service, region_name or ""))
        return FakeSecrets()

    monkeypatch.setattr(boto3, "client", client)
    registry = BackendRegistry(openai_base_url="http://127.0.0.1:8080", region="eu-west-1",
                               openai_api_key_secret="parley/openai-key")
    assert calls == []  # nothing read before a model is needed
    backend = registry.backend_for(with_kind(fast_spec, "openai"))
    assert backend._api_key == "sk-from-secrets-manager"
    registry.backend_for(with_kind(fast_spec, "openai"))
    assert calls == [("client", "secretsmanager", "eu-west-1"), ("get_secret_value", "parley/openai-key", "")]
