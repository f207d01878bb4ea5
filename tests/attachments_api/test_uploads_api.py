"""POST /attachments, the presigned upload over real HTTP to the local S3 server (which enforces the POST
policy like S3), GET and DELETE."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import pytest

from parley.attachments import Limits
from parley.attachments.config import AttachmentConfig
from parley.attachments.kinds import DOCX_TYPE
from parley.attachments.service import AttachmentService
from parley.attachments.uploads import chunks_key, extracted_key, object_prefix, original_key, upload_key
from parley.ids import is_id
from tests.attachments.samples import encrypt_pdf, filler_document, image_bytes, make_docx, make_pdf
from tests.attachments_api.conftest import declare, send_upload, upload


def keys_of(service: AttachmentService, attachment_id: str) -> set[str]:
    s3, bucket = service._blobs.client, service._blobs.bucket
    found = set()
    for prefix in (upload_key(attachment_id), f"attachments/{attachment_id}/"):
        found |= {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}
    return found


def test_declare_returns_a_presigned_post_bound_to_type_and_size(att_client, auth) -> None:
    before = int(time.time() * 1000)
    r = declare(att_client, auth, "report.pdf", "application/pdf", 1234)
    assert r.status_code == 201, r.text
    body = r.json()
    assert is_id(body["attachmentId"])
    assert body["method"] == "POST"
    assert body["uploadUrl"].startswith("http://127.0.0.1:")
    assert before + 60_000 < body["expiresAt"] <= int(time.time() * 1000) + 15 * 60_000
    fields = body["fields"]
    assert fields["key"] == f"uploads/{body['attachmentId']}"
    assert fields["Content-Type"] == "application/pdf"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1234, 1234] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert {"key": fields["key"]} in policy["conditions"]

    status = att_client.get(f"/attachments/{body['attachmentId']}", headers=auth)
    assert status.status_code == 200
    assert status.json() == {
        "attachmentId": body["attachmentId"], "status": "pending", "kind": "pdf", "filename": "report.pdf",
        "contentType": "application/pdf", "size": 1234, "createdAt": status.json()["createdAt"],
    }


def test_pdf_upload_over_http_becomes_ready_with_its_derived_files(att_client, auth, service) -> None:
    data = make_pdf([[f"Page {n} line {i}" for i in range(30)] for n in range(1, 4)])
    body = upload(att_client, auth, "three pages.pdf", data, "application/pdf")
    assert body["status"] == "ready", body
    assert body["kind"] == "pdf" and body["pages"] == 3 and body["tokens"] > 50
    assert "reason" not in body
    aid = body["attachmentId"]
    # The upload is consumed; what the chat path reads stays.
    assert keys_of(service, aid) == {extracted_key(aid), chunks_key(aid)}
    record = service._repo.get(aid)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.chunk_count >= 1
    # Reading again does not process again.
    again = att_client.get(f"/attachments/{aid}", headers=auth).json()
    assert again == body


def test_docx_and_code_uploads(att_client, auth) -> None:
    docx = make_docx([("h1", "Design"), ("p", "The cache key covers the model and the prompt.")])
    body = upload(att_client, auth, "design.docx", docx, DOCX_TYPE)
    assert body["status"] == "ready" and body["kind"] == "docx"
    code = upload(att_client, auth, "tool.ts", b"export const answer = 42;\n", "video/mp2t")
    assert code["status"] == "ready" and code["kind"] == "code"
    assert code["contentType"] == "video/mp2t"  # bound as declared; the name decided the kind


def test_image_upload_reports_dimensions_and_keeps_the_bytes(att_client, auth, service) -> None:
    data = image_bytes("PNG", (640, 480))
    body = upload(att_client, auth, "chart.png", data, "image/png")
    assert body["status"] == "ready", body
    assert (body["kind"], body["width"], body["height"]) == ("image", 640, 480)
    assert body["tokens"] > 85
    aid = body["attachmentId"]
    assert keys_of(service, aid) == {extracted_key(aid), original_key(aid)}
    stored = service._blobs.client.get_object(Bucket=service._blobs.bucket, Key=original_key(aid))
    assert stored["Body"].read() == data


def test_an_image_is_served_back_to_its_owner_only(att_client, auth, make_user) -> None:
    data = image_bytes("PNG", (64, 48))
    aid = upload(att_client, auth, "chart.png", data, "image/png")["attachmentId"]
    got = att_client.get(f"/attachments/{aid}/content", headers=auth)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/png" and got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"].startswith("private")
    assert att_client.get(f"/attachments/{aid}/content", headers=make_user("plus")).status_code == 404
    assert att_client.get(f"/attachments/{aid}/content").status_code == 401
    note = upload(att_client, auth, "note.txt", b"plain words here", "text/plain")["attachmentId"]
    assert att_client.get(f"/attachments/{note}/content", headers=auth).status_code == 404  # images only


def test_a_damaged_file_fails_with_a_reason(att_client, auth, service) -> None:
    body = upload(att_client, auth, "broken.pdf", b"%PDF-1.4 this is not really a pdf" * 10, "application/pdf")
    assert body["status"] == "failed"
    assert body["reason"]["code"] == "extraction_failed"
    assert body["reason"]["message"]
    assert keys_of(service, body["attachmentId"]) == set()


def test_an_encrypted_pdf_fails(att_client, auth) -> None:
    data = encrypt_pdf(make_pdf([["secret"]]), user_password="pw")
    body = upload(att_client, auth, "locked.pdf", data, "application/pdf")
    assert body["status"] == "failed" and body["reason"]["code"] == "extraction_failed"


def test_bytes_that_are_not_what_was_declared_fail(att_client, auth) -> None:
    # A JPEG declared and uploaded as a PNG: the bytes decide.
    body = upload(att_client, auth, "photo.png", image_bytes("JPEG"), "image/png")
    assert body["status"] == "failed"
    assert "JPEG" in body["reason"]["message"]


@pytest.mark.parametrize(
    ("body", "fields", "status", "s3_code"),
    [
        (b"x" * 5_000_000, {}, 400, "EntityTooLarge"),  # 5 MB on a 10-byte ticket
        (b"far more than ten", {}, 400, "EntityTooLarge"),
        (b"short", {}, 400, "EntityTooSmall"),
        (b"0123456789", {"Content-Type": "text/html"}, 403, "AccessDenied"),
        (b"0123456789", {"key": "attachments/../conversations/evil"}, 400, "InvalidRequest"),
        (b"0123456789", {"key": "conversations/evil"}, 403, "AccessDenied"),
    ],
    ids=["5MB-on-10B", "oversize", "undersize", "content-type", "dot-dot-key", "other-key"],
)
def test_the_s3_server_refuses_uploads_outside_the_ticket(att_client, auth, service, body, fields, status,
                                                         s3_code) -> None:
    created = declare(att_client, auth, "notes.txt", "text/plain", 10).json()
    ticket = dict(created, fields=dict(created["fields"], **fields))
    sent = send_upload(ticket, body, "notes.txt", fields.get("Content-Type", "text/plain"))
    assert sent.status_code == status and f"<Code>{s3_code}</Code>" in sent.text, sent.text
    # Nothing was stored under the upload's key or the attachment's objects, and it cannot be used
    # (other tests share the bucket, so only this attachment's keys are looked at).
    s3, bucket, aid = service._blobs.client, service._blobs.bucket, created["attachmentId"]
    for prefix in (upload_key(aid), object_prefix(aid)):
        assert s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0) == 0
    assert att_client.get(f"/attachments/{created['attachmentId']}", headers=auth).json()["status"] == "pending"
    cid = att_client.post("/conversations", json={}, headers=auth).json()["conversationId"]
    r = att_client.post(f"/conversations/{cid}/messages", headers=auth,
                        json={"content": "read it", "attachments": [created["attachmentId"]]})
    assert r.status_code == 409 and r.json()["code"] == "attachment_not_ready"


def _put_around_the_policy(service, attachment_id: str, body: bytes, content_type: str) -> None:
    """An object that got there without the ticket (another tool, an S3 server that skips policies)."""
    service._blobs.client.put_object(Bucket=service._blobs.bucket, Key=upload_key(attachment_id), Body=body,
                                     ContentType=content_type)


def test_an_object_of_another_size_than_declared_is_never_used(att_client, auth, service) -> None:
    created = declare(att_client, auth, "notes.txt", "text/plain", 10).json()
    _put_around_the_policy(service, created["attachmentId"], b"far more than ten bytes of text", "text/plain")
    body = att_client.get(f"/attachments/{created['attachmentId']}", headers=auth).json()
    assert body["status"] == "failed"
    assert body["reason"]["code"] == "invalid_attachment"
    assert "declared" in body["reason"]["message"]


def test_an_object_with_another_content_type_is_never_used(att_client, auth, service) -> None:
    created = declare(att_client, auth, "notes.txt", "text/plain", 5).json()
    _put_around_the_policy(service, created["attachmentId"], b"hello", "text/html")
    body = att_client.get(f"/attachments/{created['attachmentId']}", headers=auth).json()
    assert body["status"] == "failed" and "text/html" in body["reason"]["message"]


@pytest.mark.parametrize(
    ("filename", "content_type", "size", "status", "code"),
    [
        ("huge.pdf", "application/pdf", 21 * 1024 * 1024, 413, "attachment_too_large"),
        ("big.png", "image/png", 6 * 1024 * 1024, 413, "attachment_too_large"),
        ("setup.exe", "application/x-msdownload", 1000, 415, "unsupported_media_type"),
        ("empty.txt", "text/plain", 0, 422, "invalid_attachment"),
        ("report.pdf", "image/png", 1000, 422, "invalid_attachment"),
        ("", "text/plain", 10, 422, "validation_error"),
    ],
)
def test_bad_declarations(att_client, auth, filename, content_type, size, status, code) -> None:
    r = declare(att_client, auth, filename, content_type, size)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code
    assert body["message"] and body["retryable"] is False


def test_limits_come_from_the_config(att_client, auth, service, swap_service) -> None:
    config = AttachmentConfig(limits=Limits(allowed_kinds=frozenset({"pdf", "text"}), max_text_bytes=100),
                              process_inline=True, isolation="none")
    strict = AttachmentService(service._repo, service._blobs, service._signer, config)
    with swap_service(strict):
        image = declare(att_client, auth, "a.png", "image/png", 100)
        assert image.status_code == 415 and "not enabled" in image.json()["message"]
        text = declare(att_client, auth, "a.txt", "text/plain", 101)
        assert text.status_code == 413 and "100 bytes" in text.json()["message"]
        assert declare(att_client, auth, "a.txt", "text/plain", 100).status_code == 201


def test_another_users_attachment_is_404_everywhere(att_client, auth, make_user) -> None:
    mine = upload(att_client, auth, "mine.txt", b"private notes", "text/plain")
    other = make_user()
    aid = mine["attachmentId"]
    for method in ("get", "delete"):
        r = getattr(att_client, method)(f"/attachments/{aid}", headers=other)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
    missing = att_client.get("/attachments/01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=auth)
    assert missing.status_code == 404
    assert att_client.get(f"/attachments/{aid}", headers=auth).json()["status"] == "ready"


def test_malformed_ids_and_no_token(att_client, auth) -> None:
    assert att_client.get("/attachments/not-an-id", headers=auth).status_code == 422
    assert att_client.get("/attachments/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 401
    assert att_client.post("/attachments", json={"filename": "a.txt", "size": 3}).status_code == 401


def test_delete_removes_the_record_and_objects(att_client, auth, service) -> None:
    body = upload(att_client, auth, "gone.png", image_bytes("PNG"), "image/png")
    aid = body["attachmentId"]
    assert keys_of(service, aid)
    assert att_client.delete(f"/attachments/{aid}", headers=auth).json() == {"success": True}
    assert keys_of(service, aid) == set()
    assert att_client.get(f"/attachments/{aid}", headers=auth).status_code == 404
    assert att_client.delete(f"/attachments/{aid}", headers=auth).status_code == 404


def test_a_large_document_is_chunked(att_client, auth, service) -> None:
    pages = [filler_document(6, seed=n) for n in range(30)]
    body = upload(att_client, auth, "long.pdf", make_pdf(pages), "application/pdf")
    assert body["status"] == "ready" and body["pages"] == 30
    record = service._repo.get(body["attachmentId"])
    assert record.chunk_count > 10


def test_unused_attachments_expire(att_client, auth, service, swap_service) -> None:
    body = upload(att_client, auth, "old.txt", b"yesterday's notes", "text/plain")
    aid = body["attachmentId"]
    later = time.time() + service.config.unused_ttl_s + 1
    aged = AttachmentService(service._repo, service._blobs, service._signer, service.config, clock=lambda: later)
    with swap_service(aged):
        assert att_client.get(f"/attachments/{aid}", headers=auth).status_code == 404
    # Gone for good, not hidden: the record and its objects were deleted.
    assert service._repo.get(aid) is None and keys_of(service, aid) == set()


def _record_expiry(service: AttachmentService, aid: str) -> Any:
    return service._repo.get(aid).expires_at


def test_pending_records_carry_a_ttl(att_client, auth, service) -> None:
    created = declare(att_client, auth, "later.txt", "text/plain", 5).json()
    expires = _record_expiry(service, created["attachmentId"])
    expected = time.time() * 1000 + service.config.unused_ttl_s * 1000
    assert abs(expires - expected) < 60_000
