"""Attachment routes: issue a presigned upload, read its processing state, delete it.

Upload flow for a client:
1. ``POST /attachments {filename, contentType, size}`` -> 201 ``{attachmentId, uploadUrl, method: "POST",
   fields, expiresAt}``.
2. ``POST`` ``multipart/form-data`` to ``uploadUrl``: every entry of ``fields`` as a form field, then the
   file in a part named ``file`` (S3 answers 204). The upload must match the declared size and
   content type exactly, within 15 minutes.
3. Poll ``GET /attachments/{id}`` until ``status`` is ``ready`` (or ``failed``, with ``reason``), then
   send the id in a message's ``attachments``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Response, status
from pydantic import Field

from parley.api.deps import AttachmentsDep, IdentityDep
from parley.api.lazy_routes import api_router
from parley.api.schemas import ByteCount, CamelModel, ErrorBody, RequestModel, SuccessBody
from parley.attachments.service import UploadTicket
from parley.attachments.store import Attachment
from parley.ids import ID_PATTERN

AttachmentId = Annotated[str, Path(pattern=ID_PATTERN, description="An attachment id (ULID)")]

router = api_router(
    prefix="/attachments",
    tags=["attachments"],
    responses={401: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)


class CreateAttachmentRequest(RequestModel):
    filename: str = Field(min_length=1, max_length=1024)
    content_type: str | None = Field(default=None, max_length=255)
    size: ByteCount = Field(description="Bytes; the upload must be exactly this size")


class CreateAttachmentResponse(CamelModel):
    attachment_id: str
    upload_url: str
    method: Literal["POST"] = "POST"
    #: Form fields to send, in order, before the file part (named ``file``).
    fields: dict[str, str]
    #: Epoch milliseconds after which the upload is refused.
    expires_at: int

    @classmethod
    def of(cls, ticket: UploadTicket) -> CreateAttachmentResponse:
        return cls(
            attachment_id=ticket.attachment.attachment_id,
            upload_url=ticket.upload.url,
            method=ticket.upload.method,
            fields=ticket.upload.fields,
            expires_at=ticket.upload.expires_at,
        )


class AttachmentReason(CamelModel):
    code: str
    message: str


class AttachmentBody(CamelModel):
    attachment_id: str
    status: Literal["pending", "ready", "failed"]
    reason: AttachmentReason | None = None
    kind: str
    filename: str
    content_type: str
    size: int
    created_at: int
    conversation_id: str | None = None
    tokens: int | None = None
    pages: int | None = None
    width: int | None = None
    height: int | None = None
    truncated: bool | None = None

    @classmethod
    def of(cls, a: Attachment) -> AttachmentBody:
        ready = a.status == "ready"
        return cls(
            attachment_id=a.attachment_id,
            status=a.status,
            reason=AttachmentReason(code=a.reason_code or "invalid_attachment", message=a.reason_message or "")
            if a.status == "failed" else None,
            kind=a.kind,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            created_at=a.created_at,
            conversation_id=a.conversation_id,
            tokens=a.tokens if ready else None,
            pages=a.pages if ready else None,
            width=a.width if ready else None,
            height=a.height if ready else None,
            truncated=a.truncated if ready else None,
        )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CreateAttachmentResponse,
    responses={413: {"model": ErrorBody}, 415: {"model": ErrorBody}},
)
def create_attachment(body: CreateAttachmentRequest, who: IdentityDep, svc: AttachmentsDep) -> CreateAttachmentResponse:
    """Declare a file and get a presigned S3 POST for it (valid at most 15 minutes).

    Too large: 413 `attachment_too_large`; a kind Parley does not read: 415 `unsupported_media_type`;
    empty, nameless or a type contradicting the name: 422 `invalid_attachment`.
    """
    ticket = svc.create_upload(who.user_id, body.filename, body.content_type, body.size)
    return CreateAttachmentResponse.of(ticket)


@router.get("/{attachment_id}", response_model=AttachmentBody, response_model_exclude_none=True)
def get_attachment(attachment_id: AttachmentId, who: IdentityDep, svc: AttachmentsDep) -> AttachmentBody:
    """The attachment's state: `pending` until its bytes are processed, then `ready` or `failed` (`reason`)."""
    return AttachmentBody.of(svc.get(who.user_id, attachment_id))


@router.get(
    "/{attachment_id}/content",
    response_class=Response,
    responses={200: {"description": "The image's bytes", "content": {
        t: {"schema": {"type": "string", "format": "binary"}}
        for t in ("image/png", "image/jpeg", "image/gif", "image/webp")
    }}},
)
def get_attachment_content(attachment_id: AttachmentId, who: IdentityDep, svc: AttachmentsDep) -> Response:
    """A ready image attachment's bytes (what the web client shows as the sent message's thumbnail).

    Documents and images not yet processed answer 404: only images are shown back, and only to their owner."""
    data, media_type = svc.image_content(who.user_id, attachment_id)
    return Response(data, media_type=media_type, headers={
        "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'", "Content-Disposition": "inline",
    })


@router.delete("/{attachment_id}", response_model=SuccessBody)
def delete_attachment(attachment_id: AttachmentId, who: IdentityDep, svc: AttachmentsDep) -> SuccessBody:
    """Delete the attachment and its stored bytes."""
    svc.delete(who.user_id, attachment_id)
    return SuccessBody()
