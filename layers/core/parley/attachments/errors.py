"""Why an attachment was refused: API errors with a status, a code and a message a user can read.

Every error here is an ``ApiError``, so the app renders it as ``{code, message, retryable}``; the
S3-event path stores ``code`` and ``message`` on the attachment record instead. Messages never
quote file contents, only names, sizes and what was wrong.
"""

from __future__ import annotations

from parley.errors import ApiError, PayloadTooLarge, ValidationFailed


class AttachmentError(ApiError):
    """Any refusal of an attachment (catch this one to record a failed upload)."""

    status, code = 422, "invalid_attachment"


class AttachmentTooLarge(AttachmentError, PayloadTooLarge):
    """Over a byte-size limit: 413."""

    status, code = 413, "attachment_too_large"


class UnsupportedAttachmentType(AttachmentError):
    """A kind of file Parley does not read, or one switched off by the limits: 415."""

    status, code = 415, "unsupported_media_type"


class InvalidAttachment(AttachmentError, ValidationFailed):
    """A declared upload that cannot be right (empty, bad name, type contradicting the name): 422."""

    status, code = 422, "invalid_attachment"


class TooManyAttachments(InvalidAttachment):
    status, code = 422, "too_many_attachments"


class ExtractionFailed(AttachmentError):
    """The file could not be read safely: damaged, encrypted, hostile, too slow or too big once opened."""

    status, code = 422, "extraction_failed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)

    @property
    def reason(self) -> str:
        return self.message
