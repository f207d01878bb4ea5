"""The LMI serving configuration built from the catalog (used by the CDK app and deploy.py)."""

from __future__ import annotations

import json
import re

import pytest

from model_endpoints.serving import (
    LMI_TAG,
    container_definition,
    inference_ami_version,
    lmi_environment,
    lmi_image_uri,
    production_variant,
    served_models,
)
from parley.catalog import Catalog, ModelSpec, Serving, load_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def serving(**overrides: object) -> Serving:
    base = {"hf_model_id": "org/model", "instance_type": "ml.g6.2xlarge", "max_model_len": 8192}
    return Serving.model_validate({**base, **overrides})


def test_every_served_model_gets_a_complete_string_environment(catalog: Catalog):
    for spec in served_models(catalog.models):
        assert spec.serving is not None
        env = lmi_environment(spec.serving)
        assert all(isinstance(v, str) for v in env.values())  # CloudFormation takes strings only
        assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", k) for k in env)
        assert env["HF_MODEL_ID"] == spec.serving.hf_model_id
        assert env["OPTION_MAX_MODEL_LEN"] == str(spec.serving.max_model_len)
        assert env["TENSOR_PARALLEL_DEGREE"] == str(spec.serving.tensor_parallel_degree)
        # Async mode: the vLLM handler that speaks OpenAI chat and streams JSON lines.
        assert env["OPTION_ASYNC_MODE"] == "true" and env["OPTION_ROLLING_BATCH"] == "disable"
        assert env["OPTION_ENTRYPOINT"] == "djl_python.lmi_vllm.vllm_async_service"


def test_fast_model_environment(catalog: Catalog):
    spec = catalog.get("parley-fast")
    assert spec is not None and spec.serving is not None
    env = lmi_environment(spec.serving)
    assert env["OPTION_ENABLE_PREFIX_CACHING"] == "true"
    assert env["OPTION_GPU_MEMORY_UTILIZATION"] == "0.9"
    assert "OPTION_QUANTIZE" not in env and "OPTION_SPECULATIVE_CONFIG" not in env


def test_smart_model_quantizes_at_runtime_and_speculates(catalog: Catalog):
    spec = catalog.get("parley-smart")
    assert spec is not None and spec.serving is not None
    env = lmi_environment(spec.serving)
    assert env["OPTION_QUANTIZE"] == "fp8"
    draft = spec.serving.draft
    assert draft is not None
    assert json.loads(env["OPTION_SPECULATIVE_CONFIG"]) == {"model": draft.hf_model_id,
                                                            "num_speculative_tokens": draft.num_speculative_tokens}
    assert env["TENSOR_PARALLEL_DEGREE"] == "8"


@pytest.mark.parametrize("method", ["awq", "gptq", "AWQ"])
def test_prequantized_checkpoints_are_not_forced(method: str):
    assert "OPTION_QUANTIZE" not in lmi_environment(serving(quantize=method))


def test_switches_and_overrides():
    env = lmi_environment(
        serving(prefix_caching=False, gpu_memory_utilization=0.85),
        model_uri="s3://bucket/weights/",
        max_concurrent_requests=32,
    )
    assert env["OPTION_ENABLE_PREFIX_CACHING"] == "false"
    assert env["OPTION_GPU_MEMORY_UTILIZATION"] == "0.85"
    assert env["HF_MODEL_ID"] == "/opt/ml/model"  # SageMaker copies the staged prefix there
    assert env["OPTION_MAX_ROLLING_BATCH_SIZE"] == "32"
    assert not any("TOKEN" in k for k in env)  # secrets are the deployer's, never the config's


@pytest.mark.parametrize(
    ("region", "uri"),
    [
        ("us-east-1", f"763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:{LMI_TAG}"),
        ("eu-west-3", f"763104351884.dkr.ecr.eu-west-3.amazonaws.com/djl-inference:{LMI_TAG}"),
        ("cn-north-1", f"763104351884.dkr.ecr.cn-north-1.amazonaws.com.cn/djl-inference:{LMI_TAG}"),
    ],
)
def test_image_uri_by_region(region: str, uri: str):
    assert lmi_image_uri(region) == uri


def test_image_tag_is_an_lmi_vllm_tag():
    assert re.fullmatch(r"\d+\.\d+\.\d+-lmi\d+\.\d+\.\d+-cu\d+", LMI_TAG)


@pytest.mark.parametrize(
    ("tag", "ami"),
    [
        ("0.36.0-lmi28.0.0-cu130", "al2023-ami-sagemaker-inference-gpu-4-1"),
        ("0.35.0-lmi17.0.0-cu128", "al2-ami-sagemaker-inference-gpu-3-1"),
    ],
)
def test_host_ami_matches_the_image_cuda(tag: str, ami: str):
    assert inference_ami_version(tag) == ami


def test_container_and_variant(catalog: Catalog):
    spec = catalog.get("parley-code")
    assert spec is not None and spec.serving is not None
    container = container_definition(spec, "us-west-2")
    assert container["Image"] == lmi_image_uri("us-west-2")
    assert container["Environment"] == lmi_environment(spec.serving)
    variant = production_variant(spec, "parley-code-20260101")
    assert variant["ModelName"] == "parley-code-20260101"
    assert variant["InstanceType"] == spec.serving.instance_type
    assert variant["InitialInstanceCount"] == 1
    assert variant["InferenceAmiVersion"] == inference_ami_version(LMI_TAG)
    assert 0 < variant["ContainerStartupHealthCheckTimeoutInSeconds"] <= 3600


def test_model_without_serving_is_refused(catalog: Catalog):
    spec = catalog.get("parley-fast")
    assert spec is not None
    bare: ModelSpec = spec.model_copy(update={"serving": None})
    with pytest.raises(ValueError, match="no serving settings"):
        container_definition(bare, "us-east-1")
    assert bare not in served_models([bare])
