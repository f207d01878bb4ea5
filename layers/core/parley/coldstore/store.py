"""The cold store: what the app, the job and the export route call."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from parley.coldstore import stub
from parley.coldstore.archiver import ALREADY_COLD, NOT_IDLE, Archiver
from parley.coldstore.codec import ArchiveCorrupt, RawItem, unpack
from parley.coldstore.config import ColdStoreConfig
from parley.coldstore.context import Clock, ColdArchiveError, ColdContext, Fault, no_fault
from parley.coldstore.job import RunReport, Sweep
from parley.coldstore.objects import ArchiveObjects
from parley.coldstore.rawtable import RawTable, key_of
from parley.coldstore.restorer import Restorer
from parley.conversations.model import Conversation, Message
from parley.conversations.repository import NOT_FOUND, ConversationRepository
from parley.errors import NotFound
from parley.ids import now_ms
from parley.settings import Settings
from parley.storage.tables import ConversationModel, ConversationTable, MessageModel


class ColdStore:
    """``dynamodb`` and ``s3``: boto3 clients, or functions that make them on first use."""

    def __init__(
        self,
        *,
        dynamodb: Any,
        s3: Any,
        bucket: str,
        tables: ConversationTable,
        repository: ConversationRepository,
        config: ColdStoreConfig | None = None,
        clock: Clock = now_ms,
        fault: Fault = no_fault,
    ) -> None:
        config = config or ColdStoreConfig()
        self.config = config
        self._parts = dict(dynamodb=dynamodb, s3=s3, bucket=bucket, tables=tables, repository=repository,
                           clock=clock, fault=fault)
        self._tables = tables
        self._repo = repository
        self._ctx = ColdContext(
            table=RawTable(dynamodb, tables.item.Meta.table_name),
            objects=ArchiveObjects(s3, bucket, sse=config.sse, kms_key_id=config.kms_key_id),
            config=config,
            clock=clock,
            fault=fault,
        )
        self._archiver = Archiver(self._ctx)
        self._restorer = Restorer(self._ctx)
        self._sweep = Sweep(self._ctx, self._archiver, self._restorer.restore)

    def tuned(self, **changes: Any) -> ColdStore:
        """The same store with some settings changed (``idle_days=0`` for a local demo run)."""
        return ColdStore(config=replace(self.config, **changes), **self._parts)

    # -- the job ---------------------------------------------------------------------------------

    def run(
        self, *, now: int | None = None, max_conversations: int | None = None, max_seconds: float | None = None
    ) -> RunReport:
        """One bounded pass: archive idle conversations, repair half-done moves."""
        return self._sweep.run(
            now=self._ctx.clock() if now is None else now,
            max_conversations=self.config.max_conversations_per_run if max_conversations is None else max_conversations,
            max_seconds=max_seconds,
        )

    def archive(self, conversation_id: str, *, now: int | None = None) -> str:
        """Move one conversation now if it is idle (or repair it); returns the outcome."""
        now = self._ctx.clock() if now is None else now
        item = self._ctx.table.get(conversation_id, stub.SK)
        if item is None:
            raise NotFound(NOT_FOUND)
        if stub.STATE in item:
            return self._archiver.recover(item, now, self._restorer.restore)
        if stub.is_cold(item):
            return ALREADY_COLD
        updated_at = stub.n(item, "updated_at") or 0
        if updated_at >= now - self.config.idle_ms:
            return NOT_IDLE
        return self._archiver.archive(conversation_id, stub.s(item, "user_id") or "", updated_at, now)

    # -- the app ---------------------------------------------------------------------------------

    def restore(self, user_id: str, conversation_id: str) -> None:
        """The repository's restorer: returns once the conversation is hot again."""
        self._restorer.restore(user_id, conversation_id)

    def discard(self, user_id: str, conversation_id: str) -> None:
        """Delete a conversation's archive (call after deleting the conversation item)."""
        self._ctx.objects.delete(self.object_key(user_id, conversation_id))

    def object_key(self, user_id: str, conversation_id: str) -> str:
        return self._ctx.key(user_id, conversation_id)

    def snapshot(self, user_id: str, conversation_id: str) -> tuple[Conversation, list[Message]]:
        """The whole conversation, hot or cold, without restoring a cold one (for exports).

        A cold conversation is read from its archive, overlaid with whatever the table holds for
        it (the stub's list fields, anything written while cold), exactly as a restore would merge.
        """
        for _ in range(3):
            item = self._ctx.table.get(conversation_id, stub.SK)
            if item is None or stub.s(item, "user_id") != user_id:
                raise NotFound(NOT_FOUND)
            if not stub.is_cold(item):
                return self._repo.load(user_id, conversation_id)
            stored = self._ctx.objects.get(stub.s(item, stub.COLD_KEY) or self.object_key(user_id, conversation_id))
            if stored is None:
                continue  # restored (and its archive deleted) since we looked
            try:
                archive = unpack(stored.body)
            except ArchiveCorrupt as exc:
                raise ColdArchiveError("the archived conversation could not be read") from exc
            merged: dict[tuple[str, str], RawItem] = {key_of(i): i for i in archive.items}
            for live in self._ctx.table.partition(conversation_id):
                k = key_of(live)
                merged[k] = {**merged.get(k, {}), **stub.without_control(live)} if k[1] == stub.SK else live
            conversation, messages = self._to_domain(merged)
            conversation.cold = True
            return conversation, messages
        raise ColdArchiveError("the archived conversation could not be found")

    def _to_domain(self, items: dict[tuple[str, str], RawItem]) -> tuple[Conversation, list[Message]]:
        model = self._tables.item
        conversation: Conversation | None = None
        messages: list[Message] = []
        for _, raw in sorted(items.items()):
            # The repository's own mapping, so an export reads exactly like the API.
            item = model.from_raw_data(raw)
            if isinstance(item, ConversationModel):
                conversation = self._repo.to_conversation(item)
            elif isinstance(item, MessageModel):
                messages.append(self._repo._to_message(item))
        if conversation is None:
            raise ColdArchiveError("the archive holds no conversation item")
        self._repo.fill_authors(conversation, messages)
        return conversation, messages


def build_coldstore(
    settings: Settings, *, dynamodb: Any, s3: Any, tables: ConversationTable, repository: ConversationRepository
) -> ColdStore:
    """The store the app and the job use (clients or client factories, as ``ColdStore`` takes)."""
    return ColdStore(
        dynamodb=dynamodb,
        s3=s3,
        bucket=settings.bucket_data,
        tables=tables,
        repository=repository,
        config=ColdStoreConfig.from_settings(settings),
    )
