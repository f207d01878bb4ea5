"""context_for_turn (documents within a budget, images as content parts), link and conversation deletion."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import pytest

from parley.api.errors import status_of
from parley.attachments import Limits
from parley.attachments.config import AttachmentConfig
from parley.attachments.images import estimate_image_tokens
from parley.attachments.service import AttachmentService
from parley.attachments.uploads import upload_key
from parley.errors import ParleyError
from parley.ids import new_id
from parley.tokens import count_tokens
from tests.attachments.samples import filler_document, image_bytes, make_pdf

FACT = "The reactor coolant pump carries serial number ZX-4471."
QUESTION = "What is the serial number of the reactor coolant pump?"


def put_upload(service: AttachmentService, attachment_id: str, data: bytes, content_type: str) -> None:
    service._blobs.client.put_object(Bucket=service._blobs.bucket, Key=upload_key(attachment_id), Body=data,
                                     ContentType=content_type)


def ready(service: AttachmentService, user: str, filename: str, data: bytes, content_type: str) -> str:
    """An attachment uploaded and processed (the S3 path of a presigned POST is covered elsewhere)."""
    ticket = service.create_upload(user, filename, content_type, len(data))
    aid = ticket.attachment.attachment_id
    put_upload(service, aid, data, content_type)
    assert service.get(user, aid).status == "ready"
    return aid


def user() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def error_of(call) -> ParleyError:
    with pytest.raises(ParleyError) as info:
        call()
    return info.value


@pytest.fixture(scope="module")
def long_pdf() -> bytes:
    pages = [filler_document(5, seed=n) for n in range(40)]
    pages[26] = pages[26][:2] + [FACT] + pages[26][2:]
    return make_pdf(pages)


@pytest.fixture(scope="module")
def owner() -> str:
    return user()


@pytest.fixture(scope="module")
def long_id(service: AttachmentService, owner: str, long_pdf: bytes) -> str:
    return ready(service, owner, "manual.pdf", long_pdf, "application/pdf")


def test_a_large_document_gets_its_relevant_chunks_within_the_budget(service, owner, long_id) -> None:
    total = service._repo.get(long_id).chunk_count
    turn = service.context_for_turn(owner, [long_id], QUESTION, 1500)
    assert len(turn.document_blocks) == 1 and turn.image_parts == [] and turn.image_count == 0
    block = turn.document_blocks[0]
    assert "ZX-4471" in block
    assert turn.tokens == count_tokens(block) <= 1500
    record = turn.records[0]
    assert record["id"] == long_id and record["kind"] == "pdf" and record["totalChunks"] == total
    assert 0 < len(record["chunksUsed"]) < total
    assert record["tokens"] == turn.tokens
    assert f"of its {total} excerpts" in block
    assert '"manual.pdf"' in block


def test_the_budget_is_respected_at_every_size(service, owner, long_id) -> None:
    previous_used = 0
    for budget in (300, 700, 2500, 6000):
        turn = service.context_for_turn(owner, [long_id], QUESTION, budget)
        assert turn.tokens == count_tokens(turn.document_blocks[0]) <= budget
        used = len(turn.records[0]["chunksUsed"])
        assert used >= previous_used
        previous_used = used


def test_a_document_that_fits_is_included_whole(service, owner) -> None:
    aid = ready(service, owner, "short.txt", b"Only a few words here.\n", "text/plain")
    turn = service.context_for_turn(owner, [aid], "anything", 10_000)
    assert "Its full extracted content follows." in turn.document_blocks[0]
    assert "Only a few words here." in turn.document_blocks[0]
    assert turn.records[0]["chunksUsed"] == [0] and turn.records[0]["totalChunks"] == 1


def test_documents_share_the_budget(service, owner, long_id) -> None:
    small = ready(service, owner, "memo.md", b"# Memo\n\nThe pump was serviced in March.\n", "text/markdown")
    budget = 3000
    turn = service.context_for_turn(owner, [small, long_id], QUESTION, budget)
    assert [r["id"] for r in turn.records] == [small, long_id]
    small_record, long_record = turn.records
    assert small_record["chunksUsed"] == list(range(small_record["totalChunks"]))
    # What the memo leaves goes to the manual: it gets more than half.
    assert long_record["tokens"] > budget // 2
    assert turn.tokens == sum(count_tokens(b) for b in turn.document_blocks) <= budget
    assert "ZX-4471" in turn.document_blocks[1]


def test_too_small_a_budget_is_413(service, owner, long_id) -> None:
    err = error_of(lambda: service.context_for_turn(owner, [long_id], QUESTION, 10))
    assert (status_of(err), err.code) == (413, "attachments_too_large")


def test_an_image_becomes_a_content_part(service, owner, long_id) -> None:
    data = image_bytes("PNG", (1024, 768))
    image = ready(service, owner, "diagram.png", data, "image/png")
    turn = service.context_for_turn(owner, [image, long_id], QUESTION, 4000)
    assert turn.image_count == 1
    part = turn.image_parts[0]
    assert part["type"] == "image_url"
    prefix = "data:image/png;base64,"
    assert part["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(part["image_url"]["url"][len(prefix):]) == data
    estimate = estimate_image_tokens(1024, 768)
    assert turn.records[0] == {"id": image, "kind": "image", "filename": "diagram.png", "chunksUsed": [],
                               "totalChunks": 0, "tokens": estimate, "flagged": False, "families": []}
    # The images' estimate counts against the budget; the document gets the rest.
    assert turn.tokens == estimate + count_tokens(turn.document_blocks[0]) <= 4000
    assert turn.content_hashes[0] == hashlib.sha256(data).hexdigest()
    assert len(turn.content_hashes) == 2 and len(turn.document_blocks) == 1


def test_images_larger_than_the_budget_are_413(service, owner) -> None:
    image = ready(service, owner, "wide.png", image_bytes("PNG", (2000, 2000)), "image/png")
    err = error_of(lambda: service.context_for_turn(owner, [image], "what is this", 500))
    assert (status_of(err), err.code) == (413, "attachments_too_large")


def test_refusals(service, owner, long_id) -> None:
    stranger = user()
    foreign = error_of(lambda: service.context_for_turn(stranger, [long_id], "q", 1000))
    assert (status_of(foreign), foreign.code) == (404, "not_found")
    missing = error_of(lambda: service.context_for_turn(owner, [new_id()], "q", 1000))
    assert status_of(missing) == 404
    malformed = error_of(lambda: service.context_for_turn(owner, ["../../etc"], "q", 1000))
    assert status_of(malformed) == 422

    pending = service.create_upload(owner, "later.txt", "text/plain", 5).attachment.attachment_id
    not_ready = error_of(lambda: service.context_for_turn(owner, [pending], "q", 1000))
    assert (status_of(not_ready), not_ready.code, not_ready.retryable) == (409, "attachment_not_ready", True)

    broken = service.create_upload(owner, "bad.pdf", "application/pdf", 9).attachment.attachment_id
    put_upload(service, broken, b"not a pdf", "application/pdf")
    failed = error_of(lambda: service.context_for_turn(owner, [broken], "q", 1000))
    assert (status_of(failed), failed.code) == (422, "attachment_failed")
    reason = service._repo.get(broken).reason_message
    assert reason and failed.message == f"bad.pdf cannot be used: {reason}"


def test_without_inline_processing_an_uploaded_file_waits_for_its_event(service, owner) -> None:
    aws_like = AttachmentService(service._repo, service._blobs, service._signer,
                                 AttachmentConfig(process_inline=False, isolation="none"))
    aid = aws_like.create_upload(owner, "n.txt", "text/plain", 5).attachment.attachment_id
    put_upload(aws_like, aid, b"hello", "text/plain")
    assert aws_like.get(owner, aid).status == "pending"
    assert status_of(error_of(lambda: aws_like.context_for_turn(owner, [aid], "q", 1000))) == 409
    aws_like.process_upload(upload_key(aid))
    assert aws_like.context_for_turn(owner, [aid], "q", 1000).records[0]["chunksUsed"] == [0]


def test_count_limit_and_duplicates(service, owner) -> None:
    two = AttachmentService(service._repo, service._blobs, service._signer,
                            AttachmentConfig(limits=Limits(max_attachments_per_message=2), isolation="none",
                                             process_inline=True))
    ids = [ready(two, owner, f"n{i}.txt", f"note {i}".encode(), "text/plain") for i in range(3)]
    err = error_of(lambda: two.context_for_turn(owner, ids, "q", 1000))
    assert (status_of(err), err.code) == (422, "too_many_attachments")
    turn = two.context_for_turn(owner, [ids[0], ids[0], ids[1]], "q", 1000)
    assert [r["id"] for r in turn.records] == ids[:2]


def test_link_keeps_and_delete_for_conversation_removes(service) -> None:
    me, other = user(), user()
    conversation = new_id()
    mine = [ready(service, me, "a.txt", b"alpha", "text/plain"),
            ready(service, me, "b.png", image_bytes("PNG"), "image/png")]
    theirs = ready(service, other, "c.txt", b"gamma", "text/plain")
    unlinked = ready(service, me, "d.txt", b"delta", "text/plain")

    service.link(me, mine, conversation)
    service.link(me, mine, conversation)  # idempotent (a regenerate or a retried send)
    for aid in mine:
        record = service._repo.get(aid)
        assert record.conversation_id == conversation and record.expires_at is None
    # Linked attachments outlive the unused-upload TTL.
    later = time.time() + service.config.unused_ttl_s + 10
    aged = AttachmentService(service._repo, service._blobs, service._signer, service.config, clock=lambda: later)
    assert aged.get(me, mine[0]).status == "ready"

    assert error_of(lambda: service.link(me, [mine[0]], new_id())).code == "attachment_in_use"
    assert status_of(error_of(lambda: service.link(me, [theirs], conversation))) == 404
    assert status_of(error_of(lambda: service.link(me, [new_id()], conversation))) == 404
    service.link(other, [theirs], conversation)  # the chat path checks conversation ownership, not this

    assert service.delete_for_conversation(me, conversation) == 2
    for aid in mine:
        assert service._repo.get(aid) is None
        listed = service._blobs.client.list_objects_v2(Bucket=service._blobs.bucket, Prefix=f"attachments/{aid}/")
        assert listed.get("KeyCount", 0) == 0
    assert service._repo.get(theirs) is not None  # another user's is not this user's to delete
    assert service._repo.get(unlinked) is not None
    assert service.delete_for_conversation(me, conversation) == 0
