"""Writing conversations outside a turn: create, rename, archive, delete, titles and summaries.

Every write carries a ``user_id`` condition, so a race cannot cross users either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from parley.conversations.core import NOT_FOUND, TEMPORARY_BLOB_PREFIX, ConcurrentChange, DuplicateRequest, TxExtra
from parley.conversations.model import Conversation, Message, Summary
from parley.conversations.reads import ConversationReads
from parley.errors import BadRequest, Conflict, NotFound
from parley.ids import now_ms
from parley.storage.dynamo import ConditionsFailed, is_condition_failure
from parley.storage.tables import CONVERSATION_SK, ConversationItem, list_pk, list_sk, member_sk, summary_sk


class ConversationWrites(ConversationReads):
    def create(self, conversation: Conversation, extra: Sequence[TxExtra] = ()) -> None:
        item = self._t.conversation(conversation.conversation_id, CONVERSATION_SK)
        self._fill(item, conversation)
        if not extra:
            item.save(condition=self._t.conversation.pk.does_not_exist())
        else:
            try:
                with self._transaction() as tx:
                    tx.save(item, condition=self._t.conversation.pk.does_not_exist())
                    for add in extra:
                        add(tx)
            except ConditionsFailed as exc:
                raise self._turn_error(exc, conversation.user_id) from exc
        if self._search is not None:
            self._search.created(conversation)

    def put_summary(self, user_id: str, conversation_id: str, summary: Summary, *, model: str) -> bool:
        """Store a summary once per conversation and covered message; False if it already exists.

        Written only while the conversation exists and is the user's: a summary finished after the
        conversation was deleted must not leave its text behind.
        """
        item = self._t.summary(conversation_id, summary_sk(summary.through_message_id))
        item.through_message_id = summary.through_message_id
        item.text = summary.text
        item.tokens = summary.tokens
        item.covered_messages = summary.covered_messages
        item.model = model
        item.created_at = now_ms()
        return self.save_new(user_id, conversation_id, item)

    def move_member_entries(self, owner_id: str, conversation_id: str, member_ids: Iterable[str], *, at: int) -> None:
        """Move the members' list entries to ``at`` (a turn's time), as the turn moves the owner's:
        one UpdateItem per member. Only a member item that is still there, still of this owner's
        conversation, and not already later is changed: a member removed since the turn read them
        is never written back, and racing turns never move an entry backwards."""
        model = self._t.member
        key = list_sk(at, conversation_id)
        for member_id in member_ids:
            try:
                model(conversation_id, member_sk(member_id)).update(
                    actions=[model.list_sk.set(key)],
                    condition=model.pk.exists() & (model.owner_id == owner_id) & (model.list_sk < key))
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise

    def save_new(self, user_id: str, conversation_id: str, item: ConversationItem, *also: ConversationItem,
                 conversation_actions: Sequence[Action] = ()) -> bool:
        """Save an item of the conversation's (and ``also`` items with it) only while the conversation
        exists and is the user's (else NotFound), and only if the item is new (else False); with
        ``conversation_actions``, the conversation item is updated by them in the same transaction."""
        conversation = self._t.conversation
        try:
            with self._transaction() as tx:
                if conversation_actions:
                    tx.update(conversation(conversation_id, CONVERSATION_SK), actions=list(conversation_actions),
                              condition=conversation.user_id == user_id)
                else:
                    tx.condition_check(conversation, conversation_id, CONVERSATION_SK,
                                       condition=conversation.user_id == user_id)
                tx.save(item, condition=type(item).pk.does_not_exist())
                for extra in also:
                    tx.save(extra)
        except ConditionsFailed as exc:
            if exc.any("check") or exc.any("update"):
                raise NotFound(NOT_FOUND) from exc
            return False
        return True

    def set_generated_title(self, user_id: str, conversation_id: str, title: str) -> bool:
        """Set a generated title unless the user has named the conversation (never overwrite theirs)."""
        model = self._t.conversation
        try:
            model(conversation_id, CONVERSATION_SK).update(
                actions=[model.title.set(title), model.title_source.set("auto")],
                condition=(model.user_id == user_id) & (model.title_source == "default"),
            )
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        if self._search is not None:
            self._search.retitled(user_id, conversation_id, title)
        return True

    def update(
        self,
        user_id: str,
        conversation_id: str,
        *,
        title: str | None = None,
        archived: bool | None = None,
        current_message_id: str | None = None,
    ) -> None:
        model = self._t.conversation
        actions: list[Action] = []
        if title is not None:
            actions += [model.title.set(title), model.title_source.set("user")]
        condition = model.user_id == user_id
        if archived is not None:
            actions += [model.archived.set(archived), model.list_pk.set(list_pk(user_id, archived))]
            condition &= model.temporary.does_not_exist()  # a temporary chat stays out of the lists
        if current_message_id is not None:
            actions.append(model.current_message_id.set(current_message_id))
        if not actions:
            self.get(user_id, conversation_id)  # nothing to change, but a missing or foreign one is still a 404
            return
        item = model(conversation_id, CONVERSATION_SK)
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                if archived is not None and self.get(user_id, conversation_id).temporary:
                    raise BadRequest("a temporary chat cannot be archived", code="temporary_conversation") from exc
                raise NotFound(NOT_FOUND) from exc
            raise
        if self._search is not None:
            if title is not None:
                self._search.retitled(user_id, conversation_id, title)
            if archived is not None:
                self._search.archived(user_id, conversation_id, archived)

    def delete(self, user_id: str, conversation_id: str) -> None:
        """Delete what the conversation owns elsewhere (its attachments), then the conversation item
        (conditionally on its owner), then its messages and content in S3."""
        if self._on_delete is not None:
            # First, so that a failure leaves the conversation in place to delete again; it only ever
            # removes this user's own records, so a call for someone else's conversation changes nothing.
            self._on_delete(user_id, conversation_id)
        model = self._t.conversation
        try:
            model(conversation_id, CONVERSATION_SK).delete(condition=model.user_id == user_id)
        except DeleteError as exc:
            if is_condition_failure(exc):
                raise NotFound(NOT_FOUND) from exc
            raise
        if self._search is not None:
            self._search.deleted(user_id, conversation_id)
        self._delete_partition(conversation_id)
        self._blobs.delete_prefix(self._blob_prefix(conversation_id))
        self._blobs.delete_prefix(TEMPORARY_BLOB_PREFIX + self._blob_prefix(conversation_id))

    def _delete_partition(self, conversation_id: str) -> None:
        with self._t.item.batch_write() as batch:
            for item in self._t.item.query(conversation_id, attributes_to_get=["pk", "sk"]):
                batch.delete(item)

    def put_messages(self, messages: Iterable[Message]) -> None:
        """Bulk write (used by tests, benchmarks and restores), never by the chat path."""
        with self._t.item.batch_write() as batch:
            for message in messages:
                batch.save(self.message_item(message))

    def create_with_messages(self, conversation: Conversation, messages: Sequence[Message]) -> None:
        """A new conversation that starts with ``messages`` (a copy): the messages first, so that the
        conversation item, written last, never names a message that is not there yet."""
        self.put_messages(messages)
        self.create(conversation)
        if self._search is not None:
            self._search.messages(conversation.user_id, messages)

    def _turn_error(self, exc: ConditionsFailed, user_id: str) -> Exception:
        """Map a cancelled transaction to what happened, by which item's condition failed."""
        conversations = self._t.item.Meta.table_name
        for failed in exc.failed:
            if failed.table_name == conversations and failed.key.get("sk") == CONVERSATION_SK:
                if failed.kind == "put":
                    return Conflict("conversation already exists", code="duplicate_conversation")
                try:
                    item = self._t.conversation.get(failed.key["pk"], CONVERSATION_SK, consistent_read=True)
                except DoesNotExist:
                    return NotFound(NOT_FOUND)
                if item.user_id != user_id:
                    return NotFound(NOT_FOUND)
                return ConcurrentChange("the conversation changed while this request was prepared", retryable=True)
        if any(failed.table_name != conversations for failed in exc.failed):
            return DuplicateRequest("an idempotent request with this key already exists")
        return Conflict("message already exists", code="duplicate_message")
