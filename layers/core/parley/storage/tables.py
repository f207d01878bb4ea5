"""The conversations table's item models (templates, bound to a table name and endpoint at start-up).

One table holds a conversation and its messages in one partition (``pk`` = conversation id):
``sk = "C"`` is the conversation item, ``sk = "M#<ulid>"`` a message, so a single Query returns the
conversation followed by its messages in creation order. The ``by_user`` index is sparse (only
conversation items carry its keys) and ordered by last update, with ties broken by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from parley.storage.dynamo import Endpoint, bind_kind, bind_root, nullable

CONVERSATION_SK = "C"
MESSAGE_SK_PREFIX = "M#"
SUMMARY_SK_PREFIX = "S#"
MEMBER_SK_PREFIX = "U#"
SHARE_SK_PREFIX = "L#"
#: A share link's own item (its partition is the share id, so a public read is one GetItem).
SHARE_PK_PREFIX = "share#"
SHARE_ITEM_SK = "L"
#: Who is viewing a conversation (its own partition, so no read of the conversation's sees it):
#: ``sk = "V#<user>"`` per viewer, ``sk = "P"`` the set last published.
PRESENCE_PK_PREFIX = "presence#"
VIEWER_SK_PREFIX = "V#"
PRESENCE_SET_SK = "P"
BY_USER_INDEX = "by_user"


def message_sk(message_id: str) -> str:
    return f"{MESSAGE_SK_PREFIX}{message_id}"


def summary_sk(through_message_id: str) -> str:
    return f"{SUMMARY_SK_PREFIX}{through_message_id}"


def member_sk(user_id: str) -> str:
    return f"{MEMBER_SK_PREFIX}{user_id}"


def share_sk(share_id: str) -> str:
    return f"{SHARE_SK_PREFIX}{share_id}"


def shared_list_pk(user_id: str) -> str:
    """The ``by_user`` partition listing the conversations shared with a user (member items only)."""
    return f"{user_id}#shared"


def presence_pk(conversation_id: str) -> str:
    return f"{PRESENCE_PK_PREFIX}{conversation_id}"


def viewer_sk(user_id: str) -> str:
    return f"{VIEWER_SK_PREFIX}{user_id}"


def list_pk(user_id: str, archived: bool, temporary: bool = False) -> str:
    """The ``by_user`` partition a conversation is listed in (temporary chats: one never listed)."""
    if temporary:
        return f"{user_id}#temporary"
    return f"{user_id}#{'archived' if archived else 'active'}"


def ttl_of(ms: int | None) -> datetime | None:
    """Epoch milliseconds as the TTL attribute holds them (DynamoDB reads epoch seconds)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms is not None else None


def ms_of(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def to_nano(usd: float) -> int:
    """US dollars as integer nanodollars (DynamoDB numbers must not be floats like 5e-06)."""
    return round(usd * 1_000_000_000)


def from_nano(nusd: float | int | None) -> float:
    return round(float(nusd or 0) / 1_000_000_000, 9)


def list_sk(updated_at: int, conversation_id: str) -> str:
    return f"{updated_at:015d}#{conversation_id}"


_M = TypeVar("_M", bound=Model)


class ByUserIndex(GlobalSecondaryIndex[_M], Generic[_M]):  # type: ignore[no-untyped-call]  # Index.__init_subclass__ is unannotated
    """Sparse: only conversation and member items carry its keys."""

    class Meta:
        index_name = BY_USER_INDEX
        projection = AllProjection()

    list_pk = UnicodeAttribute(hash_key=True)
    list_sk = UnicodeAttribute(range_key=True)


class ConversationItem(Model):
    """Any item of the table (the root of the family: a Query of a partition returns every kind)."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    #: Only on a temporary chat's items: DynamoDB deletes them after this time.
    expires_at = nullable(TTLAttribute())


class ConversationModel(ConversationItem, discriminator="conversation"):
    user_id = UnicodeAttribute()
    title = UnicodeAttribute(default="")
    title_source = UnicodeAttribute(default="default")  # "default", "user" or "auto"
    model = UnicodeAttribute()
    system_prompt = nullable(UnicodeAttribute())
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    current_message_id = nullable(UnicodeAttribute())
    preview = UnicodeAttribute(default="")
    archived = BooleanAttribute(default=False)
    message_count = NumberAttribute(default=0)
    total_input_tokens = NumberAttribute(default=0)
    total_output_tokens = NumberAttribute(default=0)
    #: Dollars are stored as integer nanodollars: exact sums, and never a float in exponent form.
    total_cost_nusd = NumberAttribute(default=0)
    list_pk = UnicodeAttribute()
    list_sk = UnicodeAttribute()
    #: A stub whose items were moved to S3 (``cold_key``); restored on first access.
    cold = nullable(BooleanAttribute())
    cold_key = nullable(UnicodeAttribute())
    temporary = nullable(BooleanAttribute())
    #: The live channel's secret segment (``/conversations/<id>/<key>``): set when the first member is
    #: added, replaced when one is removed or leaves, so a removed member's old subscription hears nothing.
    live_key = nullable(UnicodeAttribute())
    by_user: ByUserIndex[ConversationModel] = ByUserIndex()


class MessageModel(ConversationItem, discriminator="message"):
    message_id = UnicodeAttribute()
    parent_id = nullable(UnicodeAttribute())
    role = UnicodeAttribute()
    #: Inline content, or None when it lives in S3 under ``content_key``.
    content = nullable(UnicodeAttribute())
    content_key = nullable(UnicodeAttribute())
    #: Token count of the content, computed once when the message is written.
    tokens = NumberAttribute(default=0)
    model = nullable(UnicodeAttribute())
    created_at = NumberAttribute()
    status = UnicodeAttribute(default="complete")
    finish_reason = nullable(UnicodeAttribute())
    input_tokens = NumberAttribute(default=0)
    output_tokens = NumberAttribute(default=0)
    cost_nusd = NumberAttribute(default=0)
    attachments: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # `of` is typed as the Python element type
    #: Set by a stop request from any process; read back by the generating process's checkpoint.
    stop_requested = nullable(BooleanAttribute())
    checkpoint_at = nullable(NumberAttribute())
    #: What went into the answer (context ids, trimming, routing): small, read-only afterwards.
    details = JSONAttribute(null=True)
    #: Who sent it (a user message) or asked for it (an answer); absent on older messages: the owner.
    author_id = nullable(UnicodeAttribute())


class SummaryModel(ConversationItem, discriminator="summary"):
    """A summary of a branch up to and including ``through_message_id`` (written once)."""

    through_message_id = UnicodeAttribute()
    text = UnicodeAttribute()
    tokens = NumberAttribute()
    covered_messages = NumberAttribute()
    model = UnicodeAttribute()
    created_at = NumberAttribute()


class MemberModel(ConversationItem, discriminator="member"):
    """A member of a shared conversation (``sk = "U#<user>"``, in the conversation's partition, so
    deleting the conversation removes it); its ``by_user`` keys list it under the member."""

    member_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    role = UnicodeAttribute()  # "participant" or "viewer"
    added_at = NumberAttribute()
    list_pk = UnicodeAttribute()
    list_sk = UnicodeAttribute()
    #: The same index as the conversations' (queried here, pynamodb keeps to member items).
    by_user: ByUserIndex[MemberModel] = ByUserIndex()


class ShareIndexModel(ConversationItem, discriminator="share_index"):
    """A share link of the conversation (``sk = "L#<share id>"``): what lists and revokes it."""

    share_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    created_at = NumberAttribute()
    include_attachments = BooleanAttribute(default=False)


class ShareModel(ConversationItem, discriminator="share"):
    """A share link's frozen snapshot (``pk = "share#<id>"``): inline, or in S3 under ``snapshot_key``."""

    conversation_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    created_at = NumberAttribute()
    snapshot = JSONAttribute(null=True)
    snapshot_key = nullable(UnicodeAttribute())


class ViewerModel(ConversationItem, discriminator="viewer"):
    """One person viewing a conversation, until ``until`` (ms) unless their heartbeat renews it
    (``expires_at``, later, only lets DynamoDB clean it up)."""

    user_id = UnicodeAttribute()
    until = NumberAttribute()


class PresenceSetModel(ConversationItem, discriminator="presence_set"):
    """The viewers last published for a conversation, and that publication's version."""

    viewers: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]  # as above
    version = NumberAttribute()


@dataclass(frozen=True)
class ConversationTable:
    """The item classes of one bound table (each a subclass of its template above)."""

    item: type[ConversationItem]
    conversation: type[ConversationModel]
    message: type[MessageModel]
    summary: type[SummaryModel]
    by_user: ByUserIndex[ConversationModel]
    member: type[MemberModel]
    share: type[ShareModel]
    share_index: type[ShareIndexModel]
    viewer: type[ViewerModel]
    presence_set: type[PresenceSetModel]


def build_conversation_table(table_name: str, region: str, host: str | None) -> ConversationTable:
    """The templates bound to one table. Built per app so that no name is fixed at import time."""
    root = bind_root(ConversationItem, table_name, Endpoint(region, host))
    conversation = bind_kind(ConversationModel, root)
    return ConversationTable(
        item=root,
        conversation=conversation,
        message=bind_kind(MessageModel, root),
        summary=bind_kind(SummaryModel, root),
        by_user=conversation.by_user,
        member=bind_kind(MemberModel, root),
        share=bind_kind(ShareModel, root),
        share_index=bind_kind(ShareIndexModel, root),
        viewer=bind_kind(ViewerModel, root),
        presence_set=bind_kind(PresenceSetModel, root),
    )
