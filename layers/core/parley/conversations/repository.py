"""Conversation storage on DynamoDB (pynamodb), with S3 for oversized content.

Ownership is enforced here, on every read and write: an item of another user is reported exactly
like a missing one (``NotFound``), and writes carry a ``user_id`` condition so a race cannot
cross users either. A member of a shared conversation reads it too (with its ``role``): only when
the reader is not the owner is the member item looked up, so an owner's reads cost nothing more.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from parley.context.builder import Summary
from parley.conversations.cursor import decode_cursor, encode_cursor
from parley.conversations.model import INTERRUPTED, Conversation, ConversationPage, Message, interrupted_error
from parley.errors import BadRequest, Conflict, Forbidden, NotFound
from parley.ids import is_id, now_ms
from parley.search.indexer import SearchIndexer
from parley.storage.blobs import BlobStore
from parley.storage.models import is_condition_failure
from parley.storage.tables import (
    CONVERSATION_SK,
    MESSAGE_SK_PREFIX,
    SUMMARY_SK_PREFIX,
    ConversationTable,
    from_nano,
    list_pk,
    list_sk,
    member_sk,
    message_sk,
    ms_of,
    summary_sk,
    to_nano,
    ttl_of,
)

NOT_FOUND = "conversation not found"
#: Where a temporary chat's oversized contents go in S3: a lifecycle rule expires that prefix (items
#: expire by their TTL, objects by age).
TEMPORARY_BLOB_PREFIX = "temporary/"
#: Items per page of a turn's read (newest first): a conversation of up to this many items (50 turns)
#: is read in one call, as before; a page of ~1.5 KB messages is ~40 read units.
TURN_READ_PAGE = 100
LIST_SK = re.compile(r"^\d{15}#[0-9A-HJKMNP-TV-Z]{26}$")

#: Adds one more write to a turn's transaction (ledger, idempotency record...).
TxExtra = Callable[[TransactWrite], None]


#: ``begin_turn`` without a condition on where the active branch ends (explicit branching).
ANY_CURRENT = object()


class ConcurrentChange(Conflict):
    """Another request moved the conversation on since this one read it (retry after re-reading)."""

    code = "conversation_changed"


class DuplicateRequest(Conflict):
    """The turn's idempotency record already exists: the caller answers with the prior result."""

    code = "duplicate_request"


class ConversationRepository:
    def __init__(self, table: ConversationTable, blobs: BlobStore, inline_max_bytes: int, *,
                 generation_stale_after_s: float = 30.0) -> None:
        self._t = table
        self._blobs = blobs
        self._inline_max_bytes = inline_max_bytes
        self._stale_after_ms = int(generation_stale_after_s * 1000)
        meta = table.item.Meta
        self._connection = Connection(region=meta.region, host=getattr(meta, "host", None))
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

    # -- conversations -------------------------------------------------------------------------

    def create(self, conversation: Conversation, extra: Sequence[TxExtra] = ()) -> None:
        item = self._t.conversation(conversation.conversation_id, CONVERSATION_SK)
        self._fill(item, conversation)
        if not extra:
            item.save(condition=self._t.conversation.pk.does_not_exist())
        else:
            try:
                with TransactWrite(connection=self._connection) as tx:
                    tx.save(item, condition=self._t.conversation.pk.does_not_exist())
                    for add in extra:
                        add(tx)
            except TransactWriteError as exc:
                raise self._turn_error(exc, tx, conversation.user_id) from exc
        if self._search is not None:
            self._search.created(conversation)

    def get(self, user_id: str, conversation_id: str) -> Conversation:
        try:
            item = self._t.conversation.get(conversation_id, CONVERSATION_SK, consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound(NOT_FOUND) from exc
        if self._expired(item):
            raise NotFound(NOT_FOUND)
        return self._to_conversation(item, self._role_of(item, user_id))

    def member_role(self, conversation_id: str, user_id: str, owner_id: str) -> str | None:
        """The role of a member of the owner's conversation (one consistent GetItem), or None."""
        try:
            member = self._t.member.get(conversation_id, member_sk(user_id), consistent_read=True)
        except DoesNotExist:
            return None
        return member.role if member.owner_id == owner_id else None

    def _role_of(self, item: Any, user_id: str) -> str:
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
        return {i.pk: self._to_conversation(i) for i in found if i.user_id == user_id and not self._expired(i)}

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
        # always was, and the turn stays within its budget of AWS calls.
        head = self._t.item.query(conversation_id, consistent_read=True, scan_index_forward=False,
                                  limit=TURN_READ_PAGE, page_size=TURN_READ_PAGE)
        newest = list(head)
        if head.last_evaluated_key is None:
            loaded = self._from_items(user_id, reversed(newest))
            return self.load_all(user_id, conversation_id) if loaded[0].cold else loaded
        conversation = self.get(user_id, conversation_id)
        if conversation.cold:
            return self.load_all(user_id, conversation_id)
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
                if not item.sk.startswith((MESSAGE_SK_PREFIX, SUMMARY_SK_PREFIX)):
                    continue  # members (U#), shares (L#)
                if item.sk.startswith(SUMMARY_SK_PREFIX):
                    summaries.append(Summary(item.through_message_id, item.text, int(item.tokens),
                                             int(item.covered_messages)))
                    through.add(item.through_message_id)
                    continue
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

    def _from_items(self, user_id: str, items: Iterable[Any]) -> tuple[Conversation, list[Message], list[Summary]]:
        """A conversation from its partition's items in key order (conversation, messages, summaries)."""
        conversation: Conversation | None = None
        messages: list[Message] = []
        summaries: list[Summary] = []
        for item in items:
            if item.sk == CONVERSATION_SK:
                if self._expired(item):
                    raise NotFound(NOT_FOUND)
                conversation = self._to_conversation(item, self._role_of(item, user_id))
            elif item.sk.startswith(MESSAGE_SK_PREFIX):
                messages.append(self._to_message(item))
            elif item.sk.startswith(SUMMARY_SK_PREFIX):
                summaries.append(Summary(item.through_message_id, item.text, int(item.tokens),
                                         int(item.covered_messages)))
        if conversation is None:
            raise NotFound(NOT_FOUND)
        self.fill_authors(conversation, messages)
        return conversation, messages, summaries

    @staticmethod
    def fill_authors(conversation: Conversation, messages: list[Message]) -> None:
        """User messages written before authorship was stored were the owner's."""
        for message in messages:
            if message.author_id is None and message.role == "user":
                message.author_id = conversation.user_id

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

    def save_new(self, user_id: str, conversation_id: str, item: Any, *also: Any) -> bool:
        """Save an item of the conversation's (and ``also`` items with it) only while the conversation
        exists and is the user's (else NotFound), and only if the item is new (else False)."""
        conversation = self._t.conversation
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.condition_check(conversation, conversation_id, CONVERSATION_SK,
                                   condition=conversation.user_id == user_id)
                tx.save(item, condition=type(item).pk.does_not_exist())
                for extra in also:
                    tx.save(extra)
        except TransactWriteError as exc:
            reasons = [getattr(r, "code", None) if r else None for r in (exc.cancellation_reasons or [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                raise NotFound(NOT_FOUND) from exc
            if "ConditionalCheckFailed" in reasons:
                return False
            raise
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
        return ConversationPage([self._to_conversation(i) for i in items], next_cursor)

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

    # -- messages ------------------------------------------------------------------------------

    def message_item(self, message: Message) -> Any:
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
            with TransactWrite(connection=self._connection) as tx:
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
        except TransactWriteError as exc:
            raise self._turn_error(exc, tx, user_id) from exc
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
            with TransactWrite(connection=self._connection) as tx:
                tx.save(self.message_item(message))
                tx.update(conversation, actions=actions, condition=(model.user_id == user_id))
                for add in extra:
                    add(tx)
        except TransactWriteError as exc:
            raise self._turn_error(exc, tx, user_id) from exc
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

    def get_message(self, user_id: str, conversation_id: str, message_id: str) -> Message:
        self.get(user_id, conversation_id)
        try:
            item = self._t.message.get(conversation_id, message_sk(message_id), consistent_read=True)
        except DoesNotExist as exc:
            raise NotFound("message not found") from exc
        return self._to_message(item)

    def _turn_error(self, exc: TransactWriteError, tx: TransactWrite, user_id: str) -> Exception:
        """Map a cancelled transaction to what happened, by which item's condition failed.

        DynamoDB reports reasons by position, and pynamodb orders a transaction's operations by kind
        (checks, deletes, puts, updates), so positions are matched to the operations sent.
        """
        operations = tx._condition_check_items + tx._delete_items + tx._put_items + tx._update_items
        reasons = [getattr(r, "code", None) if r is not None else None for r in (exc.cancellation_reasons or [])]
        failed = [operations[i] for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
        if not failed:
            return exc
        conversations = self._t.item.Meta.table_name
        for operation in failed:
            key = operation.get("Key") or {}
            if operation.get("TableName") == conversations and key.get("sk", {}).get("S") == CONVERSATION_SK:
                conversation_id = key["pk"]["S"]
                if "Item" in operation:
                    return Conflict("conversation already exists", code="duplicate_conversation")
                try:
                    item = self._t.conversation.get(conversation_id, CONVERSATION_SK, consistent_read=True)
                except DoesNotExist:
                    return NotFound(NOT_FOUND)
                if item.user_id != user_id:
                    return NotFound(NOT_FOUND)
                return ConcurrentChange("the conversation changed while this request was prepared", retryable=True)
        for operation in failed:
            if operation.get("TableName") != conversations:
                return DuplicateRequest("an idempotent request with this key already exists")
        return Conflict("message already exists", code="duplicate_message")

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

    # -- mapping -------------------------------------------------------------------------------

    @staticmethod
    def _blob_prefix(conversation_id: str) -> str:
        return f"conversations/{conversation_id}/"

    def _fill(self, item: Any, c: Conversation) -> None:
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
    def _expired(item: Any) -> bool:
        """A temporary chat past its time (DynamoDB's TTL deletes it within days, not at once)."""
        return item.expires_at is not None and ms_of(item.expires_at) <= now_ms()

    @staticmethod
    def _to_conversation(item: Any, role: str = "owner") -> Conversation:
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
        )

    def _to_message(self, item: Any) -> Message:
        content = item.content if item.content_key is None else self._blobs.get_text(item.content_key)
        message = Message(
            message_id=item.message_id,
            conversation_id=item.pk,
            parent_id=item.parent_id,
            role=item.role,
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

