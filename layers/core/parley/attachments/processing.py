"""Processing an upload: check the bytes against the ticket, extract them in isolation, store what
the chat path reads, and mark the record ``ready`` or ``failed``.

In AWS an S3 ObjectCreated event runs it (functions/attachments/handler.py); in local mode the
service runs it in process the first time a pending record is read. A record is claimed for the
duration, so two processors never process one upload twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from parley.attachments.chunking import Chunk, chunk_extracted, chunks_to_json
from parley.attachments.errors import AttachmentError, InvalidAttachment
from parley.attachments.kinds import normalize_content_type
from parley.attachments.limits import human_size
from parley.attachments.uploads import attachment_id_from_key, chunks_key, extracted_key, original_key, upload_key
from parley.observability import logger

if TYPE_CHECKING:
    from parley.attachments.config import AttachmentConfig, Extractor
    from parley.attachments.extracted import Extracted
    from parley.attachments.objects import AttachmentObjects
    from parley.attachments.store import Attachment, AttachmentRepository


class UploadProcessor:
    def __init__(
        self,
        repository: AttachmentRepository,
        objects: AttachmentObjects,
        config: AttachmentConfig,
        extractor: Extractor,
        now_ms: Callable[[], int],
    ) -> None:
        self._repo = repository
        self._objects = objects
        self._config = config
        self._extract = extractor
        self._now_ms = now_ms

    def process_upload(self, key: str) -> Attachment | None:
        """Process the object at ``key`` (an S3 ObjectCreated event); safe to repeat.

        Keys that are not uploads, and records held by another processor, are left alone; a record
        already processed is too (a repeated upload with the same ticket is deleted). An upload whose
        record is gone (deleted, expired) is deleted. Unexpected errors
        (S3, DynamoDB) propagate, with the claim released, so that the event is retried.
        """
        attachment_id = attachment_id_from_key(key)
        if attachment_id is None:
            logger.warning("ignored an object outside the uploads layout")
            return None
        attachment = self._repo.get(attachment_id)
        if attachment is None or attachment.expired(self._now_ms()):
            self._objects.delete_all(attachment_id)
            if attachment is not None:
                self._repo.delete(attachment_id)
            return None
        if attachment.status != "pending":
            self._objects.delete_upload(attachment_id)  # a second upload with the same ticket: already processed
            return attachment
        return self._process(attachment, self._objects.head_upload(attachment_id))

    def process_if_uploaded(self, attachment: Attachment) -> Attachment:
        """A pending attachment processed now if its bytes are there (the record as it then is)."""
        head = self._objects.head_upload(attachment.attachment_id)
        if head is None:
            return attachment  # not uploaded yet
        return self._process(attachment, head)

    def _process(self, attachment: Attachment, head: dict[str, Any] | None) -> Attachment:
        attachment_id = attachment.attachment_id
        if head is None:
            return attachment
        if not self._repo.claim(attachment_id, self._now_ms(), self._config.claim_lease_ms):
            return self._repo.get(attachment_id) or attachment
        started = time.perf_counter()
        try:
            try:
                _check_upload(attachment, head)
                data = self._objects.read(upload_key(attachment_id))
                extracted = self._extract(
                    data, filename=attachment.filename, content_type=attachment.content_type,
                    limits=self._config.limits,
                )
            except AttachmentError as refused:
                self._repo.mark_failed(attachment_id, code=refused.code, message=refused.message,
                                       now_ms=self._now_ms())
                self._objects.delete_upload(attachment_id)
                logger.info("attachment refused", extra={"attachment_id": attachment_id, "code": refused.code,
                                                      "kind": attachment.kind})
                return self._repo.get(attachment_id) or attachment
            chunks = chunk_extracted(
                extracted, max_tokens=self._config.chunk_tokens, overlap=self._config.chunk_overlap
            )
            self._store_derived(attachment_id, extracted, chunks, data)
        except BaseException:
            self._repo.release(attachment_id)
            raise
        details = extracted.metadata()
        if extracted.text:
            # Indirect injection: screened once here, off the chat path; the chat turn applies the
            # deployment's policy (block, or pass as flagged untrusted data) to the stored verdict.
            from parley.safety.policy import decision_log_fields
            from parley.safety.screening import screen_input

            screening = screen_input(extracted.text, source="document")
            details["screening"] = {"flagged": screening.flagged, "families": list(screening.families),
                                    "score": round(screening.score, 3)}
            if screening.flagged:
                logger.info("attachment flagged", extra={"attachment_id": attachment_id,
                                                      **decision_log_fields(screening)})
        self._repo.mark_ready(
            attachment_id,
            details=details,
            chunk_count=len(chunks),
            sha256=extracted.sha256,
            media_type=extracted.media_type,
            now_ms=self._now_ms(),
        )
        self._objects.delete_upload(attachment_id)
        logger.info("attachment ready", extra={"attachment_id": attachment_id, "kind": extracted.kind,
                                            "tokens": extracted.tokens, "chunks": len(chunks),
                                            "ms": round((time.perf_counter() - started) * 1000)})
        return self._repo.get(attachment_id) or attachment

    def _store_derived(self, attachment_id: str, extracted: Extracted, chunks: list[Chunk], data: bytes) -> None:
        put = self._objects.put
        put(extracted_key(attachment_id), json.dumps(extracted.to_dict(), ensure_ascii=False).encode(),
            "application/json")
        if extracted.kind == "image":
            put(original_key(attachment_id), data, extracted.media_type)
        else:
            put(chunks_key(attachment_id), chunks_to_json(chunks), "application/json")


def _check_upload(attachment: Attachment, head: dict[str, Any]) -> None:
    """What S3 enforces through the POST policy, checked again before anything is read.

    S3 (and the local S3 server) refuse a POST that breaks the policy; this second check means
    an object that got there any other way (an S3 server that does not enforce policies, a
    direct PutObject by another tool) is never used either."""
    size = int(head.get("ContentLength", -1))
    if size != attachment.size:
        raise InvalidAttachment(
            f"{attachment.filename}: {human_size(size)} arrived but {human_size(attachment.size)} was declared"
        )
    arrived = normalize_content_type(head.get("ContentType"))
    if arrived != attachment.content_type:
        raise InvalidAttachment(
            f"{attachment.filename}: uploaded as {arrived or 'no content type'} but declared as "
            f"{attachment.content_type}"
        )


__all__ = ["UploadProcessor"]
