"""Attachment use cases: issue an upload, report its state, process the bytes, use them in a turn, delete.

Lifecycle: ``create_upload`` validates the declared file (413/415/422), stores a ``pending`` record
and returns a presigned POST. Once the bytes are in S3, ``process_upload`` reads them in an isolated
child process and marks the record ``ready`` (writing ``extracted.json`` and ``chunks.json``) or
``failed`` with ``{code, message}``. In AWS an S3 ObjectCreated event runs it
(functions/attachments/handler.py); in local mode nothing can call back, so it runs lazily, in
process, the first time the record is read while pending (``GET /attachments/{id}`` or a send that
uses it): clients simply poll the GET until the status is no longer ``pending``.

The chat path calls ``context_for_turn`` (documents as delimited untrusted text within a token
budget, images as OpenAI image parts) and ``link`` (ties the attachments to the conversation, which
drops their TTL); deleting the conversation calls ``delete_for_conversation``.

This module is the facade the routes, the Lambda handler and the chat planner call; the work is
done by ``processing.UploadProcessor`` (the bytes -> a ready or failed record),
``turn_context.TurnContext`` (chunks and images within a token budget), ``objects.AttachmentObjects``
(the bucket) and ``config`` (settings, and how extraction is isolated).

Imports stay light: the extraction libraries (pypdf, python-docx, Pillow) load only when something
is processed, never on the chat path.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parley.attachments.config import AttachmentConfig, Extractor, make_extractor
from parley.attachments.declared import DeclaredUploads
from parley.attachments.errors import InvalidAttachment
from parley.attachments.kinds import normalize_content_type
from parley.attachments.limits import check_attachment_count, validate_upload
from parley.attachments.objects import AttachmentObjects
from parley.attachments.processing import UploadProcessor
from parley.attachments.store import Attachment, AttachmentRepository, LinkRefused
from parley.attachments.turn_context import TurnAttachments, TurnContext
from parley.attachments.uploads import (
    PresignedUpload,
    UploadSigner,
    is_plain_content_type,
    original_key,
    signing_client,
    upload_key,
)
from parley.errors import Conflict, NotFound, ValidationFailed
from parley.ids import is_id, new_id
from parley.storage.attachment_table import build_attachment_table

if TYPE_CHECKING:
    from parley.settings import Settings
    from parley.storage.blobs import BlobStore

NOT_FOUND = "attachment not found"


@dataclass(frozen=True)
class UploadTicket:
    attachment: Attachment
    upload: PresignedUpload


class AttachmentService:
    def __init__(
        self,
        repository: AttachmentRepository,
        blobs: BlobStore,
        signer: UploadSigner,
        config: AttachmentConfig,
        extractor: Extractor | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repo = repository
        self._blobs = blobs
        self._signer = signer
        self._config = config
        #: The declarations certain to be accepted (published as the upload's request schema).
        self.declared = DeclaredUploads(config.limits)
        self._clock = clock
        self._objects = AttachmentObjects(blobs)
        self._processor = UploadProcessor(
            repository, self._objects, config, extractor or make_extractor(config.isolation), self._now_ms
        )
        self._turn_context = TurnContext(self._objects)

    @property
    def config(self) -> AttachmentConfig:
        return self._config

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- uploads -------------------------------------------------------------------------------

    def create_upload(self, user_id: str, filename: str, content_type: str | None, size: int) -> UploadTicket:
        """Validate the declared file (413/415/422), record it ``pending`` and presign its upload."""
        if not self.declared.admits(filename, content_type, size):
            validate_upload(filename, content_type, size, self._config.limits)  # the precise 413/415/422
            raise InvalidAttachment(f"{filename}: declare a file name with a supported extension and a matching "
                                    "content type (or none)")
        declared = validate_upload(filename, content_type, size, self._config.limits)
        # The upload is bound to the type as declared (re-checked against the bytes later); a missing
        # or odd one is replaced by the canonical type of the kind the name implies.
        given = normalize_content_type(content_type)
        upload_type = given if is_plain_content_type(given) else declared.media_type
        now = self._now_ms()
        attachment = Attachment(
            attachment_id=new_id(),
            user_id=user_id,
            status="pending",
            kind=declared.kind,
            filename=declared.filename,
            content_type=upload_type,
            media_type=declared.media_type,
            size=declared.size,
            created_at=now,
            updated_at=now,
            expires_at=now + self._config.unused_ttl_s * 1000,
        )
        self._repo.create(attachment)
        upload = self._signer.presign(
            upload_key(attachment.attachment_id), content_type=upload_type, size=declared.size, now_ms=now
        )
        return UploadTicket(attachment, upload)

    def get(self, user_id: str, attachment_id: str) -> Attachment:
        """The caller's attachment (processed first if it is pending and processing runs inline)."""
        attachment = self._owned(user_id, self._repo.get(attachment_id))
        if attachment.status == "pending" and self._config.process_inline:
            attachment = self._processor.process_if_uploaded(attachment)
        return attachment

    def image_content(self, user_id: str, attachment_id: str) -> tuple[bytes, str]:
        """A ready image's stored bytes and media type, for the owner's thumbnail; anything else is 404."""
        attachment = self._owned(user_id, self._repo.get(attachment_id))
        if attachment.kind != "image" or attachment.status != "ready":
            raise NotFound(NOT_FOUND)
        return self._objects.read(original_key(attachment.attachment_id)), attachment.media_type

    def delete(self, user_id: str, attachment_id: str) -> None:
        attachment = self._owned(user_id, self._repo.get(attachment_id))
        self._objects.delete_all(attachment.attachment_id)
        if not self._repo.delete(attachment.attachment_id, user_id):
            raise NotFound(NOT_FOUND)

    # -- processing ----------------------------------------------------------------------------

    def process_upload(self, key: str) -> Attachment | None:
        """Process the object at ``key`` (an S3 ObjectCreated event); safe to repeat (see ``UploadProcessor``)."""
        return self._processor.process_upload(key)

    # -- the chat path -------------------------------------------------------------------------

    def context_for_turn(
        self, user_id: str, attachment_ids: Sequence[str], question: str, budget_tokens: int
    ) -> TurnAttachments:
        """The attachments of one turn, ready for the model, within ``budget_tokens``.

        Raises 422 (too many, malformed id, a failed attachment), 404 (missing or another user's),
        409 retryable ``attachment_not_ready`` (still pending) and 413 ``attachments_too_large``
        (not even the attachments' headers and images fit in the budget). Blocking I/O: call it from
        a worker thread. One BatchGetItem, then one S3 GET per attachment, concurrently.
        """
        ids = list(dict.fromkeys(attachment_ids))
        if not ids:
            return TurnAttachments()
        check_attachment_count(len(ids), self._config.limits)
        for attachment_id in ids:
            if not isinstance(attachment_id, str) or not is_id(attachment_id):
                raise ValidationFailed("attachments must be attachment ids returned by POST /attachments")
        found = self._repo.get_many(ids)
        attachments = [self._usable(user_id, found.get(i)) for i in ids]

        return self._turn_context.build(attachments, question, budget_tokens)

    def _usable(self, user_id: str, attachment: Attachment | None) -> Attachment:
        attachment = self._owned(user_id, attachment)
        if attachment.status == "pending" and self._config.process_inline:
            attachment = self._processor.process_if_uploaded(attachment)
        if attachment.status == "pending":
            raise Conflict(
                f"{attachment.filename} is still being uploaded or processed; try again in a moment",
                code="attachment_not_ready",
                retryable=True,
            )
        if attachment.status == "failed":
            raise ValidationFailed(
                f"{attachment.filename} cannot be used: {attachment.reason_message or 'it could not be read'}",
                code="attachment_failed",
            )
        return attachment

    # -- linking and deleting ------------------------------------------------------------------

    def link(self, user_id: str, attachment_ids: Iterable[str], conversation_id: str) -> None:
        """Tie the attachments a sent message uses to its conversation (idempotent; drops their TTL).

        404 for a missing or foreign attachment; 409 ``attachment_in_use`` for one already sent in
        another conversation (an attachment belongs to one conversation, deleted with it).
        """
        from pynamodb.exceptions import DoesNotExist

        for attachment_id in dict.fromkeys(attachment_ids):
            try:
                self._repo.link(user_id, attachment_id, conversation_id, self._now_ms())
            except DoesNotExist:
                raise NotFound(NOT_FOUND) from None
            except LinkRefused:
                raise Conflict(
                    "this attachment was already sent in another conversation; upload it again to use it here",
                    code="attachment_in_use",
                ) from None

    def delete_for_conversation(self, user_id: str, conversation_id: str) -> int:
        """Delete every attachment of the user's linked to the conversation (records and objects)."""
        deleted = 0
        for attachment_id, owner in self._repo.in_conversation(conversation_id):
            if owner != user_id:
                continue
            self._objects.delete_all(attachment_id)  # objects first: a failure leaves a record to retry with
            if self._repo.delete(attachment_id, user_id):
                deleted += 1
        return deleted

    def forget(self, attachment_id: str) -> None:
        """Delete the objects of an attachment whose record is gone (its TTL expired)."""
        if is_id(attachment_id):
            self._objects.delete_all(attachment_id)

    def _owned(self, user_id: str, attachment: Attachment | None) -> Attachment:
        if attachment is None or attachment.user_id != user_id:
            raise NotFound(NOT_FOUND)
        if attachment.expired(self._now_ms()):
            # DynamoDB deletes expired items only eventually: gone is gone right away.
            self._objects.delete_all(attachment.attachment_id)
            self._repo.delete(attachment.attachment_id, user_id)
            raise NotFound(NOT_FOUND)
        return attachment


# -- construction -------------------------------------------------------------------------------


def build_attachment_service(
    settings: Settings,
    blobs: BlobStore | None = None,
    *,
    presign_endpoint: str | None = None,
    extractor: Extractor | None = None,
) -> AttachmentService:
    """The service from settings. ``presign_endpoint``: where outside clients reach S3 (local mode: the
    local S3 server on loopback). Nothing here calls AWS."""
    from parley.storage.blobs import BlobStore

    if blobs is None:
        from parley.storage.aws import aws_client

        blobs = BlobStore(lambda: aws_client(settings, "s3", settings.s3_endpoint), settings.bucket_data)
    config = AttachmentConfig.from_settings(settings)
    table = build_attachment_table(
        getattr(settings, "table_attachments", "parley-attachments"), settings.region, settings.dynamodb_endpoint
    )
    endpoint = presign_endpoint if presign_endpoint is not None else getattr(settings, "s3_presign_endpoint", None)

    def client() -> Any:
        return signing_client(settings.region, endpoint)

    signer = UploadSigner(client, blobs.bucket, config.upload_expires_s)
    return AttachmentService(AttachmentRepository(table), blobs, signer, config, extractor)


__all__ = ["AttachmentService", "UploadTicket", "build_attachment_service"]
