"""How a catalog model is served on SageMaker: the LMI (vLLM) container, its environment, its variant.

Pure functions over the catalog, shared by the CDK app and ``deploy.py``; no ``sagemaker`` import.

The container is AWS's LMI image (djl-serving with vLLM). Since LMI v17 its vLLM handler runs in
async mode by default (``OPTION_ASYNC_MODE=true``, ``OPTION_ROLLING_BATCH=disable``, entry point
``djl_python.lmi_vllm.vllm_async_service``); those are set explicitly here so the configuration
means the same on any image from LMI v15 on. vLLM engine arguments pass through as
``OPTION_<ARG>``. In async mode a request with ``messages`` is OpenAI Chat Completions, and with
``stream: true`` the answer is JSON lines of ``chat.completion.chunk``, which the SageMaker backend
decodes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from parley.catalog import ModelSpec, Serving

#: AWS's Deep Learning Containers account, which serves the LMI images in every commercial region.
DLC_ACCOUNT = "763104351884"
#: LMI V18 (djl-serving 0.36.0, vLLM 0.12.0, CUDA 12.8), released 2025-12-15: the tag published in
#: deepjavalibrary/djl-serving ``serving/docs/lmi/release_notes.md``
#: (``763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.36.0-lmi18.0.0-cu128``). Check the
#: region has it before deploying:
#: ``aws ecr describe-images --registry-id 763104351884 --repository-name djl-inference --image-ids imageTag=...``.
LMI_TAG = "0.36.0-lmi18.0.0-cu128"
#: Where SageMaker puts weights staged in S3 (``ModelDataSource``, uncompressed S3 prefix); the
#: draft model of speculative decoding is staged under ``draft/`` of the same prefix.
MODEL_DIR = "/opt/ml/model"
DRAFT_SUBDIR = "draft"
#: Runtime quantization methods vLLM applies while loading full-precision weights. Any other
#: method (awq, gptq, ...) is read from a pre-quantized checkpoint's config and must not be set:
#: forcing it limits the kernels vLLM may choose.
RUNTIME_QUANTIZATION = frozenset({"fp8", "bitsandbytes"})
#: Weights of a 70B model take a while to download and load; SageMaker allows up to 3600 s.
STARTUP_TIMEOUT_S = 1800
DOWNLOAD_TIMEOUT_S = 1800


def lmi_image_uri(region: str, tag: str = LMI_TAG) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{DLC_ACCOUNT}.dkr.ecr.{region}.{suffix}/djl-inference:{tag}"


def inference_ami_version(tag: str = LMI_TAG) -> str:
    """The host AMI whose NVIDIA driver runs the image's CUDA (the default AMI's driver is too old).

    Values and drivers from the SageMaker API's ``ProductionVariantInferenceAmiVersion``: gpu-4-1 is
    driver 580 / CUDA 13.0, gpu-3-1 driver 550 / CUDA 12.4 (newer 12.x images run on it through
    the CUDA compatibility libraries they ship).
    """
    match = re.search(r"-cu(\d+)", tag)
    cuda = int(match.group(1)) if match else 0
    return "al2023-ami-sagemaker-inference-gpu-4-1" if cuda >= 130 else "al2-ami-sagemaker-inference-gpu-3-1"


def lmi_environment(
    serving: Serving, *, model_uri: str | None = None, max_concurrent_requests: int | None = None
) -> dict[str, str]:
    """The container environment for one model.

    ``model_uri`` (``s3://bucket/prefix/``, laid out by ``parley models stage``) replaces the
    Hugging Face id: SageMaker copies the prefix to ``/opt/ml/model`` before the container starts
    (``model_data_source``) and the draft model comes from its ``draft/`` folder. Gated models
    cannot be read from the Hub without a token, which never goes in a template: they need
    ``model_uri``. ``max_concurrent_requests`` caps the sequences vLLM batches at once.
    """
    env: dict[str, str] = {
        "HF_MODEL_ID": MODEL_DIR if model_uri else serving.hf_model_id,
        "OPTION_ASYNC_MODE": "true",
        "OPTION_ROLLING_BATCH": "disable",
        "OPTION_ENTRYPOINT": "djl_python.lmi_vllm.vllm_async_service",
        "TENSOR_PARALLEL_DEGREE": str(serving.tensor_parallel_degree),
        "OPTION_MAX_MODEL_LEN": str(serving.max_model_len),
        "OPTION_ENABLE_PREFIX_CACHING": "true" if serving.prefix_caching else "false",
        "OPTION_GPU_MEMORY_UTILIZATION": _number(serving.gpu_memory_utilization),
        # Exit when the model cannot load, so the endpoint fails its health check instead of hanging.
        "SERVING_FAIL_FAST": "true",
    }
    if serving.quantize:
        method = serving.quantize.lower()
        if method in RUNTIME_QUANTIZATION:
            env["OPTION_QUANTIZE"] = method
    if serving.kv_cache_dtype != "auto":
        env["OPTION_KV_CACHE_DTYPE"] = serving.kv_cache_dtype
    speculative = speculative_config(serving, staged=model_uri is not None)
    if speculative:
        env["OPTION_SPECULATIVE_CONFIG"] = json.dumps(speculative, separators=(",", ":"), sort_keys=True)
    if max_concurrent_requests is not None:
        env["OPTION_MAX_ROLLING_BATCH_SIZE"] = str(max_concurrent_requests)
    return env


def speculative_config(serving: Serving, *, staged: bool) -> dict[str, object] | None:
    """vLLM's ``speculative_config``: the draft from the Hub, or from the staged ``draft/`` folder."""
    if serving.draft is None:
        return None
    model = f"{MODEL_DIR}/{DRAFT_SUBDIR}" if staged else serving.draft.hf_model_id
    return {"model": model, "num_speculative_tokens": serving.draft.num_speculative_tokens}


def model_data_source(model_uri: str) -> dict[str, Any]:
    """``ContainerDefinition.ModelDataSource`` for weights staged uncompressed under an S3 prefix."""
    uri = model_uri if model_uri.endswith("/") else model_uri + "/"
    return {"S3DataSource": {"S3Uri": uri, "S3DataType": "S3Prefix", "CompressionType": "None"}}


def gated_without_weights(spec: ModelSpec, model_uri: str | None) -> list[str]:
    """The gated Hugging Face models a deployment of ``spec`` would have to download without a token."""
    if model_uri:
        return []
    serving = _serving(spec)
    gated = [serving.hf_model_id] if serving.gated else []
    if serving.draft is not None and serving.draft.gated:
        gated.append(serving.draft.hf_model_id)
    return gated


def container_definition(
    spec: ModelSpec, region: str, *, tag: str = LMI_TAG, model_uri: str | None = None
) -> dict[str, Any]:
    """``CreateModel``'s ``PrimaryContainer`` (CloudFormation ``AWS::SageMaker::Model`` has the same keys)."""
    serving = _serving(spec)
    container: dict[str, Any] = {"Image": lmi_image_uri(region, tag),
                                 "Environment": lmi_environment(serving, model_uri=model_uri)}
    if model_uri:
        container["ModelDataSource"] = model_data_source(model_uri)
    return container


def production_variant(
    spec: ModelSpec,
    model_name: str,
    *,
    initial_instance_count: int = 1,
    variant_name: str = "AllTraffic",
    tag: str = LMI_TAG,
) -> dict[str, Any]:
    """``CreateEndpointConfig``'s production variant for ``spec`` (served by the image ``tag``)."""
    serving = _serving(spec)
    return {
        "VariantName": variant_name,
        "ModelName": model_name,
        "InstanceType": serving.instance_type,
        "InitialInstanceCount": initial_instance_count,
        "InferenceAmiVersion": inference_ami_version(tag),
        "ContainerStartupHealthCheckTimeoutInSeconds": STARTUP_TIMEOUT_S,
        "ModelDataDownloadTimeoutInSeconds": DOWNLOAD_TIMEOUT_S,
    }


def served_models(specs: list[ModelSpec] | tuple[ModelSpec, ...]) -> list[ModelSpec]:
    """The catalog models that have SageMaker serving settings."""
    return [s for s in specs if s.serving is not None]


def _serving(spec: ModelSpec) -> Serving:
    if spec.serving is None:
        raise ValueError(f"model {spec.id} has no serving settings in the catalog")
    return spec.serving


def _number(value: float) -> str:
    return format(value, "g")
