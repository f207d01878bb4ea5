"""The model catalog's types and loader: which models there are, what each costs and can take, which
backend serves it and (for the CDK app and deploy tooling) how a GPU endpoint serves it.

The data is the deployment's ``model_endpoints/catalog.json``. Imported by Lambda code, so it stays
light: the SageMaker tooling that reads the same types lives in ``model_endpoints``.
"""

from __future__ import annotations

import json
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ModelTier = Literal["fast", "smart", "code", "vision"]
BackendKind = Literal["simulator", "sagemaker", "openai"]
AUTO = "auto"


class Backend(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: BackendKind = "simulator"
    #: SageMaker endpoint name, or the model name an OpenAI-compatible server knows it by.
    endpoint: str
    base_url: str | None = None


class Architecture(BaseModel):
    """What sizes a model's GPU memory (``model_endpoints.sizing``): from its ``config.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Billions of parameters (vision tower included).
    parameters_b: float = Field(gt=0)
    layers: int = Field(gt=0)
    #: Key/value heads (grouped-query attention), not query heads.
    kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)


class Draft(Architecture):
    """A speculative-decoding draft model (vLLM ``speculative_config``)."""

    hf_model_id: str
    num_speculative_tokens: int = Field(default=5, gt=0)
    #: Gated on the Hugging Face Hub (a licence to accept): deployable only from staged weights.
    gated: bool = False


class Serving(BaseModel):
    """How a SageMaker LMI (vLLM) endpoint serves the model (used by the CDK app and deploy tooling)."""

    model_config = ConfigDict(frozen=True)

    hf_model_id: str
    instance_type: str
    tensor_parallel_degree: int = 1
    max_model_len: int
    quantize: str | None = None
    draft: Draft | None = None
    prefix_caching: bool = True
    gpu_memory_utilization: float = 0.9
    #: ``auto`` (the weights' bf16) or ``fp8`` (half the KV bytes per token).
    kv_cache_dtype: Literal["auto", "fp8"] = "auto"
    #: Sequences of ``max_model_len`` tokens the KV cache must hold at once (shorter ones share it).
    full_context_sequences: int = Field(default=1, ge=1)
    architecture: Architecture | None = None
    #: Gated on the Hugging Face Hub: deployable only from weights staged in S3 (``parley models stage``).
    gated: bool = False


class ModelSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    tier: ModelTier
    context_window: int = Field(gt=0, le=131072)
    max_output: int = Field(gt=0)
    price_in_per_1k: float = Field(ge=0)
    price_out_per_1k: float = Field(ge=0)
    capabilities: tuple[str, ...] = ()
    fallbacks: tuple[str, ...] = ()
    backend: Backend
    serving: Serving | None = None

    @property
    def vision(self) -> bool:
        return "vision" in self.capabilities

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """US dollars, rounded to a millionth of a cent's worth of precision."""
        return round(input_tokens / 1000 * self.price_in_per_1k + output_tokens / 1000 * self.price_out_per_1k, 8)


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True)

    default_model: str = AUTO
    models: tuple[ModelSpec, ...]

    @model_validator(mode="after")
    def _check(self) -> Catalog:
        ids = [m.id for m in self.models]
        if len(ids) != len(set(ids)) or AUTO in ids:
            raise ValueError("model ids must be unique and must not be 'auto'")
        for m in self.models:
            unknown = set(m.fallbacks) - set(ids)
            if unknown:
                raise ValueError(f"{m.id}: unknown fallbacks {sorted(unknown)}")
        return self

    @cached_property
    def by_id(self) -> dict[str, ModelSpec]:
        return {m.id: m for m in self.models}

    def get(self, model_id: str) -> ModelSpec | None:
        return self.by_id.get(model_id)

    def for_tier(self, tier: ModelTier) -> ModelSpec:
        for m in self.models:
            if m.tier == tier:
                return m
        raise KeyError(tier)

    def is_known(self, model_id: str) -> bool:
        return model_id == AUTO or model_id in self.by_id

    def with_backend(self, kind: BackendKind, base_url: str | None = None) -> Catalog:
        """The same catalog with every model served by one backend kind (deployment override)."""
        models = tuple(
            m.model_copy(update={"backend": m.backend.model_copy(update={"kind": kind, "base_url": base_url})})
            for m in self.models
        )
        return self.model_copy(update={"models": models})


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The catalog at ``path``; by default the deployment's (a data file beside the deploy tooling)."""
    if path is None:
        text = resources.files("model_endpoints").joinpath("catalog.json").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return Catalog.model_validate(json.loads(text))
