"""Conversation storage on DynamoDB (pynamodb), with S3 for oversized content: the repository.

Its parts: :mod:`core` (the table, hooks and item mapping), :mod:`reads` (ownership-checked reads,
the turn's paged read, listing), :mod:`writes` (create, update, delete, titles, summaries) and here
the turn's transactions (begin, checkpoint, finish, stop), which fold in other tables' writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from parley.conversations.core import (
    NOT_FOUND,
    TEMPORARY_BLOB_PREFIX,
    ConcurrentChange,
    DuplicateRequest,
    TxExtra,
)
from parley.conversations.model import Message
from parley.conversations.reads import TURN_READ_PAGE
from parley.conversations.writes import ConversationWrites
from parley.errors import Forbidden, NotFound
from parley.ids import now_ms
from parley.storage.dynamo import ConditionsFailed, is_condition_failure
from parley.storage.tables import CONVERSATION_SK, list_sk, message_sk, to_nano

__all__ = [
    "ANY_CURRENT",
    "NOT_FOUND",
    "TEMPORARY_BLOB_PREFIX",
    "TURN_READ_PAGE",
    "ConcurrentChange",
    "ConversationRepository",
    "DuplicateRequest",
    "TxExtra",
]

#: ``begin_turn`` without a condition on where the active branch ends (explicit branching).
ANY_CURRENT = object()


class ConversationRepository(ConversationWrites):
    def begin_turn(
        self,
        user_id: str,
        conversation_id: str,
        *,
        new_messages: list[Message],
        current_message_id: str,
        preview: str,
        now: int,
        extra: Sequence[TxExtra] = (),
        expected_current: str | None | object = ANY_CURRENT,
    ) -> None:
        """Store a turn's new messages and point the conversation at it, in one transaction.

        ``new_messages`` is the user message (unless regenerating) and the assistant placeholder
        that generation fills in. The ownership condition makes a foreign or deleted conversation a
        404, and ``attribute_not_exists`` makes a replayed id a conflict rather than an overwrite.
        With ``expected_current`` (a send that continues the active branch), the branch must still
        end where it did when the turn was prepared, so concurrent sends chain instead of forking:
        a loser gets ConcurrentChange and is prepared again.
        """
        model = self._t.conversation
        conversation = model(conversation_id, CONVERSATION_SK)
        condition = model.user_id == user_id
        if expected_current is None:
            condition &= model.current_message_id.does_not_exist()
        elif expected_current is not ANY_CURRENT:
            condition &= model.current_message_id == expected_current
        try:
            with self._transaction() as tx:
                for message in new_messages:
                    tx.save(self.message_item(message), condition=self._t.message.pk.does_not_exist())
                tx.update(
                    conversation,
                    actions=[
                        model.current_message_id.set(current_message_id),
                        model.updated_at.set(now),
                        model.list_sk.set(list_sk(now, conversation_id)),
                        model.preview.set(preview),
                        model.message_count.add(len(new_messages)),
                    ],
                    condition=condition,
                )
                for add in extra:
                    add(tx)
        except ConditionsFailed as exc:
            raise self._turn_error(exc, user_id) from exc
        if self._search is not None:
            self._search.messages(user_id, new_messages)

    def finish_turn(
        self, user_id: str, message: Message, *, preview: str, now: int, extra: Sequence[TxExtra] = ()
    ) -> None:
        """Save the finished assistant message, update the conversation (and the ledger) together."""
        model = self._t.conversation
        conversation = model(message.conversation_id, CONVERSATION_SK)
        actions = [
            model.updated_at.set(now),
            model.list_sk.set(list_sk(now, message.conversation_id)),
            model.total_input_tokens.add(message.input_tokens),
            model.total_output_tokens.add(message.output_tokens),
            model.total_cost_nusd.add(to_nano(message.cost)),
        ]
        if preview:
            actions.append(model.preview.set(preview))
        try:
            with self._transaction() as tx:
                tx.save(self.message_item(message))
                tx.update(conversation, actions=actions, condition=(model.user_id == user_id))
                for add in extra:
                    add(tx)
        except ConditionsFailed as exc:
            raise self._turn_error(exc, user_id) from exc
        if self._search is not None:
            self._search.messages(user_id, [message])

    def checkpoint(self, message: Message, content: str) -> bool:
        """Save partial content of a generating message; returns whether a stop was requested.

        One UpdateItem both checkpoints (for resume from another process) and reads the stop flag
        (set by a stop request on any process), so the two cost one call every few seconds.
        """
        model = self._t.message
        item = model(message.conversation_id, message_sk(message.message_id))
        actions: list[Action] = []
        if len(content.encode("utf-8")) <= self._inline_max_bytes:
            actions.append(model.content.set(content))
        else:
            # Too large for the item: offloaded like a saved message's content, so that a resume in
            # another process keeps following a long answer. Its own key: the final save (which
            # may follow a stop from elsewhere) is never overwritten by a late checkpoint.
            key = f"{self._blob_prefix(message.conversation_id)}{message.message_id}.partial"
            self._blobs.put_text(key, content)
            actions += [model.content.remove(), model.content_key.set(key)]
        actions.append(model.checkpoint_at.set(now_ms()))
        try:
            item.update(actions=actions, condition=(model.status == "generating"))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return True  # finished or removed elsewhere: nothing left to generate for
            raise
        return bool(item.stop_requested)

    def fail_generation(self, message: Message) -> None:
        """Mark a generating answer failed (when saving it did not work), so nobody waits for it."""
        model = self._t.message
        try:
            model(message.conversation_id, message_sk(message.message_id)).update(
                actions=[model.status.set("complete"), model.finish_reason.set("error"),
                         model.details.set({"error": {"code": "save_failed", "message": "the answer could not be saved",
                                                      "retryable": True}})],
                condition=(model.status == "generating"),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise

    def request_stop(self, user_id: str, conversation_id: str, message_id: str) -> bool:
        """Flag a generating message to stop. Returns False when it is not generating (any more)."""
        if self.get(user_id, conversation_id).role == "viewer":  # a foreign conversation is a 404
            raise Forbidden("a viewer cannot stop answers")
        model = self._t.message
        item = model(conversation_id, message_sk(message_id))
        try:
            item.update(
                actions=[model.stop_requested.set(True)],
                condition=(model.status == "generating"),
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                try:
                    model.get(conversation_id, message_sk(message_id), consistent_read=True)
                except DoesNotExist as missing:
                    raise NotFound("message not found") from missing
                return False
            raise
        return True
