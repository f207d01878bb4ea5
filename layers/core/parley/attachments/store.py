"""Attachment records on DynamoDB (pynamodb): one item per upload, keyed by its id.

An attachment is created ``pending`` when its upload URL is issued, becomes ``ready`` (with what
extraction found) or ``failed`` (with a reason) once its bytes are processed, and is linked to the
conversation whose message first uses it. Unlinked records carry a TTL, so uploads that are never
sent disappear by themselves; linking removes the TTL, and deleting the conversation deletes them.
The ``by_conversation`` index is sparse (only linked records carry its key) and holds the owner, so
a conversation's deletion finds its attachments with one Query.

Ownership is checked here, on every read the API makes and by a condition on every user's write:
another user's attachment is reported exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from parley.storage.attachment_table import AttachmentItem, AttachmentTable
from parley.storage.dynamo import is_condition_failure

Status = Literal["pending", "ready", "failed"]


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    user_id: str
    status: Status
    kind: str
    filename: str
    content_type: str
    media_type: str
    size: int
    created_at: int
    updated_at: int
    conversation_id: str | None = None
    reason_code: str | None = None
    reason_message: str | None = None
    details: dict[str, Any] | None = None
    chunk_count: int | None = None
    sha256: str | None = None
    #: Epoch milliseconds after which an unlinked record counts as gone (DynamoDB deletes it later).
    expires_at: int | None = None

    def expired(self, now_ms: int) -> bool:
        return self.conversation_id is None and self.expires_at is not None and self.expires_at <= now_ms

    @property
    def tokens(self) -> int | None:
        """Tokens of the extracted text; for an image, the provider-style estimate."""
        if not self.details:
            return None
        image = self.details.get("image")
        if image:
            return int(image.get("estimatedTokens") or 0)
        return int(self.details.get("tokens") or 0)

    @property
    def pages(self) -> int | None:
        return (self.details or {}).get("pages")

    @property
    def width(self) -> int | None:
        return ((self.details or {}).get("image") or {}).get("width")

    @property
    def height(self) -> int | None:
        return ((self.details or {}).get("image") or {}).get("height")

    @property
    def truncated(self) -> bool | None:
        return (self.details or {}).get("truncated") if self.details else None


class LinkRefused(Exception):
    """The attachment already belongs to another conversation."""


class AttachmentRepository:
    def __init__(self, table: AttachmentTable) -> None:
        self._t = table
        self._m = table.record

    # -- reads ---------------------------------------------------------------------------------

    def get(self, attachment_id: str) -> Attachment | None:
        try:
            return self._to_attachment(self._m.get(attachment_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, attachment_ids: Iterable[str]) -> dict[str, Attachment]:
        """One BatchGetItem (paged by pynamodb past 100 keys), consistent."""
        ids = list(dict.fromkeys(attachment_ids))
        if not ids:
            return {}
        return {item.pk: self._to_attachment(item) for item in self._m.batch_get(ids, consistent_read=True)}

    def in_conversation(self, conversation_id: str) -> list[tuple[str, str]]:
        """``(attachment_id, user_id)`` of every attachment linked to the conversation."""
        return [(item.pk, item.user_id) for item in self._t.by_conversation.query(conversation_id)]

    # -- writes --------------------------------------------------------------------------------

    def create(self, attachment: Attachment) -> None:
        item = self._m(attachment.attachment_id)
        item.user_id = attachment.user_id
        item.status = attachment.status
        item.kind = attachment.kind
        item.filename = attachment.filename
        item.content_type = attachment.content_type
        item.media_type = attachment.media_type
        item.size = attachment.size
        item.created_at = attachment.created_at
        item.updated_at = attachment.updated_at
        item.expires_at = _to_datetime(attachment.expires_at)
        item.save(condition=self._m.pk.does_not_exist())

    def claim(self, attachment_id: str, now_ms: int, lease_ms: int) -> bool:
        """Take the pending record for processing; False if it is not pending or someone holds it."""
        m = self._m
        try:
            m(attachment_id).update(
                actions=[m.claimed_until.set(now_ms + lease_ms)],
                condition=(m.status == "pending") & (m.claimed_until.does_not_exist() | (m.claimed_until < now_ms)),
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def release(self, attachment_id: str) -> None:
        """Give a claim back (after an unexpected error, so that a retry can process it)."""
        m = self._m
        try:
            m(attachment_id).update(actions=[m.claimed_until.remove()], condition=m.status == "pending")
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise

    def mark_ready(
        self,
        attachment_id: str,
        *,
        details: dict[str, Any],
        chunk_count: int,
        sha256: str,
        media_type: str,
        now_ms: int,
    ) -> bool:
        m = self._m
        return self._finish(attachment_id, [
            m.status.set("ready"),
            m.details.set(details),
            m.chunk_count.set(chunk_count),
            m.sha256.set(sha256),
            m.media_type.set(media_type),
            m.updated_at.set(now_ms),
            m.claimed_until.remove(),
        ])

    def mark_failed(self, attachment_id: str, *, code: str, message: str, now_ms: int) -> bool:
        m = self._m
        return self._finish(attachment_id, [
            m.status.set("failed"),
            m.reason_code.set(code),
            m.reason_message.set(message),
            m.updated_at.set(now_ms),
            m.claimed_until.remove(),
        ])

    def _finish(self, attachment_id: str, actions: list[Action]) -> bool:
        m = self._m
        try:
            m(attachment_id).update(actions=actions, condition=m.status == "pending")
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def link(self, user_id: str, attachment_id: str, conversation_id: str, now_ms: int) -> None:
        """Tie the attachment to a conversation and drop its TTL (idempotent for the same conversation).

        Raises ``DoesNotExist`` for a missing or foreign record, ``LinkRefused`` for another conversation.
        """
        m = self._m
        try:
            m(attachment_id).update(
                actions=[m.conversation_id.set(conversation_id), m.expires_at.remove(), m.updated_at.set(now_ms)],
                condition=(m.user_id == user_id)
                & (m.conversation_id.does_not_exist() | (m.conversation_id == conversation_id)),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            current = self.get(attachment_id)
            if current is None or current.user_id != user_id:
                raise DoesNotExist() from exc
            raise LinkRefused(attachment_id) from exc

    def delete(self, attachment_id: str, user_id: str | None = None) -> bool:
        """Delete the record (only the owner's when ``user_id`` is given); False if there was none to delete."""
        m = self._m
        condition = (m.user_id == user_id) if user_id is not None else m.pk.exists()
        try:
            m(attachment_id).delete(condition=condition)
        except DeleteError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    # -- mapping -------------------------------------------------------------------------------

    @staticmethod
    def _to_attachment(item: AttachmentItem) -> Attachment:
        return Attachment(
            attachment_id=item.pk,
            user_id=item.user_id,
            status=cast(Status, item.status),  # only Status values are ever written
            kind=item.kind,
            filename=item.filename,
            content_type=item.content_type,
            media_type=item.media_type,
            size=int(item.size),
            created_at=int(item.created_at),
            updated_at=int(item.updated_at),
            conversation_id=item.conversation_id,
            reason_code=item.reason_code,
            reason_message=item.reason_message,
            details=item.details,
            chunk_count=int(item.chunk_count) if item.chunk_count is not None else None,
            sha256=item.sha256,
            expires_at=int(item.expires_at.timestamp() * 1000) if item.expires_at is not None else None,
        )


def _to_datetime(epoch_ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC) if epoch_ms is not None else None


__all__ = [
    "Attachment",
    "AttachmentRepository",
    "LinkRefused",
    "Status",
]
