"""Deploy one catalog model to a SageMaker endpoint outside CDK, for experiments.

    python -m model_endpoints.deploy --model parley-fast --region us-east-1 --role-arn arn:aws:iam::...
    python -m model_endpoints.deploy --model parley-fast --region us-east-1 --dry-run
    python -m model_endpoints.deploy --delete --endpoint-name parley-fast --region us-east-1

Uses the ``sagemaker`` SDK (v3: ``sagemaker.core``), installed with ``pip install -e '.[deploy]'``.
It is imported inside the functions that call AWS only: it weighs about 1 GB, takes seconds to
import and refuses to import without a region, so nothing else may pay for it. The plan itself
(names, container, variant) is pure and comes from ``serving.py``, exactly as the CDK app gets it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from model_endpoints.serving import LMI_TAG, container_definition, production_variant
from parley.catalog import ModelSpec, load_catalog

_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_SECRET_KEYS = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"})


@dataclass(frozen=True)
class DeployPlan:
    region: str
    role_arn: str | None
    endpoint_name: str
    model_name: str
    endpoint_config_name: str
    container: dict[str, Any]
    variant: dict[str, Any]
    tags: list[dict[str, str]] = field(default_factory=list)

    def redacted(self) -> dict[str, Any]:
        """The plan as JSON-ready data with secrets masked (for printing)."""
        env = {k: ("***" if k in _SECRET_KEYS else v) for k, v in self.container["Environment"].items()}
        return {
            "region": self.region,
            "roleArn": self.role_arn,
            "endpointName": self.endpoint_name,
            "modelName": self.model_name,
            "endpointConfigName": self.endpoint_config_name,
            "container": {**self.container, "Environment": env},
            "variant": self.variant,
            "tags": self.tags,
        }


def resource_name(base: str, stamp: str, suffix: str = "") -> str:
    """A SageMaker resource name (63 characters, letters, digits and hyphens) ending in ``stamp``."""
    tail = f"-{suffix}-{stamp}" if suffix else f"-{stamp}"
    head = re.sub(r"[^a-zA-Z0-9-]+", "-", base).strip("-")[: 63 - len(tail)].rstrip("-")
    return head + tail


def plan_deployment(
    spec: ModelSpec,
    *,
    region: str,
    role_arn: str | None,
    endpoint_name: str | None = None,
    instance_type: str | None = None,
    instance_count: int = 1,
    tag: str = LMI_TAG,
    model_uri: str | None = None,
    hf_token: str | None = None,
    now: datetime | None = None,
) -> DeployPlan:
    """Everything a deployment will create, decided without calling AWS."""
    endpoint = endpoint_name or spec.backend.endpoint
    if not _NAME.match(endpoint):
        raise ValueError(f"invalid SageMaker endpoint name: {endpoint!r}")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    model_name = resource_name(endpoint, stamp)
    config_name = resource_name(endpoint, stamp, "cfg")
    container = container_definition(spec, region, tag=tag, model_uri=model_uri)
    if hf_token:
        container["Environment"]["HF_TOKEN"] = hf_token
    variant = production_variant(spec, model_name, initial_instance_count=instance_count, tag=tag)
    if instance_type:
        variant["InstanceType"] = instance_type
    tags = [{"Key": "parley:model", "Value": spec.id}, {"Key": "parley:managed-by", "Value": "deploy.py"}]
    return DeployPlan(region, role_arn, endpoint, model_name, config_name, container, variant, tags)


def snake_case(fields: dict[str, Any]) -> dict[str, Any]:
    """``{"InstanceType": ...}`` -> ``{"instance_type": ...}``: the API's names as sagemaker.core's."""
    return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in fields.items()}


def deploy(plan: DeployPlan, *, wait: bool = True) -> str:  # pragma: no cover - calls AWS
    """Create the model and endpoint config, then create the endpoint or point it at the new config."""
    if not plan.role_arn:
        raise SystemExit("--role-arn is required to deploy (the role SageMaker assumes to pull the image)")
    os.environ.setdefault("AWS_DEFAULT_REGION", plan.region)  # the SDK refuses to import without one
    from sagemaker.core.resources import Endpoint, EndpointConfig, Model
    from sagemaker.core.shapes import ContainerDefinition, ProductionVariant, Tag

    tags = [Tag(key=t["Key"], value=t["Value"]) for t in plan.tags]
    Model.create(
        model_name=plan.model_name,
        primary_container=ContainerDefinition(**snake_case(plan.container)),
        execution_role_arn=plan.role_arn,
        tags=tags,
        region=plan.region,
    )
    EndpointConfig.create(
        endpoint_config_name=plan.endpoint_config_name,
        production_variants=[ProductionVariant(**snake_case(plan.variant))],
        tags=tags,
        region=plan.region,
    )
    existing = _existing_endpoint(Endpoint, plan)
    if existing is None:
        endpoint = Endpoint.create(
            endpoint_name=plan.endpoint_name,
            endpoint_config_name=plan.endpoint_config_name,
            tags=tags,
            region=plan.region,
        )
    else:
        existing.update(endpoint_config_name=plan.endpoint_config_name)
        endpoint = existing
    if wait:
        endpoint.wait_for_status(target_status="InService")
    return plan.endpoint_name


def delete(endpoint_name: str, region: str) -> None:  # pragma: no cover - calls AWS
    """Delete the endpoint (its configs and models stay, cheap to keep and useful to redeploy)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    from sagemaker.core.resources import Endpoint

    Endpoint.get(endpoint_name=endpoint_name, region=region).delete()


def _existing_endpoint(endpoint_cls: Any, plan: DeployPlan) -> Any:  # pragma: no cover - calls AWS
    try:
        return endpoint_cls.get(endpoint_name=plan.endpoint_name, region=plan.region)
    except Exception as exc:  # noqa: BLE001 - the SDK raises its own "not found" types by version
        if "not found" in str(exc).lower() or "could not find" in str(exc).lower():
            return None
        raise


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m model_endpoints.deploy", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--model", help="catalog model id, e.g. parley-fast")
    parser.add_argument("--region", required=True)
    parser.add_argument("--role-arn", help="SageMaker execution role ARN")
    parser.add_argument("--endpoint-name", help="defaults to the catalog's endpoint name for the model")
    parser.add_argument("--instance-type", help="overrides the catalog's instance type")
    parser.add_argument("--instance-count", type=int, default=1)
    parser.add_argument("--image-tag", default=LMI_TAG, help=f"LMI image tag (default {LMI_TAG})")
    parser.add_argument(
        "--model-uri", help="weights location instead of the Hugging Face id, e.g. s3://bucket/prefix/"
    )
    parser.add_argument(
        "--hf-token-env",
        metavar="VAR",
        help="name of an environment variable holding a Hugging Face token (gated models)",
    )
    parser.add_argument("--catalog", help="path to a catalog.json (default: the packaged one)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (secrets masked) and stop")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for InService")
    parser.add_argument("--delete", action="store_true", help="delete --endpoint-name instead of deploying")
    args = parser.parse_args(argv)
    if args.delete and not args.endpoint_name:
        parser.error("--delete needs --endpoint-name")
    if not args.delete and not args.model:
        parser.error("--model is required")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.delete:
        delete(args.endpoint_name, args.region)
        print(f"deleting endpoint {args.endpoint_name}")
        return 0
    catalog = load_catalog(args.catalog)
    spec = catalog.get(args.model)
    if spec is None:
        print(
            f"unknown model {args.model!r}; known: {', '.join(m.id for m in catalog.models)}", file=sys.stderr
        )
        return 2
    if spec.serving is None:
        print(f"model {spec.id} has no serving settings in the catalog", file=sys.stderr)
        return 2
    hf_token = None
    if args.hf_token_env:
        hf_token = os.environ.get(args.hf_token_env)
        if not hf_token:
            print(f"environment variable {args.hf_token_env} is not set", file=sys.stderr)
            return 2
    plan = plan_deployment(
        spec,
        region=args.region,
        role_arn=args.role_arn,
        endpoint_name=args.endpoint_name,
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        tag=args.image_tag,
        model_uri=args.model_uri,
        hf_token=hf_token,
    )
    if args.dry_run:
        print(json.dumps(plan.redacted(), indent=2))
        return 0
    endpoint = deploy(plan, wait=not args.no_wait)
    print(f"endpoint {endpoint} {'is in service' if not args.no_wait else 'is being created'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
