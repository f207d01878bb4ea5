"""Local mode's AWS: settings pointed at the local servers, and the tables and bucket they hold.

Tables and the bucket are created when missing and kept otherwise, so data survives restarts.
"""

from __future__ import annotations

from typing import Any

from parley.local import servers
from parley.settings import Settings


def with_local_servers(settings: Settings) -> Settings:
    """``settings`` with the endpoints of this process's local servers (started on first use).

    Settings that already name both endpoints are kept as they are (servers started elsewhere).
    """
    servers.use_local_credentials()
    if settings.dynamodb_endpoint and settings.s3_endpoint:
        return settings
    endpoints = servers.ensure_running(settings.data_dir, settings.dynamodb_local_dir)
    return settings.model_copy(update={
        "dynamodb_endpoint": settings.dynamodb_endpoint or endpoints.dynamodb,
        "s3_endpoint": settings.s3_endpoint or endpoints.s3,
        "data_dir": endpoints.data_dir,
    })


def provision(settings: Settings, s3: Any) -> None:
    """Create the tables and the bucket these settings name, if missing."""
    from parley.storage.schema import create_tables

    create_tables(settings)
    try:
        s3.head_bucket(Bucket=settings.bucket_data)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=settings.bucket_data)
    # The web client uploads straight to the S3 server (another port: another origin), as it does
    # to S3 on AWS, where the CDK app sets the same rule on the bucket.
    s3.put_bucket_cors(Bucket=settings.bucket_data, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["*"], "AllowedMethods": ["POST", "GET", "HEAD"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600,
    }]})
