"""The "continue this conversation" action: a share link's snapshot copied into the reader's own account.

The copy is a new conversation the reader owns, with the snapshot's messages (the active branch as
it was shared) under new ids, chained root first. What the snapshot never holds stays out of the copy
too: the system prompt, usage and costs. Attachments are not copied: they belong to the sharer (their
records and files sit under the sharer's account), so the copied messages keep their text only.
Authorship is not kept either: the copy is the reader's own conversation, every message theirs (as
in any conversation of their own), and who may regenerate what follows from ownership. Nothing is
charged: no model runs.
"""

from __future__ import annotations

from typing import Any

from parley.conversations.model import Conversation, Message, preview_of
from parley.conversations.repository import ConversationRepository
from parley.conversations.titles import DEFAULT_TITLE, clean_title
from parley.errors import ValidationFailed
from parley.ids import new_id, now_ms
from parley.sharing.shares import ShareService
from parley.tokens import count_tokens


class ShareCopier:
    """"Continue this conversation": a share's snapshot copied into the reader's own account."""

    def __init__(self, shares: ShareService, repository: ConversationRepository, *, default_model: str) -> None:
        self._shares = shares
        self._repo = repository
        self._model = default_model

    def copy(self, user_id: str, share_id: str) -> Conversation:
        return copy_share(self._shares, self._repo, user_id, share_id, model=self._model)


def copy_share(shares: ShareService, repository: ConversationRepository, user_id: str, share_id: str, *,
               model: str) -> Conversation:
    """The copy, saved (a revoked or unknown share is a 404, as for its read)."""
    snapshot = shares.read(share_id)
    now = now_ms()
    conversation_id = new_id()
    shown = [m for m in snapshot.get("messages", []) if m.get("role") in ("user", "assistant")]
    # ULIDs made in one millisecond are not ordered: sorted, they keep the branch's order in the partition.
    ids = sorted(new_id() for _ in shown)
    messages: list[Message] = []
    for message_id, m in zip(ids, shown, strict=True):
        parent = messages[-1].message_id if messages else None
        messages.append(_copied(m, message_id, conversation_id, parent, user_id, now))
    try:
        title = clean_title(str(snapshot.get("title") or DEFAULT_TITLE))
    except ValidationFailed:
        title = DEFAULT_TITLE
    conversation = Conversation(
        conversation_id=conversation_id, user_id=user_id, title=title, title_source="user", model=model,
        created_at=now, updated_at=now, current_message_id=messages[-1].message_id if messages else None,
        preview=preview_of(messages[-1].content) if messages else "", message_count=len(messages),
    )
    repository.create_with_messages(conversation, messages)
    return conversation


def _copied(m: dict[str, Any], message_id: str, conversation_id: str, parent_id: str | None, owner_id: str,
            now: int) -> Message:
    content = str(m.get("content") or "")
    return Message(
        message_id=message_id, conversation_id=conversation_id, parent_id=parent_id, role=m["role"],
        content=content, created_at=int(m.get("createdAt") or now), tokens=count_tokens(content),
        model=m.get("model"), finish_reason=m.get("finishReason"), author_id=owner_id,
    )
