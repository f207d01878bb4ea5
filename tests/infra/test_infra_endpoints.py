"""The synthesized SageMaker endpoints: routing, staged weights, sizing at synth."""

from __future__ import annotations


def test_every_variant_routes_to_the_least_busy_instance(synth) -> None:
    configs = synth.of_type("AWS::SageMaker::EndpointConfig")
    assert configs
    for config in configs.values():
        for variant in config["Properties"]["ProductionVariants"]:
            assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


def test_gated_models_read_staged_weights(synth) -> None:
    containers = {m["Properties"]["PrimaryContainer"]["Environment"]["OPTION_MAX_MODEL_LEN"]: m
                  for m in synth.of_type("AWS::SageMaker::Model").values()}
    staged = [m["Properties"]["PrimaryContainer"] for m in synth.of_type("AWS::SageMaker::Model").values()
              if "ModelDataSource" in m["Properties"]["PrimaryContainer"]]
    assert containers and len(staged) == 2
    for container in staged:
        assert container["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
        assert container["ModelDataSource"]["S3DataSource"]["CompressionType"] == "None"
        assert container["Environment"].get("OPTION_SPECULATIVE_CONFIG", "/opt/ml/model/draft").count(
            "/opt/ml/model/draft") == 1
    assert "HF_TOKEN" not in str(synth.template)


def test_plans_carry_their_sizing(synth) -> None:
    for plan in synth.stack.inference.plans:
        assert plan.sizing.fits and plan.sizing.instance_type == plan.instance_type
