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

Imports stay light: the extraction libraries (pypdf, python-docx, Pillow) load only when something
is processed, never on the chat path.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from parley.attachments.chunking import Chunk, chunk_extracted, chunks_from_json, chunks_to_json
from parley.attachments.declared import DeclaredUploads
from parley.attachments.errors import AttachmentError, InvalidAttachment
from parley.attachments.kinds import normalize_content_type
from parley.attachments.limits import Limits, check_attachment_count, human_size, validate_upload
from parley.attachments.relevance import select_chunks
from parley.attachments.render import render_document
from parley.attachments.store import Attachment, AttachmentRepository, LinkRefused, build_attachment_table
from parley.attachments.uploads import (
    PresignedUpload,
    UploadSigner,
    attachment_id_from_key,
    chunks_key,
    extracted_key,
    is_plain_content_type,
    object_prefix,
    original_key,
    signing_client,
    upload_key,
)
from parley.errors import ApiError, Conflict, NotFound, PayloadTooLarge, ValidationFailed
from parley.ids import is_id, new_id
from parley.observability import logger
from parley.tokens import count_tokens

if TYPE_CHECKING:
    from parley.attachments.extracted import Extracted
    from parley.settings import Settings
    from parley.storage.blobs import BlobStore

NOT_FOUND = "attachment not found"
Isolation = Literal["fork", "forkserver", "none"]
#: ``extractor(data, filename=..., content_type=..., limits=...)`` -> ``Extracted``; raises AttachmentError.
Extractor = Callable[..., "Extracted"]


# -- configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentConfig:
    limits: Limits = field(default_factory=Limits)
    #: How long an upload URL lives (at most 900 s).
    upload_expires_s: int = 900
    #: An attachment never used in a sent message is deleted this long after its upload URL was issued.
    unused_ttl_s: int = 2 * 24 * 3600
    chunk_tokens: int = 400
    chunk_overlap: int = 50
    #: Process pending uploads when they are read (local mode: no S3 event can reach the app).
    process_inline: bool = False
    #: How extraction is isolated: ``fork`` in the single-threaded Lambda handler, ``forkserver`` in a
    #: threaded server (forking one with threads running can deadlock the child), ``none`` in process.
    isolation: Isolation = "fork"

    @property
    def claim_lease_ms(self) -> int:
        """How long a processor holds a record: the extraction's hard limit plus time for S3 writes."""
        return int((self.limits.time_budget_s + self.limits.isolated_grace_s + 60) * 1000)

    @classmethod
    def from_settings(cls, settings: Settings) -> AttachmentConfig:
        """From ``Settings``; the two mode-dependent fields default by mode when unset (None).

        Read as given: a ``0`` (no chunk overlap) is a value, never "unset" (no ``or default``).
        """
        local = settings.mode == "local"
        inline = settings.attachment_process_inline
        return cls(
            limits=Limits.from_settings(settings),
            upload_expires_s=settings.attachment_upload_expires_s,
            unused_ttl_s=settings.attachment_unused_ttl_s,
            chunk_tokens=settings.attachment_chunk_tokens,
            chunk_overlap=settings.attachment_chunk_overlap,
            process_inline=local if inline is None else inline,
            isolation=settings.attachment_isolation or ("forkserver" if local else "fork"),
        )


def make_extractor(isolation: Isolation) -> Extractor:
    """The extraction strategy; the libraries are imported on the first call, not here."""

    def run(data: bytes, *, filename: str, content_type: str | None, limits: Limits) -> Extracted:
        if isolation == "none":
            from parley.attachments.extract import extract

            return extract(data, filename=filename, content_type=content_type, limits=limits)
        from parley.attachments.isolate import extract_isolated

        if isolation == "forkserver":
            _preload_forkserver()
        return extract_isolated(
            data, filename=filename, content_type=content_type, limits=limits, start_method=isolation
        )

    return run


def _preload_forkserver() -> None:
    import multiprocessing

    # The fork server imports these once; each extraction then forks from it without re-importing.
    multiprocessing.get_context("forkserver").set_forkserver_preload(["parley.attachments.extract"])


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadTicket:
    attachment: Attachment
    upload: PresignedUpload


@dataclass(frozen=True)
class TurnAttachments:
    """What a turn's attachments add to the model's input."""

    #: One delimited block of untrusted text per document, in the order the attachments were given.
    document_blocks: list[str] = field(default_factory=list)
    #: OpenAI content parts: ``{"type": "image_url", "image_url": {"url": "data:<type>;base64,..."}}``.
    image_parts: list[dict[str, Any]] = field(default_factory=list)
    #: Per attachment: ``{id, kind, filename, chunksUsed, totalChunks, tokens}`` (for the message's details).
    records: list[dict[str, Any]] = field(default_factory=list)
    #: sha256 of each attachment's bytes, in order (for the response cache key).
    content_hashes: tuple[str, ...] = ()
    #: Tokens added: the documents' blocks counted exactly, the images estimated.
    tokens: int = 0

    @property
    def image_count(self) -> int:
        return len(self.image_parts)


@dataclass
class _Document:
    attachment: Attachment
    chunks: list[Chunk]
    full_tokens: int = 0
    selected: list[Chunk] = field(default_factory=list)
    block: str = ""
    tokens: int = 0


# -- the service --------------------------------------------------------------------------------


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
        self._extract = extractor or make_extractor(config.isolation)
        self._clock = clock

    @property
    def config(self) -> AttachmentConfig:
        return self._config

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    @property
    def _s3(self) -> Any:
        return self._blobs.client

    @property
    def _bucket(self) -> str:
        return self._blobs.bucket

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
            attachment = self._process_if_uploaded(attachment)
        return attachment

    def image_content(self, user_id: str, attachment_id: str) -> tuple[bytes, str]:
        """A ready image's stored bytes and media type, for the owner's thumbnail; anything else is 404."""
        attachment = self._owned(user_id, self._repo.get(attachment_id))
        if attachment.kind != "image" or attachment.status != "ready":
            raise NotFound(NOT_FOUND)
        body = self._s3.get_object(Bucket=self._bucket, Key=original_key(attachment.attachment_id))["Body"].read()
        return body, attachment.media_type

    def delete(self, user_id: str, attachment_id: str) -> None:
        attachment = self._owned(user_id, self._repo.get(attachment_id))
        self._delete_objects(attachment.attachment_id)
        if not self._repo.delete(attachment.attachment_id, user_id):
            raise NotFound(NOT_FOUND)

    # -- processing ----------------------------------------------------------------------------

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
            self._delete_objects(attachment_id)
            if attachment is not None:
                self._repo.delete(attachment_id)
            return None
        if attachment.status != "pending":
            self._delete_upload(attachment_id)  # a second upload with the same ticket: already processed
            return attachment
        return self._process(attachment, self._head_upload(attachment_id))

    def _process_if_uploaded(self, attachment: Attachment) -> Attachment:
        head = self._head_upload(attachment.attachment_id)
        if head is None:
            return attachment  # not uploaded yet
        return self._process(attachment, head)

    def _head_upload(self, attachment_id: str) -> dict[str, Any] | None:
        try:
            return self._s3.head_object(Bucket=self._bucket, Key=upload_key(attachment_id))
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _process(self, attachment: Attachment, head: dict[str, Any] | None) -> Attachment:
        attachment_id = attachment.attachment_id
        if head is None:
            return attachment
        if not self._repo.claim(attachment_id, self._now_ms(), self._config.claim_lease_ms):
            return self._repo.get(attachment_id) or attachment
        started = time.perf_counter()
        try:
            try:
                self._check_upload(attachment, head)
                data = self._s3.get_object(Bucket=self._bucket, Key=upload_key(attachment_id))["Body"].read()
                extracted = self._extract(
                    data, filename=attachment.filename, content_type=attachment.content_type,
                    limits=self._config.limits,
                )
            except AttachmentError as refused:
                self._repo.mark_failed(attachment_id, code=refused.code, message=refused.message,
                                       now_ms=self._now_ms())
                self._delete_upload(attachment_id)
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
        self._delete_upload(attachment_id)
        logger.info("attachment ready", extra={"attachment_id": attachment_id, "kind": extracted.kind,
                                            "tokens": extracted.tokens, "chunks": len(chunks),
                                            "ms": round((time.perf_counter() - started) * 1000)})
        return self._repo.get(attachment_id) or attachment

    def _check_upload(self, attachment: Attachment, head: dict[str, Any]) -> None:
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

    def _store_derived(self, attachment_id: str, extracted: Extracted, chunks: list[Chunk], data: bytes) -> None:
        put = self._put
        put(extracted_key(attachment_id), json.dumps(extracted.to_dict(), ensure_ascii=False).encode(),
            "application/json")
        if extracted.kind == "image":
            put(original_key(attachment_id), data, extracted.media_type)
        else:
            put(chunks_key(attachment_id), chunks_to_json(chunks), "application/json")

    def _put(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type,
                            ServerSideEncryption="AES256")

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

        images = [a for a in attachments if a.kind == "image"]
        image_tokens = sum(a.tokens or 0 for a in images)
        if image_tokens > budget_tokens:
            raise PayloadTooLarge(
                f"the attached images need about {image_tokens} tokens, more than the {max(budget_tokens, 0)} "
                "left for attachments in this model's context",
                code="attachments_too_large",
            )
        loaded = self._load(attachments)
        documents = [_Document(a, loaded[a.attachment_id]) for a in attachments if a.kind != "image"]
        self._fit(documents, budget_tokens - image_tokens, question)

        by_id = {d.attachment.attachment_id: d for d in documents}
        blocks: list[str] = []
        parts: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for a in attachments:
            if a.kind == "image":
                data = loaded[a.attachment_id]
                url = f"data:{a.media_type};base64,{base64.b64encode(data).decode('ascii')}"
                parts.append({"type": "image_url", "image_url": {"url": url}})
                records.append(_record(a, used=[], total=0, tokens=a.tokens or 0))
            else:
                d = by_id[a.attachment_id]
                blocks.append(d.block)
                records.append(_record(a, used=[c.index for c in d.selected], total=len(d.chunks), tokens=d.tokens))
        return TurnAttachments(
            document_blocks=blocks,
            image_parts=parts,
            records=records,
            content_hashes=tuple(a.sha256 or "" for a in attachments),
            tokens=image_tokens + sum(d.tokens for d in documents),
        )

    def _usable(self, user_id: str, attachment: Attachment | None) -> Attachment:
        attachment = self._owned(user_id, attachment)
        if attachment.status == "pending" and self._config.process_inline:
            attachment = self._process_if_uploaded(attachment)
        if attachment.status == "pending":
            raise Conflict(
                f"{attachment.filename} is still being uploaded or processed; try again in a moment",
                code="attachment_not_ready",
                retryable=True,
            )
        if attachment.status == "failed":
            raise ApiError(
                f"{attachment.filename} cannot be used: {attachment.reason_message or 'it could not be read'}",
                code="attachment_failed",
                status=422,
            )
        return attachment

    def _load(self, attachments: Sequence[Attachment]) -> dict[str, Any]:
        """Chunks of each document and bytes of each image, fetched concurrently."""

        def fetch(a: Attachment) -> tuple[str, Any]:
            key = original_key(a.attachment_id) if a.kind == "image" else chunks_key(a.attachment_id)
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            return a.attachment_id, body if a.kind == "image" else chunks_from_json(body)

        if len(attachments) == 1:
            return dict([fetch(attachments[0])])
        with ThreadPoolExecutor(max_workers=min(8, len(attachments))) as pool:
            return dict(pool.map(fetch, attachments))

    def _fit(self, documents: list[_Document], budget: int, question: str) -> None:
        """Share the budget: documents that fit whole take what they need, the rest split what is left.

        Smallest first, each taking at most an equal share of what remains, so whatever a small
        document leaves unused flows to the larger ones. Each block is counted exactly once rendered.
        """
        for d in documents:
            d.full_tokens = sum(c.tokens for c in d.chunks)
        remaining = budget
        ordered = sorted(documents, key=lambda d: (d.full_tokens, d.attachment.attachment_id))
        for position, d in enumerate(ordered):
            share = remaining // (len(ordered) - position)
            self._render_within(d, share, question)
            if d.tokens > remaining:
                raise PayloadTooLarge(
                    f"there is no room left in this model's context for {d.attachment.filename}",
                    code="attachments_too_large",
                )
            remaining -= d.tokens

    @staticmethod
    def _render_within(d: _Document, allowance: int, question: str) -> None:
        a = d.attachment
        details = a.details or {}

        def render(chunks: list[Chunk]) -> str:
            return render_document(
                a.filename, a.kind, chunks,  # type: ignore[arg-type]
                total_chunks=len(d.chunks), truncated=bool(details.get("truncated")),
                language=details.get("language"), pages=details.get("pages"),
            )

        # The frame (name, notes, the untrusted-data wrapper: ~180 tokens) is measured around the first
        # chunk; chunks then get what is left, and any excess from the labels between excerpts is taken
        # back until the whole block fits.
        first = d.chunks[:1]
        frame = count_tokens(render(first)) - sum(c.tokens for c in first) + 16
        chunk_budget = allowance - frame
        while True:  # ends: the chunk budget shrinks every round until nothing is selected
            selected = select_chunks(d.chunks, question, chunk_budget) if chunk_budget > 0 else []
            block = render(selected)
            tokens = count_tokens(block)
            if tokens <= allowance or not selected:
                break
            chunk_budget -= tokens - allowance + 16
        d.selected, d.block, d.tokens = selected, block, tokens

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
            self._delete_objects(attachment_id)  # objects first: a failure leaves a record to retry with
            if self._repo.delete(attachment_id, user_id):
                deleted += 1
        return deleted

    def forget(self, attachment_id: str) -> None:
        """Delete the objects of an attachment whose record is gone (its TTL expired)."""
        if is_id(attachment_id):
            self._delete_objects(attachment_id)

    def _owned(self, user_id: str, attachment: Attachment | None) -> Attachment:
        if attachment is None or attachment.user_id != user_id:
            raise NotFound(NOT_FOUND)
        if attachment.expired(self._now_ms()):
            # DynamoDB deletes expired items only eventually: gone is gone right away.
            self._delete_objects(attachment.attachment_id)
            self._repo.delete(attachment.attachment_id, user_id)
            raise NotFound(NOT_FOUND)
        return attachment

    def _delete_upload(self, attachment_id: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=upload_key(attachment_id))

    def _delete_objects(self, attachment_id: str) -> None:
        self._delete_upload(attachment_id)
        self._blobs.delete_prefix(object_prefix(attachment_id))


def _record(a: Attachment, *, used: list[int], total: int, tokens: int) -> dict[str, Any]:
    screening = (a.details or {}).get("screening") or {}
    return {"id": a.attachment_id, "kind": a.kind, "filename": a.filename, "chunksUsed": used,
            "totalChunks": total, "tokens": tokens, "flagged": bool(screening.get("flagged")),
            "families": list(screening.get("families", []))}


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
        from parley.container import aws_client

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


__all__ = [
    "AttachmentConfig",
    "AttachmentService",
    "Extractor",
    "TurnAttachments",
    "UploadTicket",
    "build_attachment_service",
    "make_extractor",
]
