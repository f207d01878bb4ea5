"""Why an attachment was refused: errors with a code and a message a user can read.

Every error here is a ``ParleyError``, so the app renders it as ``{code, message, retryable}``; the
S3-event path stores ``code`` and ``message`` on the attachment record instead. Messages never
quote file contents, only names, sizes and what was wrong.
"""

from __future__ import annotations

from parley.errors import ParleyError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed


class AttachmentError(ParleyError):
    """Any refusal of an attachment (catch this one to record a failed upload). Each kind below
    names its category first, which is what a caller is answered with."""

    code = "invalid_attachment"


class AttachmentTooLarge(PayloadTooLarge, AttachmentError):
    """Over a byte-size limit."""

    code = "attachment_too_large"


class UnsupportedAttachmentType(UnsupportedMediaType, AttachmentError):
    """A kind of file Parley does not read, or one switched off by the limits."""

    code = "unsupported_media_type"


class InvalidAttachment(ValidationFailed, AttachmentError):
    """A declared upload that cannot be right (empty, bad name, type contradicting the name)."""

    code = "invalid_attachment"


class TooManyAttachments(InvalidAttachment):
    code = "too_many_attachments"


class ExtractionFailed(ValidationFailed, AttachmentError):
    """The file could not be read safely: damaged, encrypted, hostile, too slow or too big once opened."""

    code = "extraction_failed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)

    @property
    def reason(self) -> str:
        return self.message
