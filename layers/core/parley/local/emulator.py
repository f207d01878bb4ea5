"""Emulated AWS for local mode and tests.

moto's in-process mock patches botocore for the whole process, so it is started once per process
and shared by every app built in it; each app then creates the tables and bucket it names (if they
do not exist yet). Imported only in local mode: moto is not shipped to Lambda.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from parley.settings import Settings

_lock = threading.Lock()
_mock: Any = None

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def start_emulated_aws() -> None:
    """Start moto's in-process mock once for this process (idempotent)."""
    global _mock
    with _lock:
        if _mock is not None:
            return
        for key, value in _FAKE_CREDENTIALS.items():
            # Credentials that can never reach real AWS, should anything escape the mock.
            os.environ[key] = value
        from moto import mock_aws
        from moto.core import models as moto_models

        _serialize_requests(moto_models.botocore_stubber)
        _mock = mock_aws()
        _mock.start()


def _serialize_requests(stubber: Any) -> None:
    """Handle one emulated AWS request at a time.

    moto's backends are not thread-safe (its TransactWriteItems deep-copies a table while other
    threads write to it and fails with "dictionary changed size during iteration"), and the app
    calls AWS from worker threads. Real AWS needs no such lock; it exists only in local mode.
    """
    process = stubber.process_request
    # Re-entrant: a request may lead moto to make another in the same thread (a Step Functions
    # execution invoking a Lambda function that calls DynamoDB).
    lock = threading.RLock()

    def locked(request: Any) -> Any:
        with lock:
            return process(request)

    stubber.process_request = locked


def provision(settings: Settings, container: Any) -> None:
    """Create the tables and bucket this app's settings name, if missing."""
    from parley.storage.schema import create_tables

    create_tables(settings)
    s3 = container.s3
    try:
        s3.head_bucket(Bucket=settings.bucket_data)
    except s3.exceptions.ClientError:
        if settings.region == "us-east-1":
            s3.create_bucket(Bucket=settings.bucket_data)
        else:
            s3.create_bucket(
                Bucket=settings.bucket_data,
                CreateBucketConfiguration={"LocationConstraint": settings.region},
            )
