"""Serving configs that provably fit their GPUs; gated weights only from S3; the LMI tag pinned."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from infra_cdk.inference import endpoint_plans
from infra_cdk.parameters import load_parameters
from model_endpoints.serving import LMI_TAG, container_definition, served_models
from model_endpoints.sizing import GIB, SizingError, check, size
from model_endpoints.stage import stage_plan
from parley.catalog import load_catalog

#: The catalog as it was before sizing existed: parley-fast asked for 128K tokens on one L4.
OLD_FAST = {"instance_type": "ml.g6.2xlarge", "max_model_len": 131072}


def spec(model_id: str, **serving: object):
    found = load_catalog().get(model_id)
    assert found is not None and found.serving is not None
    return found.model_copy(update={"serving": found.serving.model_copy(update=serving)})


def test_every_catalog_model_fits_its_instance(capsys) -> None:
    for model in served_models(load_catalog().models):
        sizing = check(model)
        assert sizing.headroom_gib >= 0
        print(sizing.line())
    out = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + out)


def test_the_kv_cache_arithmetic_of_llama_8b() -> None:
    # 2 x 32 layers x 8 KV heads x 128 x 2 bytes = 128 KiB a token: 16 GiB for one 128K sequence.
    sizing = size(spec("parley-fast"))
    assert sizing.kv_per_token_kib == 128
    assert sizing.kv_gib == pytest.approx(16.0)
    assert sizing.weights_gib == pytest.approx(8.03e9 * 2 / GIB)


def test_128k_on_one_l4_is_refused() -> None:
    with pytest.raises(SizingError, match="cannot start on ml.g6.2xlarge"):
        check(spec("parley-fast", **OLD_FAST))
    # 32K fits there (the trade-off documented in docs/deploy.md), with fp8 weights.
    on_l4 = spec("parley-fast", instance_type="ml.g6.2xlarge", max_model_len=32768, quantize="fp8",
                 full_context_sequences=2)
    check(on_l4.model_copy(update={"context_window": 32768}))


def test_context_window_beyond_max_model_len_is_refused() -> None:
    with pytest.raises(SizingError, match="context_window"):
        check(spec("parley-fast", max_model_len=32768))


def test_the_draft_counts_towards_weights_and_kv() -> None:
    with_draft, without = size(spec("parley-smart")), size(spec("parley-smart", draft=None))
    assert with_draft.weights_gib > without.weights_gib
    assert with_draft.kv_per_token_kib == without.kv_per_token_kib + 32  # 2 x 16 x 8 x 64 x 2 bytes


def test_tensor_parallel_beyond_the_instance_is_refused() -> None:
    with pytest.raises(SizingError, match="tensor_parallel_degree"):
        check(spec("parley-code", instance_type="ml.g6e.2xlarge"))


def _sagemaker(models: dict[str, object]):
    return load_parameters({"parley.inference.mode": "sagemaker", "parley.inference.models": json.dumps(models)})


def test_synth_refuses_a_config_that_cannot_start() -> None:
    staged = {"parley-fast": {"model_s3_uri": "s3://w/fast/"}, "parley-smart": {"model_s3_uri": "s3://w/smart/"}}
    assert len(endpoint_plans(_sagemaker(staged))) == 4
    staged["parley-fast"] = {"model_s3_uri": "s3://w/fast/", "instance_type": "ml.g6.2xlarge"}
    with pytest.raises(SizingError, match="cannot start"):
        endpoint_plans(_sagemaker(staged))


def test_gated_models_need_staged_weights() -> None:
    with pytest.raises(ValueError, match="meta-llama/Llama-3.2-1B-Instruct"):
        endpoint_plans(_sagemaker({"parley-fast": {"model_s3_uri": "s3://w/fast/"}}))


def test_staged_weights_and_draft_come_from_the_model_directory() -> None:
    container = container_definition(spec("parley-smart"), "us-east-1", model_uri="s3://w/smart/")
    env = container["Environment"]
    assert env["HF_MODEL_ID"] == "/opt/ml/model"
    assert json.loads(env["OPTION_SPECULATIVE_CONFIG"]) == {"model": "/opt/ml/model/draft",
                                                            "num_speculative_tokens": 5}
    assert container["ModelDataSource"] == {"S3DataSource": {
        "S3Uri": "s3://w/smart/", "S3DataType": "S3Prefix", "CompressionType": "None"}}
    assert not any("TOKEN" in k for k in env)
    assert [(c.repo_id, c.s3_uri) for c in stage_plan(spec("parley-smart"), "s3://w/smart")] == [
        ("meta-llama/Llama-3.3-70B-Instruct", "s3://w/smart/"),
        ("meta-llama/Llama-3.2-1B-Instruct", "s3://w/smart/draft/")]


def test_models_stage_dry_run_without_the_sdk() -> None:
    code = ("import sys; from parley.cli import main; rc = main(['models', 'stage', '--model', 'parley-smart', "
            "'--uri', 's3://w/smart/', '--dry-run']); "
            "print('sdk', 'sagemaker' in sys.modules or 'huggingface_hub' in sys.modules); sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "meta-llama/Llama-3.2-1B-Instruct -> s3://w/smart/draft/ (gated: needs a token)" in out
    assert '"model_s3_uri": "s3://w/smart/"' in out
    assert "sdk False" in out


def test_the_lmi_tag_is_the_cited_release() -> None:
    # deepjavalibrary/djl-serving serving/docs/lmi/release_notes.md, LMI V18 (2025-12-15).
    assert LMI_TAG == "0.36.0-lmi18.0.0-cu128"
