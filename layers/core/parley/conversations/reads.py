"""Reading conversations: one item, a batch, a whole partition, what a turn needs, and a user's list.

Ownership is enforced on every read: an item of another user is reported exactly like a missing one
(``NotFound``). A member of a shared conversation reads it too (with its ``role``): only when the
reader is not the owner is the member item looked up, so an owner's reads cost nothing more.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist

from parley.conversations.core import NOT_FOUND, RepositoryCore
from parley.conversations.cursor import decode_cursor, encode_cursor
from parley.conversations.model import Conversation, ConversationPage, Message, Summary
from parley.errors import BadRequest, NotFound
from parley.ids import is_id
from parley.storage.tables import (
    CONVERSATION_SK,
    ConversationItem,
    ConversationModel,
    MemberModel,
    MessageModel,
    SummaryModel,
    list_pk,
    member_sk,
    message_sk,
)

#: Items per page of a turn's read (newest first): a conversation of up to this many items (50 turns)
#: is read in one call, as before; a page of ~1.5 KB messages is ~40 read units.
TURN_READ_PAGE = 100
LIST_SK = re.compile(r"^\d{15}#[0-9A-HJKMNP-TV-Z]{26}$")


class ConversationReads(RepositoryCore):
    def get(self, user_id: str, conversation_id: str) -> Conversation:
        try:
            item = self._t.conversation.get(conversation_id, CONVERSATION_SK, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(NOT_FOUND) from exc
        if self._expired(item):
            raise NotFound(NOT_FOUND)
        return self.to_conversation(item, self._role_of(item, user_id))

    def member_role(self, conversation_id: str, user_id: str, owner_id: str) -> str | None:
        """The role of a member of the owner's conversation (one consistent GetItem), or None."""
        try:
            member = self._t.member.get(conversation_id, member_sk(user_id), consistent_read=True)
        except DoesNotExist:
            return None
        return member.role if member.owner_id == owner_id else None

    def _role_of(self, item: ConversationModel, user_id: str) -> str:
        """The reader's access to a conversation item: a stranger's is exactly a missing one."""
        if item.user_id == user_id:
            return "owner"
        role = self.member_role(item.pk, user_id, item.user_id)
        if role is None:
            raise NotFound(NOT_FOUND)
        return role

    def get_many(self, user_id: str, conversation_ids: Sequence[str]) -> dict[str, Conversation]:
        """The user's conversations among ``conversation_ids`` (missing and foreign ones left out),
        in one consistent BatchGetItem per 100 ids."""
        keys = [(cid, CONVERSATION_SK) for cid in dict.fromkeys(conversation_ids)]
        found = self._t.conversation.batch_get(keys, consistent_read=True) if keys else []
        return {i.pk: self.to_conversation(i) for i in found if i.user_id == user_id and not self._expired(i)}

    def load(self, user_id: str, conversation_id: str) -> tuple[Conversation, list[Message]]:
        """The conversation and all its messages, in order, from one (paginated) consistent Query."""
        conversation, messages, _ = self.load_all(user_id, conversation_id)
        return conversation, messages

    def load_all(self, user_id: str, conversation_id: str) -> tuple[Conversation, list[Message], list[Summary]]:
        """The conversation, its messages and its summaries, from the same single Query.

        A cold conversation (moved to S3) is restored first, transparently.
        """
        loaded = self._load_once(user_id, conversation_id)
        if loaded[0].cold and self._restorer is not None:
            self._restorer(loaded[0].user_id, conversation_id)
            loaded = self._load_once(user_id, conversation_id)
        return loaded

    def load_for_turn(
        self, user_id: str, conversation_id: str, *, leaf_id: str | None, from_current: bool, budget_tokens: int
    ) -> tuple[Conversation, list[Message], list[Summary]]:
        """What a turn needs, not the whole tree: the conversation, its summaries, and messages read
        newest first (paged) until the branch ending at ``leaf_id`` (or, ``from_current``, at the
        conversation's current message) is covered back to its root, to a summarized message other
        than the leaf, or past ``budget_tokens`` (older messages could not fit any context window).

        A consistent GetItem, then one consistent Query (``ScanIndexForward=False`` over the
        summaries, ``S#``, then the messages, ``M#``, newest first) stopped at the first page that
        covers it. Messages of other branches read on the way are returned too.
        """
        # First the newest page of the whole partition. The conversation item sorts first, so it comes
        # last: a conversation of up to a page (most of them) is read whole in this one call, as it
        # always was, and the turn stays within its budget of AWS calls. Members (``U#``) sort last,
        # so they all come in this page (a conversation has fewer members than a page holds).
        head = self._t.item.query(conversation_id, consistent_read=True, scan_index_forward=False,
                                  limit=TURN_READ_PAGE, page_size=TURN_READ_PAGE)
        newest = list(head)
        if head.last_evaluated_key is None:
            loaded = self._from_items(user_id, reversed(newest))
            return self.load_all(user_id, conversation_id) if loaded[0].cold else loaded
        conversation = self.get(user_id, conversation_id)
        if conversation.cold:
            return self.load_all(user_id, conversation_id)
        conversation.member_ids = _member_ids(newest, conversation.user_id)
        want = conversation.current_message_id if from_current else leaf_id
        messages: list[Message] = []
        summaries: list[Summary] = []
        through: set[str] = set()
        tokens = 0
        if want is not None:
            # The rest of the partition after that first page, newest first, page by page.
            rest = self._t.item.query(conversation_id, consistent_read=True, scan_index_forward=False,
                                      page_size=TURN_READ_PAGE, last_evaluated_key=head.last_evaluated_key)
            for item in itertools.chain(newest, rest):
                if isinstance(item, SummaryModel):
                    summaries.append(_summary(item))
                    through.add(item.through_message_id)
                    continue
                if not isinstance(item, MessageModel):
                    continue  # the conversation, members (U#), shares (L#)
                message = self._to_message(item)
                messages.append(message)
                if message.message_id != want:
                    continue
                tokens += message.tokens
                leaf = message.message_id == (conversation.current_message_id if from_current else leaf_id)
                if message.parent_id is None or tokens > budget_tokens or (not leaf and message.message_id in through):
                    break
                want = message.parent_id
            messages.reverse()
        # No leaf (a new conversation, or a new root): no history, and no summary can apply.
        return conversation, messages, summaries

    def _load_once(self, user_id: str, conversation_id: str) -> tuple[Conversation, list[Message], list[Summary]]:
        return self._from_items(user_id, self._t.item.query(conversation_id, consistent_read=True))

    def _from_items(self, user_id: str,
                    items: Iterable[ConversationItem]) -> tuple[Conversation, list[Message], list[Summary]]:
        """A conversation from its partition's items in key order (conversation, messages, summaries)."""
        conversation: Conversation | None = None
        messages: list[Message] = []
        summaries: list[Summary] = []
        members: list[MemberModel] = []
        for item in items:
            if isinstance(item, ConversationModel):
                if self._expired(item):
                    raise NotFound(NOT_FOUND)
                conversation = self.to_conversation(item, self._role_of(item, user_id))
            elif isinstance(item, MessageModel):
                messages.append(self._to_message(item))
            elif isinstance(item, SummaryModel):
                summaries.append(_summary(item))
            elif isinstance(item, MemberModel):
                members.append(item)
        if conversation is None:
            raise NotFound(NOT_FOUND)
        conversation.member_ids = _member_ids(members, conversation.user_id)
        self.fill_authors(conversation, messages)
        return conversation, messages, summaries

    def get_message(self, user_id: str, conversation_id: str, message_id: str) -> Message:
        self.get(user_id, conversation_id)
        try:
            item = self._t.message.get(conversation_id, message_sk(message_id), consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound("message not found") from exc
        return self._to_message(item)

    def list(self, user_id: str, *, archived: bool, limit: int, cursor: str | None) -> ConversationPage:
        pk = list_pk(user_id, archived)
        start_key: dict[str, Any] | None = None
        if cursor:
            conversation_id, sort_key = decode_cursor(cursor, 2)
            # DynamoDB refuses malformed start keys with a server-side error: check the shape first.
            if not is_id(conversation_id) or not LIST_SK.match(sort_key):
                raise BadRequest("cursor is not valid", code="invalid_cursor")
            start_key = {
                "pk": {"S": conversation_id},
                "sk": {"S": CONVERSATION_SK},
                "list_pk": {"S": pk},
                "list_sk": {"S": sort_key},
            }
        # One extra item tells whether another page exists, so the last page carries no cursor.
        results = self._t.by_user.query(
            pk,
            scan_index_forward=False,
            limit=limit + 1,
            page_size=limit + 1,
            last_evaluated_key=start_key,
        )
        items = list(results)
        next_cursor = None
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            next_cursor = encode_cursor([last.pk, last.list_sk])
        return ConversationPage([self.to_conversation(i) for i in items], next_cursor)


def _member_ids(items: Iterable[ConversationItem], owner_id: str) -> tuple[str, ...]:
    return tuple(i.member_id for i in items if isinstance(i, MemberModel) and i.owner_id == owner_id)


def _summary(item: SummaryModel) -> Summary:
    return Summary(item.through_message_id, item.text, int(item.tokens), int(item.covered_messages))
