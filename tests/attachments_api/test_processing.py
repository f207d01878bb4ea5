"""The attachments Lambda entry: S3 ObjectCreated events, TTL removals from the table's stream, retries."""

from __future__ import annotations

import importlib
import sys
import uuid
from urllib.parse import quote_plus

import pytest

from parley.attachments.config import AttachmentConfig
from parley.attachments.service import AttachmentService
from parley.attachments.uploads import extracted_key, object_prefix, upload_key
from tests.attachments.samples import make_docx
from tests.support import LambdaContext


def s3_record(bucket: str, key: str, size: int) -> dict:
    return {"eventSource": "aws:s3", "eventName": "ObjectCreated:Post", "awsRegion": "us-east-1",
            "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/"), "size": size}}}


def s3_event(bucket: str, key: str, size: int) -> dict:
    return {"Records": [s3_record(bucket, key, size)]}


def removal(attachment_id: str, sequence: str = "100") -> dict:
    return {"eventSource": "aws:dynamodb", "eventName": "REMOVE", "eventSourceARN": "arn:aws:dynamodb:stream",
            "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
            "dynamodb": {"Keys": {"pk": {"S": attachment_id}}, "SequenceNumber": sequence}}


def ttl_removal(attachment_id: str) -> dict:
    return {"Records": [removal(attachment_id)]}


@pytest.fixture(scope="module")
def lambda_module(att_app, local_endpoints):
    """The entry module as Lambda loads it (aws mode: no inline processing, forked extraction)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PARLEY_MODE", "aws")
    for name, url in local_endpoints.items():
        mp.setenv(f"PARLEY_{name.upper()}", url)
    sys.modules.pop("functions.attachments.handler", None)
    module = importlib.import_module("functions.attachments.handler")
    yield module
    mp.undo()
    sys.modules.pop("functions.attachments.handler", None)


def objects(service: AttachmentService, attachment_id: str) -> set[str]:
    s3, bucket = service._blobs.client, service._blobs.bucket
    keys = set()
    for prefix in (upload_key(attachment_id), object_prefix(attachment_id)):
        keys |= {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}
    return keys


def uploaded(service: AttachmentService, user: str, filename: str, data: bytes, content_type: str) -> str:
    aid = service.create_upload(user, filename, content_type, len(data)).attachment.attachment_id
    service._blobs.client.put_object(Bucket=service._blobs.bucket, Key=upload_key(aid), Body=data,
                                     ContentType=content_type)
    return aid


def test_the_lambda_processes_an_s3_event(lambda_module, service) -> None:
    svc = lambda_module._service
    assert (svc.config.process_inline, svc.config.isolation) == (False, "fork")
    user = f"user-{uuid.uuid4().hex[:8]}"
    data = make_docx([("h1", "Q3 plan"), ("p", "Ship the attachment pipeline.")])
    aid = uploaded(svc, user, "Q3 plan (final).docx", data, "application/zip")
    assert svc.get(user, aid).status == "pending"

    key = upload_key(aid)
    assert lambda_module.handler(s3_event(svc._blobs.bucket, key, len(data)), LambdaContext()) == {"processed": 1}
    record = svc.get(user, aid)
    assert record.status == "ready" and record.details["kind"] == "docx"
    assert objects(svc, aid) == {extracted_key(aid), f"{object_prefix(aid)}chunks.json"}

    # S3 delivers events at least once: a repeat changes nothing.
    lambda_module.handler(s3_event(svc._blobs.bucket, key, len(data)), LambdaContext())
    assert svc.get(user, aid) == record


def test_a_ttl_removal_deletes_the_objects(lambda_module, service) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    aid = uploaded(service, user, "n.txt", b"hello", "text/plain")
    assert service.get(user, aid).status == "ready"
    assert objects(service, aid)
    service._repo.delete(aid)  # what DynamoDB's TTL does
    assert lambda_module.handler(ttl_removal(aid), LambdaContext()) == {"batchItemFailures": []}
    assert objects(service, aid) == set()


def test_uploads_without_a_record_and_foreign_keys(lambda_module, service) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    aid = AttachmentService(service._repo, service._blobs, service._signer,
                            AttachmentConfig(isolation="none")).create_upload(
        user, "x.txt", "text/plain", 3).attachment.attachment_id
    service._repo.delete(aid)
    service._blobs.client.put_object(Bucket=service._blobs.bucket, Key=upload_key(aid), Body=b"abc")
    lambda_module.handler(s3_event(service._blobs.bucket, upload_key(aid), 3), LambdaContext())
    assert objects(service, aid) == set()
    # Keys outside the uploads layout are left alone.
    assert service.process_upload("uploads/../conversations/x") is None
    assert service.process_upload("cold/2026/x.json") is None


def test_a_held_claim_is_not_processed_twice(service) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    calls: list[str] = []

    def counting(data: bytes, **kwargs):
        calls.append(kwargs["filename"])
        from parley.attachments.extract import extract

        return extract(data, **kwargs)

    svc = AttachmentService(service._repo, service._blobs, service._signer,
                            AttachmentConfig(isolation="none"), extractor=counting)
    aid = uploaded(svc, user, "c.txt", b"claimed", "text/plain")
    assert svc._repo.claim(aid, svc._now_ms(), 60_000)  # another processor is at work
    assert svc.process_upload(upload_key(aid)).status == "pending"
    assert calls == []
    svc._repo.release(aid)
    assert svc.process_upload(upload_key(aid)).status == "ready"
    assert svc.process_upload(upload_key(aid)).status == "ready"
    assert calls == ["c.txt"]


def test_an_unexpected_error_releases_the_claim_and_fails_the_invocation(lambda_module, service) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"

    def broken(data: bytes, **kwargs):
        raise RuntimeError("disk on fire")

    svc = AttachmentService(service._repo, service._blobs, service._signer,
                            AttachmentConfig(isolation="none"), extractor=broken)
    aid = uploaded(svc, user, "r.txt", b"retry me", "text/plain")
    with pytest.raises(RuntimeError):
        lambda_module.handle(s3_event(svc._blobs.bucket, upload_key(aid), 8), svc)
    item = svc._repo._m.get(aid, consistent_read=True)
    assert item.status == "pending" and item.claimed_until is None
    # The retry (here with a working extractor) completes it.
    assert service.process_upload(upload_key(aid)).status == "ready"


def test_a_bad_upload_record_does_not_stop_the_others(lambda_module, service) -> None:
    """S3 invokes the function directly (no batch item failures): every record is processed, then the
    invocation fails so that Lambda retries; the retry finds the good record already done."""
    user = f"user-{uuid.uuid4().hex[:8]}"

    def picky(data: bytes, **kwargs):
        if kwargs["filename"] == "bad.txt":
            raise RuntimeError("extractor crashed")
        from parley.attachments.extract import extract

        return extract(data, **kwargs)

    svc = AttachmentService(service._repo, service._blobs, service._signer,
                            AttachmentConfig(isolation="none"), extractor=picky)
    bad = uploaded(svc, user, "bad.txt", b"boom", "text/plain")
    good = uploaded(svc, user, "good.txt", b"fine", "text/plain")
    event = {"Records": [s3_record(svc._blobs.bucket, upload_key(bad), 4),
                         s3_record(svc._blobs.bucket, upload_key(good), 4)]}
    with pytest.raises(RuntimeError, match="extractor crashed"):
        lambda_module.handle(event, svc)
    assert svc.get(user, good).status == "ready"
    assert svc.get(user, bad).status == "pending"  # claim released: the retry will take it


class _Forgetful:
    """A service whose ``forget`` fails for one attachment (the stream path needs nothing else)."""

    def __init__(self, failing: str) -> None:
        self.failing, self.forgotten = failing, []

    def forget(self, attachment_id: str) -> None:
        if attachment_id == self.failing:
            raise RuntimeError("S3 unavailable")
        self.forgotten.append(attachment_id)


def test_a_failed_stream_record_is_reported_alone(lambda_module) -> None:
    """The table's stream: a partial batch response names only the failed record for retry."""
    service = _Forgetful(failing="att-2")
    event = {"Records": [removal("att-1", "101"), removal("att-2", "102"), removal("att-3", "103")]}
    out = lambda_module.handle(event, service, LambdaContext())
    assert out == {"batchItemFailures": [{"itemIdentifier": "102"}]}
    assert service.forgotten == ["att-1", "att-3"]
