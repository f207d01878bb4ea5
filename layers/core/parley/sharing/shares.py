"""Share links: a read-only snapshot of a conversation's active branch, readable by anyone with the link.

The snapshot is written once, when the link is made (later messages and renames never change it):
inline in the share's own item (``pk = "share#<id>"``, so a public read is one GetItem), or in S3
when it is too large for an item. The conversation's partition holds an index item per link
(``sk = "L#<id>"``) that lists and revokes it. Deleting the conversation deletes its links, and a
read checks the conversation still exists, so a link never outlives it. Ids are 192 random bits.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from parley.conversations.model import Message
from parley.conversations.repository import ConversationRepository
from parley.conversations.service import ConversationService
from parley.errors import NotFound
from parley.ids import now_ms
from parley.storage.blobs import BlobStore
from parley.storage.dynamo import ConditionsFailed, Transactions, endpoint_of
from parley.storage.tables import (
    CONVERSATION_SK,
    SHARE_ITEM_SK,
    SHARE_PK_PREFIX,
    SHARE_SK_PREFIX,
    ConversationTable,
    share_sk,
)

SHARE_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
SHARE_ID_BYTES = 24  # 192 bits, 32 URL-safe characters
NOT_FOUND = "share not found"


@dataclass(frozen=True, slots=True)
class Share:
    share_id: str
    created_at: int
    include_attachments: bool


def snapshot_message(m: Message, *, include_attachments: bool) -> dict[str, Any]:
    """A message as a share shows it: what was said and by whom, never how it was produced."""
    out: dict[str, Any] = {
        "messageId": m.message_id, "parentMessageId": m.parent_id, "role": m.role, "content": m.content,
        "model": m.model, "createdAt": m.created_at, "authorId": m.author_id, "finishReason": m.finish_reason,
    }
    if include_attachments:
        out["attachments"] = list(m.attachments)
    return out


class ShareService:
    def __init__(self, table: ConversationTable, repository: ConversationRepository,
                 conversations: ConversationService, blobs: BlobStore, inline_max_bytes: int) -> None:
        self._t = table
        self._repo = repository
        self._conversations = conversations
        self._blobs = blobs
        self._inline_max_bytes = inline_max_bytes
        self._transaction = Transactions(endpoint_of(table.item))

    def create(self, user_id: str, conversation_id: str, *, include_attachments: bool) -> Share:
        self._conversations.require_owner(user_id, conversation_id)
        conversation, branch, _ = self._conversations.read(user_id, conversation_id)
        share_id = secrets.token_urlsafe(SHARE_ID_BYTES)
        now = now_ms()
        snapshot = {
            "title": conversation.title,
            "sharedAt": now,
            "messages": [snapshot_message(m, include_attachments=include_attachments) for m in branch
                         if m.role in ("user", "assistant") and m.status != "generating"],
        }
        item = self._t.share(f"{SHARE_PK_PREFIX}{share_id}", SHARE_ITEM_SK)
        item.conversation_id, item.owner_id, item.created_at = conversation_id, user_id, now
        encoded = json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False)
        if len(encoded.encode("utf-8")) > self._inline_max_bytes:
            item.snapshot_key = self._blob_key(conversation_id, share_id)
            self._blobs.put_text(item.snapshot_key, encoded)
        else:
            item.snapshot = snapshot
        index = self._t.share_index(conversation_id, share_sk(share_id))
        index.share_id, index.owner_id, index.created_at = share_id, user_id, now
        index.include_attachments = include_attachments
        # NotFound when the conversation was deleted meanwhile; an id that exists already is a 2^-192 chance.
        if not self._repo.save_new(user_id, conversation_id, item, index):
            raise NotFound(NOT_FOUND)
        return Share(share_id, now, include_attachments)

    def list(self, user_id: str, conversation_id: str) -> list[Share]:
        self._conversations.require_owner(user_id, conversation_id)
        found = self._t.share_index.query(conversation_id, self._t.share_index.sk.startswith(SHARE_SK_PREFIX),
                                          consistent_read=True)
        shares = [Share(i.share_id, int(i.created_at), bool(i.include_attachments)) for i in found
                  if i.owner_id == user_id]
        return sorted(shares, key=lambda s: (s.created_at, s.share_id))

    def revoke(self, user_id: str, conversation_id: str, share_id: str) -> None:
        """Delete a link: its next read is a 404."""
        self._conversations.require_owner(user_id, conversation_id)
        if not SHARE_ID.match(share_id):
            raise NotFound(NOT_FOUND)
        share = self._t.share(f"{SHARE_PK_PREFIX}{share_id}", SHARE_ITEM_SK)
        index = self._t.share_index(conversation_id, share_sk(share_id))
        try:
            stored = self._t.share.get(share.pk, SHARE_ITEM_SK, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(NOT_FOUND) from exc
        if stored.conversation_id != conversation_id or stored.owner_id != user_id:
            raise NotFound(NOT_FOUND)
        try:
            with self._transaction() as tx:
                tx.delete(share, condition=self._t.share.conversation_id == conversation_id)
                tx.delete(index)
        except ConditionsFailed as exc:
            raise NotFound(NOT_FOUND) from exc  # revoked by a concurrent request
        if stored.snapshot_key:
            self._blobs.delete_prefix(stored.snapshot_key)

    def read(self, share_id: str) -> dict[str, Any]:
        """The snapshot (``{title, messages, sharedAt}``), for anyone with the link."""
        if not SHARE_ID.match(share_id):
            raise NotFound(NOT_FOUND)
        try:
            item = self._t.share.get(f"{SHARE_PK_PREFIX}{share_id}", SHARE_ITEM_SK, consistent_read=True)
            conversation = self._t.conversation.get(item.conversation_id, CONVERSATION_SK, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(NOT_FOUND) from exc
        if conversation.user_id != item.owner_id:
            raise NotFound(NOT_FOUND)
        if item.snapshot_key:
            stored: dict[str, Any] = json.loads(self._blobs.get_text(item.snapshot_key))
            return stored
        return dict(item.snapshot)

    def discard(self, user_id: str, conversation_id: str) -> None:
        """Delete the links of a conversation being deleted (only its owner's: a stranger's call changes
        nothing). Their index items go with the conversation's partition, large snapshots with its S3
        prefix."""
        found = self._t.share_index.query(conversation_id, self._t.share_index.sk.startswith(SHARE_SK_PREFIX),
                                          consistent_read=True)
        with self._t.share.batch_write() as batch:
            for index in found:
                if index.owner_id == user_id:
                    batch.delete(self._t.share(f"{SHARE_PK_PREFIX}{index.share_id}", SHARE_ITEM_SK))

    @staticmethod
    def _blob_key(conversation_id: str, share_id: str) -> str:
        # Under the conversation's own prefix, so deleting the conversation deletes it too.
        return f"conversations/{conversation_id}/shares/{share_id}.json"
