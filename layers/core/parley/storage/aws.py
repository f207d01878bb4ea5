"""boto3 clients as every part of Parley makes them: one retry policy, pools sized for concurrent streams."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from parley.settings import Settings


def aws_client(settings: Settings, service: str, endpoint_url: str | None = None) -> Any:
    config = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=64)
    # The stubs type each client by its service's literal name; this one factory makes several.
    factory: Any = boto3.client
    return factory(service, region_name=settings.region, endpoint_url=endpoint_url, config=config)
