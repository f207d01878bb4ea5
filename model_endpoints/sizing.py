"""Will a serving config start? Weights + KV cache against the instance's GPU memory.

vLLM refuses to start when its KV cache cannot hold one sequence of ``max_model_len`` tokens
("max seq len ... is larger than the maximum number of tokens that can be stored in KV cache"),
and an endpoint that never passes its health check costs an hour of GPU time before SageMaker
gives up. This check runs at synth (``infra_cdk.inference.endpoint_plans``), in the tests and in
``make bench`` (``tests/bench/bench_sizing.py``), with the catalog's own numbers:

* weights: parameters x bytes per weight (2 for bf16, 1 for runtime fp8), draft model included;
* KV cache per token: 2 (K and V) x layers x KV heads x head dim x bytes (2, or 1 for an fp8 cache),
  draft included (speculative decoding keeps a cache for both);
* needed KV: ``max_model_len`` x ``full_context_sequences`` (sequences at full length that must fit
  at once; vLLM admits more, shorter ones, in the same memory);
* budget: GPU memory of the GPUs used (``tensor_parallel_degree``) x ``gpu_memory_utilization``,
  less a fixed activation/CUDA-graph reserve per GPU.

Pure Python: imported by the CDK app and the tests, never by a Lambda.
"""

from __future__ import annotations

from dataclasses import dataclass

from parley.catalog import Architecture, ModelSpec, Serving

GIB = 1024**3
#: GPU memory as ``nvidia-smi`` reports it (MiB), per GPU model.
GPU_MIB = {"A10G": 23028, "L4": 23034, "L40S": 46068, "A100-40GB": 40960, "A100-80GB": 81920,
           "H100": 81559, "H200": 143771}
#: SageMaker instance type -> (GPU model, GPUs per instance); the types Parley's catalog can name.
INSTANCE_GPUS: dict[str, tuple[str, int]] = {
    **{f"ml.g5.{s}": ("A10G", 1) for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "ml.g5.12xlarge": ("A10G", 4), "ml.g5.24xlarge": ("A10G", 4), "ml.g5.48xlarge": ("A10G", 8),
    **{f"ml.g6.{s}": ("L4", 1) for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "ml.g6.12xlarge": ("L4", 4), "ml.g6.24xlarge": ("L4", 4), "ml.g6.48xlarge": ("L4", 8),
    **{f"ml.g6e.{s}": ("L40S", 1) for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "ml.g6e.12xlarge": ("L40S", 4), "ml.g6e.24xlarge": ("L40S", 4), "ml.g6e.48xlarge": ("L40S", 8),
    "ml.p4d.24xlarge": ("A100-40GB", 8), "ml.p4de.24xlarge": ("A100-80GB", 8),
    "ml.p5.48xlarge": ("H100", 8), "ml.p5e.48xlarge": ("H200", 8), "ml.p5en.48xlarge": ("H200", 8),
}
#: Per GPU: the profile run's activations, CUDA graphs and the NCCL/CUDA context (vLLM measures these
#: at start-up; 1.5 GiB is what an 8-70B model at the default batch size takes, rounded up).
RESERVE_GIB_PER_GPU = 1.5
#: Bytes per weight for each runtime quantization (None: the checkpoint's bf16).
WEIGHT_BYTES = {None: 2, "fp8": 1, "bitsandbytes": 0.5}
KV_BYTES = {"auto": 2, "fp8": 1}


class SizingError(ValueError):
    """A serving config that cannot start on its instance."""


@dataclass(frozen=True)
class Sizing:
    model_id: str
    instance_type: str
    gpus: int
    gpu_memory_gib: float
    budget_gib: float
    weights_gib: float
    kv_per_token_kib: float
    kv_gib: float

    @property
    def headroom_gib(self) -> float:
        return self.budget_gib - self.weights_gib - self.kv_gib

    @property
    def fits(self) -> bool:
        return self.headroom_gib >= 0

    def line(self) -> str:
        return (f"{self.model_id:14} {self.instance_type:17} {self.gpus} GPU x {self.gpu_memory_gib / self.gpus:5.1f} "
                f"GiB  weights {self.weights_gib:6.1f}  KV {self.kv_gib:6.1f} ({self.kv_per_token_kib:.0f} KiB/token)  "
                f"headroom {self.headroom_gib:6.1f} GiB")


def instance_gpus(instance_type: str) -> tuple[str, int]:
    try:
        return INSTANCE_GPUS[instance_type]
    except KeyError:
        raise SizingError(f"unknown GPU instance type {instance_type!r}: add it to model_endpoints.sizing."
                          "INSTANCE_GPUS") from None


def _weights_bytes(arch: Architecture, quantize: str | None) -> float:
    method = quantize.lower() if quantize else None
    # A pre-quantized checkpoint (awq, gptq) is read as 4-bit.
    per_weight = WEIGHT_BYTES.get(method, 0.5)
    return arch.parameters_b * 1e9 * per_weight


def _kv_bytes_per_token(arch: Architecture, kv_dtype: str) -> int:
    return 2 * arch.layers * arch.kv_heads * arch.head_dim * KV_BYTES[kv_dtype]


def size(spec: ModelSpec, instance_type: str | None = None) -> Sizing:
    serving = _serving(spec)
    instance = instance_type or serving.instance_type
    gpu, count = instance_gpus(instance)
    if serving.tensor_parallel_degree > count:
        raise SizingError(f"{spec.id}: tensor_parallel_degree {serving.tensor_parallel_degree} > {count} GPUs "
                          f"on {instance}")
    used = serving.tensor_parallel_degree
    memory = GPU_MIB[gpu] / 1024 * used
    budget = memory * serving.gpu_memory_utilization - RESERVE_GIB_PER_GPU * used
    arch = serving.architecture
    assert arch is not None
    weights = _weights_bytes(arch, serving.quantize)
    kv_token = _kv_bytes_per_token(arch, serving.kv_cache_dtype)
    if serving.draft is not None:
        # The draft runs unquantized (vLLM applies the target's quantization to the target only).
        weights += _weights_bytes(serving.draft, None)
        kv_token += _kv_bytes_per_token(serving.draft, serving.kv_cache_dtype)
    kv = kv_token * serving.max_model_len * serving.full_context_sequences
    return Sizing(spec.id, instance, used, memory, budget, weights / GIB, kv_token / 1024, kv / GIB)


def check(spec: ModelSpec, instance_type: str | None = None) -> Sizing:
    """The sizing, or ``SizingError`` when the config cannot start (or the app would overrun it)."""
    serving = _serving(spec)
    if spec.context_window > serving.max_model_len:
        raise SizingError(f"{spec.id}: context_window {spec.context_window} > max_model_len {serving.max_model_len} "
                          "(the app would send requests the endpoint refuses)")
    sizing = size(spec, instance_type)
    if not sizing.fits:
        raise SizingError(
            f"{spec.id} cannot start on {sizing.instance_type}: weights {sizing.weights_gib:.1f} GiB + KV cache "
            f"{sizing.kv_gib:.1f} GiB ({serving.full_context_sequences} x {serving.max_model_len} tokens) > "
            f"{sizing.budget_gib:.1f} GiB usable; lower max_model_len or full_context_sequences, quantize, or "
            "choose a larger instance")
    return sizing


def _serving(spec: ModelSpec) -> Serving:
    if spec.serving is None:
        raise SizingError(f"model {spec.id} has no serving settings in the catalog")
    if spec.serving.architecture is None:
        raise SizingError(f"model {spec.id}: serving.architecture (layers, kv_heads, head_dim, parameters_b) is "
                          "needed to size its endpoint")
    return spec.serving
