"""What the conversation repository's parts share: the table, blobs, hooks, and the mapping between
storage items and the domain's conversations and messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from parley.conversations.model import INTERRUPTED, Conversation, Message, Role, interrupted_error
from parley.errors import Conflict
from parley.ids import now_ms
from parley.search.indexer import SearchIndexer
from parley.storage.blobs import BlobStore
from parley.storage.dynamo import Transaction, Transactions, endpoint_of
from parley.storage.tables import (
    ConversationItem,
    ConversationModel,
    ConversationTable,
    MessageModel,
    from_nano,
    list_pk,
    list_sk,
    message_sk,
    ms_of,
    to_nano,
    ttl_of,
)

NOT_FOUND = "conversation not found"
#: Where a temporary chat's oversized contents go in S3: a lifecycle rule expires that prefix (items
#: expire by their TTL, objects by age).
TEMPORARY_BLOB_PREFIX = "temporary/"

#: Adds one more write to a turn's transaction (ledger, idempotency record...).
TxExtra = Callable[[Transaction], None]


class ConcurrentChange(Conflict):
    """Another request moved the conversation on since this one read it (retry after re-reading)."""

    code = "conversation_changed"


class DuplicateRequest(Conflict):
    """The turn's idempotency record already exists: the caller answers with the prior result."""

    code = "duplicate_request"


class RepositoryCore:
    def __init__(self, table: ConversationTable, blobs: BlobStore, inline_max_bytes: int, *,
                 generation_stale_after_s: float = 30.0) -> None:
        self._t = table
        self._blobs = blobs
        self._inline_max_bytes = inline_max_bytes
        self._stale_after_ms = int(generation_stale_after_s * 1000)
        self._transaction = Transactions(endpoint_of(table.item))
        self._restorer: Callable[[str, str], None] | None = None
        self._on_delete: Callable[[str, str], object] | None = None
        self._search: SearchIndexer | None = None

    def set_search_indexer(self, indexer: SearchIndexer) -> None:
        """Install what keeps the search index in step with writes (local mode; on AWS, the stream)."""
        self._search = indexer

    def set_delete_hook(self, hook: Callable[[str, str], object]) -> None:
        """Install what else a conversation's deletion removes (its attachments): hook(user_id, conversation_id)."""
        self._on_delete = hook

    def set_restorer(self, restorer: Callable[[str, str], None]) -> None:
        """Install what brings a cold conversation back (``restorer(user_id, conversation_id)``)."""
        self._restorer = restorer

    # -- mapping -------------------------------------------------------------------------------

    @staticmethod
    def fill_authors(conversation: Conversation, messages: list[Message]) -> None:
        """User messages written before authorship was stored were the owner's."""
        for message in messages:
            if message.author_id is None and message.role == "user":
                message.author_id = conversation.user_id

    def message_item(self, message: Message) -> MessageModel:
        """A message as a storage item, with oversized content moved to S3 first."""
        item = self._t.message(message.conversation_id, message_sk(message.message_id))
        item.message_id = message.message_id
        item.parent_id = message.parent_id
        item.role = message.role
        item.tokens = message.tokens
        item.model = message.model
        item.created_at = message.created_at
        item.status = message.status
        item.finish_reason = message.finish_reason
        item.input_tokens = message.input_tokens
        item.output_tokens = message.output_tokens
        item.cost_nusd = to_nano(message.cost)
        item.attachments = list(message.attachments)
        item.details = message.details or None
        item.expires_at = ttl_of(message.expires_at)
        item.author_id = message.author_id
        if len(message.content.encode("utf-8")) > self._inline_max_bytes:
            key = f"{self._blob_prefix(message.conversation_id)}{message.message_id}"
            if message.expires_at is not None:
                key = TEMPORARY_BLOB_PREFIX + key
            self._blobs.put_text(key, message.content)
            item.content, item.content_key = None, key
        else:
            item.content, item.content_key = message.content, None
        return item

    @staticmethod
    def _blob_prefix(conversation_id: str) -> str:
        return f"conversations/{conversation_id}/"

    def _fill(self, item: ConversationModel, c: Conversation) -> None:
        item.user_id = c.user_id
        item.title = c.title
        item.title_source = c.title_source
        item.model = c.model
        item.system_prompt = c.system_prompt
        item.created_at = c.created_at
        item.updated_at = c.updated_at
        item.current_message_id = c.current_message_id
        item.preview = c.preview
        item.archived = c.archived
        item.message_count = c.message_count
        item.temporary = c.temporary or None
        item.expires_at = ttl_of(c.expires_at)
        item.list_pk = list_pk(c.user_id, c.archived, c.temporary)
        item.list_sk = list_sk(c.updated_at, c.conversation_id)

    @staticmethod
    def _expired(item: ConversationItem) -> bool:
        """A temporary chat past its time (DynamoDB's TTL deletes it within days, not at once)."""
        expires = ms_of(item.expires_at)
        return expires is not None and expires <= now_ms()

    @staticmethod
    def to_conversation(item: ConversationModel, role: str = "owner") -> Conversation:
        """The domain record of a conversation item, as ``role`` reads it (public: the sharing and cold
        store modules map the items they read themselves)."""
        return Conversation(
            conversation_id=item.pk,
            user_id=item.user_id,
            title=item.title,
            model=item.model,
            created_at=int(item.created_at),
            updated_at=int(item.updated_at),
            system_prompt=item.system_prompt,
            current_message_id=item.current_message_id,
            preview=item.preview,
            archived=bool(item.archived),
            title_source=item.title_source,
            message_count=int(item.message_count or 0),
            total_input_tokens=int(item.total_input_tokens or 0),
            total_output_tokens=int(item.total_output_tokens or 0),
            total_cost=from_nano(item.total_cost_nusd),
            cold=bool(item.cold),
            temporary=bool(item.temporary),
            expires_at=ms_of(item.expires_at),
            role=role,
            live_key=item.live_key,
        )

    def _to_message(self, item: MessageModel) -> Message:
        content = item.content if item.content_key is None else self._blobs.get_text(item.content_key)
        message = Message(
            message_id=item.message_id,
            conversation_id=item.pk,
            parent_id=item.parent_id,
            role=cast(Role, item.role),  # only the roles of Message are ever written
            content=content or "",
            created_at=int(item.created_at),
            tokens=int(item.tokens or 0),
            model=item.model,
            status=item.status,
            finish_reason=item.finish_reason,
            input_tokens=int(item.input_tokens or 0),
            output_tokens=int(item.output_tokens or 0),
            cost=from_nano(item.cost_nusd),
            attachments=list(item.attachments or []),
            details=dict(item.details or {}),
            expires_at=ms_of(item.expires_at),
            author_id=item.author_id,
        )
        if message.status == "generating":
            heartbeat = max(int(item.checkpoint_at or 0), message.created_at)
            if now_ms() - heartbeat > self._stale_after_ms:
                # Its process died mid-answer (its checkpoints, the heartbeat, stopped): what was
                # checkpointed is the answer, interrupted; regenerate makes a new one.
                message.status, message.finish_reason = "complete", INTERRUPTED
                message.details["error"] = interrupted_error()
        return message
