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
_s3_server_url: str | None = None
#: One request at a time across the in-process mock and the loopback server (moto is not thread-safe).
#: Re-entrant: a request may lead moto to make another in the same thread (a Step Functions
#: execution invoking a Lambda function that calls DynamoDB).
_request_lock = threading.RLock()

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
        _constant_time_transactions()
        _mock = mock_aws()
        _mock.start()


def _constant_time_transactions() -> None:
    """Make moto's TransactWriteItems cost what the transaction writes, not what the tables hold.

    moto deep-copies every table a transaction touches so that it can roll back, which makes each
    chat turn slower as local data grows (seconds per turn with a few thousand messages). Requests
    are serialized (see above), so checking every condition first and then applying the writes is
    atomic without the copies: a transaction whose conditions fail changes nothing.
    """
    import copy as stdlib_copy
    from types import SimpleNamespace

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: Any = None) -> Any:
        # Only the rollback snapshot of whole tables is skipped; every other copy stays a real one.
        return value if isinstance(value, Table) else stdlib_copy.deepcopy(value, memo)

    dynamodb_models.copy = SimpleNamespace(copy=stdlib_copy.copy, deepcopy=deepcopy)  # type: ignore[attr-defined]
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        errors: list[tuple[Any, Any, Any]] = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            condition = op.get("ConditionExpression")
            if condition is None:
                errors.append((None, None, None))
                continue
            table = self.get_table(op["TableName"])
            attrs = op["Item"] if op_type == "Put" else op["Key"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
            current = self.get_item(op["TableName"], key)
            check = get_filter_expression(condition, op.get("ExpressionAttributeNames"),
                                          op.get("ExpressionAttributeValues"))
            if check.expr(current):
                errors.append((None, None, None))
            else:
                old = current.to_json()["Attributes"] if current and op.get(
                    "ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None
                errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        original(self, transact_items)

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def _serialize_requests(stubber: Any) -> None:
    """Handle one emulated AWS request at a time.

    moto's backends are not thread-safe (its TransactWriteItems deep-copies a table while other
    threads write to it and fails with "dictionary changed size during iteration"), and the app
    calls AWS from worker threads. Real AWS needs no such lock; it exists only in local mode.
    """
    process = stubber.process_request
    lock = _request_lock

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


def start_s3_server() -> str:
    """moto as an HTTP server on loopback, for what an outside client must reach (presigned uploads).

    It serves the same in-process backends as the mock (one state), so an object a browser uploads
    through it is visible to the app's own S3 client at once. Started once per process.
    """
    global _s3_server_url
    with _lock:
        if _s3_server_url is None:
            import logging

            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            inner = server._server.app  # the WSGI app; wrapped so that it takes turns with the mock

            def serialized(environ: Any, start_response: Any) -> Any:
                with _request_lock:
                    return inner(environ, start_response)

            server._server.app = serialized
            host, port = server.get_host_and_port()
            _s3_server_url = f"http://{host}:{port}"
        return _s3_server_url
