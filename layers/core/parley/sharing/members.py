"""Members of a shared conversation: the owner adds and removes them; a member may leave.

A member is an item in the conversation's own partition (``sk = "U#<user>"``), so the repository
checks a reader's role with one GetItem, and deleting the conversation removes its members with
it. Users exist only as token subjects (there is no user directory to look an id up in): any id of
the right shape is accepted, and it works as soon as someone signs in with that subject.

The live channel's key (``live_key`` on the conversation item, see docs/sharing.md) is created with
the first member, in the same transaction, and replaced whenever a member is removed or leaves: a
removed member's open subscription stays on the old channel, where nothing is published any more.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from parley.conversations.cursor import decode_cursor, encode_cursor
from parley.conversations.model import Conversation, ConversationPage
from parley.conversations.repository import ConversationRepository
from parley.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from parley.ids import is_id, now_ms
from parley.sharing.appsync import new_live_key
from parley.storage.dynamo import is_condition_failure
from parley.storage.tables import (
    CONVERSATION_SK,
    MEMBER_SK_PREFIX,
    ConversationTable,
    MemberModel,
    list_sk,
    member_sk,
    shared_list_pk,
)

#: What a token subject looks like (Cognito subs are UUIDs; local ones are free-form but short).
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$")
ROLES = ("participant", "viewer")
MAX_MEMBERS = 50
#: Entries per page when reading all of a user's shared entries (each ~200 bytes).
MAX_QUERY_PAGE = 500
SHARED_SK = re.compile(r"^\d{15}#[0-9A-HJKMNP-TV-Z]{26}$")


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    role: str
    added_at: int | None


class MemberService:
    def __init__(self, table: ConversationTable, repository: ConversationRepository,
                 on_removed: Callable[[str, str], None] | None = None,
                 on_rekey: Callable[[str, str | None, str], None] | None = None) -> None:
        self._t = table
        self._repo = repository
        self._on_removed = on_removed  # (conversation id, user id): end that user's subscriptions here
        self._on_rekey = on_rekey  # (conversation id, old key, new key)

    def _owned(self, user_id: str, conversation_id: str) -> Conversation:
        conversation = self._repo.get(user_id, conversation_id)
        if conversation.role != "owner":
            raise Forbidden("only the conversation's owner manages its members")
        return conversation

    def add(self, owner_id: str, conversation_id: str, member_id: str, role: str) -> Member:
        if not USER_ID.match(member_id):
            raise ValidationFailed("userId is not a valid user id", code="invalid_user_id")
        if role not in ROLES:
            raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
        self._owned(owner_id, conversation_id)
        if member_id == owner_id:
            raise ValidationFailed("the owner is not added as a member of their own conversation",
                                   code="cannot_add_owner")
        if len(self._members(conversation_id, owner_id)) >= MAX_MEMBERS:
            raise ValidationFailed(f"a conversation has at most {MAX_MEMBERS} members", code="too_many_members")
        now = now_ms()
        item = self._t.member(conversation_id, member_sk(member_id))
        item.member_id, item.owner_id, item.role, item.added_at = member_id, owner_id, role, now
        item.list_pk, item.list_sk = shared_list_pk(member_id), list_sk(now, conversation_id)
        key = self._t.conversation.live_key
        if not self._repo.save_new(owner_id, conversation_id, item,
                                   conversation_actions=[key.set(key | new_live_key())]):  # if_not_exists
            raise Conflict("this user is already a member", code="already_member")
        return Member(member_id, role, now)

    def list(self, user_id: str, conversation_id: str) -> tuple[Conversation, list[Member]]:
        """Who is in the conversation (any member may ask): the owner first, then members as added."""
        conversation = self._repo.get(user_id, conversation_id)
        owner = Member(conversation.user_id, "owner", None)
        return conversation, [owner, *self._members(conversation_id, conversation.user_id)]

    def _members(self, conversation_id: str, owner_id: str) -> builtins.list[Member]:
        found = self._t.member.query(conversation_id, self._t.member.sk.startswith(MEMBER_SK_PREFIX),
                                     consistent_read=True)
        members = [Member(m.member_id, m.role, int(m.added_at)) for m in found if m.owner_id == owner_id]
        return sorted(members, key=lambda m: (m.added_at or 0, m.user_id))

    def remove(self, user_id: str, conversation_id: str, member_id: str) -> None:
        """The owner removes anyone; a member removes only themself (leaves). Effective at once."""
        conversation = self._repo.get(user_id, conversation_id)
        if conversation.role != "owner" and member_id != user_id:
            raise Forbidden("only the owner removes other members")
        if not USER_ID.match(member_id):
            raise NotFound("member not found")
        model = self._t.member
        try:
            model(conversation_id, member_sk(member_id)).delete(
                condition=model.pk.exists() & (model.owner_id == conversation.user_id))
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise NotFound("member not found") from exc
            raise
        self._rotate_key(conversation_id, conversation.user_id, conversation.live_key)
        if self._on_removed is not None:
            self._on_removed(conversation_id, member_id)

    def _rotate_key(self, conversation_id: str, owner_id: str, old_key: str | None) -> None:
        """A new live key after a removal (one conditional UpdateItem); ``old_key`` as read before."""
        new_key = new_live_key()
        conversation = self._t.conversation
        try:
            conversation(conversation_id, CONVERSATION_SK).update(
                actions=[conversation.live_key.set(new_key)], condition=conversation.user_id == owner_id)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return  # deleted meanwhile: no channel to move
            raise
        if self._on_rekey is not None:
            self._on_rekey(conversation_id, old_key, new_key)

    def shared_with(self, user_id: str, *, limit: int, cursor: str | None) -> ConversationPage:
        """Conversations shared with the user, latest turn (or, before any, sharing) first, with the
        user's role."""
        start_key: dict[str, Any] | None = None
        if cursor:
            conversation_id, sort_key = decode_cursor(cursor, 2)
            if not is_id(conversation_id) or not SHARED_SK.match(sort_key):
                raise BadRequest("cursor is not valid", code="invalid_cursor")
            start_key = {"pk": {"S": conversation_id}, "sk": {"S": member_sk(user_id)},
                         "list_pk": {"S": shared_list_pk(user_id)}, "list_sk": {"S": sort_key}}
        items = list(self._t.member.by_user.query(shared_list_pk(user_id), scan_index_forward=False, limit=limit + 1,
                                           page_size=limit + 1, last_evaluated_key=start_key))
        next_cursor = None
        if len(items) > limit:
            items = items[:limit]
            next_cursor = encode_cursor([items[-1].pk, items[-1].list_sk])
        resolved = self.resolve(user_id, items)
        return ConversationPage([resolved[m.pk] for m in items if m.pk in resolved], next_cursor)

    def shared_items(self, user_id: str, *, before: str | None, limit: int) -> builtins.list[MemberModel]:
        """Up to ``limit`` member index entries of the user, newest first, strictly before the sort
        key ``before`` (all when None): one Query of the user's shared partition."""
        condition = self._t.member.list_sk < before if before is not None else None
        return list(self._t.member.by_user.query(shared_list_pk(user_id), range_key_condition=condition,
                                                 scan_index_forward=False, limit=limit, page_size=limit))

    def shared_conversations(self, user_id: str) -> dict[str, Conversation]:
        """Every conversation the user is a member of now, by id (what their search also covers):
        the shared partition's entries, then their member items and conversations read consistently."""
        items = list(self._t.member.by_user.query(shared_list_pk(user_id), page_size=MAX_QUERY_PAGE))
        return self.resolve(user_id, items)

    def resolve(self, user_id: str, items: builtins.list[MemberModel]) -> dict[str, Conversation]:
        """The conversations behind member index entries, by id, with the user's role. The index is
        eventually consistent: the member items and conversations are read again (consistently), so a
        removed member's or a deleted conversation's entry is left out at once."""
        if not items:
            return {}
        roles = {m.pk: m.role for m in self._t.member.batch_get([(m.pk, m.sk) for m in items], consistent_read=True)
                 if m.member_id == user_id}
        conversations = {c.pk: c for c in self._t.conversation.batch_get(
            [(cid, CONVERSATION_SK) for cid in roles], consistent_read=True)}
        owners = {m.pk: m.owner_id for m in items}
        return {cid: self._repo.to_conversation(c, roles[cid]) for cid, c in conversations.items()
                if c.user_id == owners.get(cid)}
