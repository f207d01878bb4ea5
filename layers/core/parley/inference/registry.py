"""Which backend serves a model: one instance per backend kind, made on first use.

Built from explicit values (the app passes its settings in); nothing here reads the environment.
Tests swap a kind's backend with :meth:`BackendRegistry.override`.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable
from typing import Any

from parley.catalog import BackendKind, ModelSpec
from parley.inference.base import InferenceBackend, InferenceRequest, StreamEvent


class BackendRegistry:
    def __init__(
        self,
        *,
        sim_ttft_ms: int = 150,
        sim_tokens_per_s: float = 60.0,
        sim_fail_after: int | None = None,
        sim_reply_tokens: tuple[int, int] = (40, 80),
        region: str = "us-east-1",
        sagemaker_endpoint_url: str | None = None,
        sagemaker_max_streams: int = 64,
        openai_base_url: str | None = None,
        openai_api_key: str | None = None,
        openai_api_key_secret: str | None = None,
    ) -> None:
        self.sim_ttft_ms = sim_ttft_ms
        self.sim_tokens_per_s = sim_tokens_per_s
        self.sim_fail_after = sim_fail_after
        self.sim_reply_tokens = sim_reply_tokens
        self.region = region
        self.sagemaker_endpoint_url = sagemaker_endpoint_url
        self.sagemaker_max_streams = sagemaker_max_streams
        self.openai_base_url = openai_base_url
        self._openai_api_key = openai_api_key
        self._openai_api_key_secret = openai_api_key_secret
        self._backends: dict[str, InferenceBackend] = {}
        self._overrides: dict[str, InferenceBackend] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> BackendRegistry:
        """From a :class:`parley.settings.Settings`. Fields it does not have yet keep their defaults."""
        return cls(
            sim_ttft_ms=settings.sim_ttft_ms,
            sim_tokens_per_s=settings.sim_tokens_per_s,
            sim_fail_after=settings.sim_fail_after,
            sim_reply_tokens=(settings.sim_reply_tokens_min, settings.sim_reply_tokens_max),
            region=settings.region,
            sagemaker_endpoint_url=settings.sagemaker_endpoint_url,
            openai_base_url=settings.openai_base_url,
            openai_api_key=settings.openai_api_key,
            openai_api_key_secret=settings.openai_api_key_secret,
        )

    def backend_for(self, spec: ModelSpec) -> InferenceBackend:
        kind = spec.backend.kind
        override = self._overrides.get(kind)
        if override is not None:
            return override
        backend = self._backends.get(kind)
        if backend is None:
            with self._lock:
                backend = self._backends.get(kind)
                if backend is None:
                    backend = self._backends[kind] = self._build(kind)
        return backend

    def stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        """Stream from the backend that serves ``spec`` (the registry is itself an InferenceBackend)."""
        return self.backend_for(spec).stream(spec, request)

    def override(self, kind: BackendKind, backend: InferenceBackend | None) -> None:
        """Serve every model of ``kind`` with ``backend`` (None removes the override)."""
        if backend is None:
            self._overrides.pop(kind, None)
        else:
            self._overrides[kind] = backend

    def close(self) -> None:
        """Release worker threads (SageMaker). HTTP clients close with their event loop."""
        for backend in self._backends.values():
            close: Callable[[], None] | None = getattr(backend, "close", None)
            if close is not None:
                close()

    def _build(self, kind: str) -> InferenceBackend:
        # Imports are here so a process pays only for the backends it uses (boto3's client setup
        # is ~50 ms; the simulator is all local mode needs).
        if kind == "simulator":
            from parley.inference.simulator import SimulatorBackend

            return SimulatorBackend(
                ttft_ms=self.sim_ttft_ms,
                tokens_per_s=self.sim_tokens_per_s,
                fail_after=self.sim_fail_after,
                reply_tokens=self.sim_reply_tokens,
            )
        if kind == "sagemaker":
            from parley.inference.sagemaker import SageMakerBackend

            return SageMakerBackend(
                client_factory=self._sagemaker_client, max_streams=self.sagemaker_max_streams
            )
        if kind == "openai":
            from parley.inference.openai_http import OpenAICompatibleBackend

            return OpenAICompatibleBackend(base_url=self.openai_base_url, api_key=self._openai_key())
        raise ValueError(f"unknown backend kind {kind!r}")

    def _openai_key(self) -> str | None:
        if self._openai_api_key is None and self._openai_api_key_secret:
            import boto3

            client = boto3.client("secretsmanager", region_name=self.region)
            self._openai_api_key = client.get_secret_value(SecretId=self._openai_api_key_secret)["SecretString"]
        return self._openai_api_key

    def _sagemaker_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            # Few retries: when an endpoint is throttled the fallback chain answers sooner than
            # backing off here would. Reads wait long: a 128K-token prefill takes a while.
            retries={"mode": "standard", "max_attempts": 2},
            connect_timeout=5,
            read_timeout=120,
            max_pool_connections=self.sagemaker_max_streams,
            tcp_keepalive=True,
        )
        return boto3.client(
            "sagemaker-runtime",
            region_name=self.region,
            endpoint_url=self.sagemaker_endpoint_url,
            config=config,
        )
