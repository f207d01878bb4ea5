"""Conversation use cases (create, list, read, rename, archive, switch branch, delete)."""

from __future__ import annotations

import builtins
from collections.abc import Callable

from parley.conversations.model import Conversation, ConversationPage, Message
from parley.conversations.repository import ConversationRepository, DuplicateRequest, TxExtra
from parley.conversations.titles import DEFAULT_TITLE, clean_title
from parley.conversations.tree import branch_to, link_children, newest_leaf_under
from parley.errors import Conflict, Forbidden, NotFound, ValidationFailed
from parley.idempotency.records import IdempotencyKey, IdempotencyStore, PriorResult
from parley.ids import new_id, now_ms

#: A temporary chat is deleted this long after it was created.
TEMPORARY_TTL_MS = 30 * 86_400_000


class ConversationService:
    def __init__(
        self,
        repository: ConversationRepository,
        *,
        default_model: str,
        is_known_model: Callable[[str], bool],
        idempotency: IdempotencyStore,
    ) -> None:
        self._repo = repository
        self._idem = idempotency
        self._default_model = default_model
        self._is_known_model = is_known_model

    def check_model(self, model: str) -> str:
        if not self._is_known_model(model):
            raise ValidationFailed(f"unknown model '{model}'; see GET /models", code="unknown_model")
        return model

    def create(
        self,
        user_id: str,
        *,
        title: str | None,
        model: str | None,
        system_prompt: str | None,
        idempotency: IdempotencyKey | None = None,
        temporary: bool = False,
    ) -> tuple[str, int]:
        """Create a conversation; returns its id and creation time (the first ones, on a repeat)."""
        if idempotency is not None:
            prior = self._idem.prior(idempotency)
            if prior is not None:
                return self._prior_created(prior)
        now = now_ms()
        conversation = Conversation(
            conversation_id=new_id(),
            user_id=user_id,
            title=clean_title(title) if title is not None else DEFAULT_TITLE,
            title_source="user" if title is not None else "default",
            model=self.check_model(model or self._default_model),
            created_at=now,
            updated_at=now,
            system_prompt=system_prompt.strip() or None if system_prompt is not None else None,
            temporary=temporary,
            expires_at=now + TEMPORARY_TTL_MS if temporary else None,
        )
        extra: list[TxExtra] = []
        if idempotency is not None:
            record = self._idem.new_record(
                idempotency, status="complete", conversation_id=conversation.conversation_id,
                response={"conversationId": conversation.conversation_id, "createdAt": conversation.created_at},
            )
            extra.append(lambda tx: tx.save(record, condition=self._idem.condition()))
        try:
            self._repo.create(conversation, extra)
        except DuplicateRequest:
            # A concurrent repeat won the race: answer what it created.
            assert idempotency is not None
            prior = self._idem.prior(idempotency)
            if prior is None:
                raise
            return self._prior_created(prior)
        return conversation.conversation_id, conversation.created_at

    @staticmethod
    def _prior_created(prior: PriorResult) -> tuple[str, int]:
        response = prior.response or {}
        return str(response["conversationId"]), int(response["createdAt"])

    def list(self, user_id: str, *, archived: bool, limit: int, cursor: str | None) -> ConversationPage:
        return self._repo.list(user_id, archived=archived, limit=limit, cursor=cursor)

    def read(self, user_id: str, conversation_id: str) -> tuple[Conversation, builtins.list[Message],
                                                               builtins.list[Message]]:
        """The conversation, its active branch (root first) and the whole tree."""
        conversation, messages = self._repo.load(user_id, conversation_id)
        by_id = link_children(messages)
        return conversation, branch_to(by_id, conversation.current_message_id), messages

    def update(
        self,
        user_id: str,
        conversation_id: str,
        *,
        title: str | None = None,
        archived: bool | None = None,
        current_message_id: str | None = None,
    ) -> None:
        leaf = None
        if current_message_id is not None:
            _, messages = self._repo.load(user_id, conversation_id)
            by_id = link_children(messages)
            if current_message_id not in by_id:
                # 409, not 404: the conversation exists; its current state has no such message.
                raise Conflict("message not found in this conversation", code="message_not_in_conversation")
            # Switching to any message shows the newest branch below it, as a client expects.
            leaf = newest_leaf_under(by_id, current_message_id)
        try:
            self._repo.update(
                user_id,
                conversation_id,
                title=clean_title(title) if title is not None else None,
                archived=archived,
                current_message_id=leaf,
            )
        except NotFound:
            self.require_owner(user_id, conversation_id)
            raise

    def delete(self, user_id: str, conversation_id: str) -> None:
        try:
            self._repo.delete(user_id, conversation_id)
        except NotFound:
            self.require_owner(user_id, conversation_id)
            raise

    def require_owner(self, user_id: str, conversation_id: str) -> Conversation:
        """The caller's own conversation; a member gets 403 ``forbidden_role``, anyone else a 404."""
        conversation = self._repo.get(user_id, conversation_id)
        if conversation.role != "owner":
            raise Forbidden("only the conversation's owner can do this")
        return conversation
