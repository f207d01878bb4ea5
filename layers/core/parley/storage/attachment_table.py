"""The attachments table's item model: one record per upload, keyed by its id (see
``parley.attachments.store`` for its life cycle). The ``by_conversation`` index is sparse (only
linked records carry its key) and holds the owner, so a conversation's deletion finds its
attachments with one Query."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from parley.storage.dynamo import Endpoint, bind, nullable

BY_CONVERSATION_INDEX = "by_conversation"


class ByConversationIndex(GlobalSecondaryIndex["AttachmentItem"]):  # type: ignore[no-untyped-call]  # Index.__init_subclass__ is unannotated
    class Meta:
        index_name = BY_CONVERSATION_INDEX
        # The owner travels with the key, so a deletion can check it without reading each record.
        projection = IncludeProjection(["user_id"])

    conversation_id = UnicodeAttribute(hash_key=True)


class AttachmentItem(Model):
    pk = UnicodeAttribute(hash_key=True)  # the attachment id (ULID)
    user_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | ready | failed
    kind = UnicodeAttribute()
    filename = UnicodeAttribute()
    #: The content type the upload is bound to (as declared, normalised), used to re-check the bytes.
    content_type = UnicodeAttribute()
    #: The canonical media type: from the declaration until processed, then from the bytes.
    media_type = UnicodeAttribute()
    size = NumberAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    #: A processor holds the record until then (ms), so duplicate events and polls do not race.
    claimed_until = nullable(NumberAttribute())
    reason_code = nullable(UnicodeAttribute())
    reason_message = nullable(UnicodeAttribute())
    #: ``Extracted.metadata()``: everything extraction found but the text.
    details = JSONAttribute(null=True)
    chunk_count = nullable(NumberAttribute())
    sha256 = nullable(UnicodeAttribute())
    conversation_id = nullable(UnicodeAttribute())
    expires_at = nullable(TTLAttribute())
    by_conversation = ByConversationIndex()


@dataclass(frozen=True)
class AttachmentTable:
    record: type[AttachmentItem]
    by_conversation: ByConversationIndex


def build_attachment_table(table_name: str, region: str, host: str | None) -> AttachmentTable:
    """The attachments table's model, bound to a name and endpoint at start-up (never at import)."""
    record = bind(AttachmentItem, table_name, Endpoint(region, host))
    return AttachmentTable(record=record, by_conversation=record.by_conversation)
