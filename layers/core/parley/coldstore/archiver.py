"""Moving an idle conversation to S3, and finishing or undoing a move that crashed half-way.

(a) mark the conversation item ``archiving`` (conditional: unchanged since selection, not cold,
nothing else under way); (b) write every item of the partition but its members (``U#``, which
stay in the table) to S3 (SSE); (c) read it back and
verify count and hash; (d) turn the item into a cold stub (conditional: still ours, still
unchanged, the attributes it sheds equal to what was archived); (e) delete the other items in
transactions that each re-check the stub is ours, so a restore that claims it stops the deletes
at once; (f) clear the state.

A send during (a)-(d) changes ``updated_at``: (d) fails, the archive is deleted and the
conversation stays hot (the send wins). A read during (a)-(d) sees the hot conversation; after (d)
it restores it, which stops (e).
"""

from __future__ import annotations

from collections.abc import Callable

from parley.coldstore import stub
from parley.coldstore.codec import ArchiveCorrupt, Manifest, RawItem, pack, unpack
from parley.coldstore.context import ColdContext
from parley.coldstore.rawtable import ConditionFailed, Expr, key_of
from parley.observability import logger
from parley.storage.tables import MEMBER_SK_PREFIX, MESSAGE_SK_PREFIX

ARCHIVED = "archived"
CHANGED = "changed"  # updated, deleted or claimed since selection: left hot
GENERATING = "generating"
VERIFY_FAILED = "verify_failed"
RESTORED = "restored"  # a restore claimed it while its items were being deleted
BUSY = "busy"  # another run or a restore holds it (not stale)
UNDONE = "undone"
CLEANED = "cleaned"
MISSING_ARCHIVE = "missing_archive"
NOT_IDLE = "not_idle"
ALREADY_COLD = "already_cold"


class Archiver:
    def __init__(self, ctx: ColdContext) -> None:
        self._c = ctx

    # -- a fresh move --------------------------------------------------------------------------

    def archive(self, conversation_id: str, user_id: str, selected_updated_at: int, now: int) -> str:
        """Move one conversation whose ``updated_at`` was ``selected_updated_at`` when chosen."""
        token = self._c.new_token()
        ex = Expr()
        try:
            self._c.table.update(
                conversation_id, stub.SK, ex,
                update=f"SET {ex.n(stub.STATE)} = {ex.v({'S': stub.ARCHIVING})}, "
                       f"{ex.n(stub.TOKEN)} = {ex.v({'S': token})}, {ex.n(stub.STATE_AT)} = {ex.v({'N': str(now)})}",
                condition=f"{ex.n('updated_at')} = {ex.v({'N': str(selected_updated_at)})} "
                          f"AND {ex.n('user_id')} = {ex.v({'S': user_id})} "
                          f"AND attribute_not_exists({ex.n(stub.COLD)}) AND attribute_not_exists({ex.n(stub.STATE)})",
            )
        except ConditionFailed:
            return CHANGED
        self._c.fault("archive.marked")
        return self._move(conversation_id, user_id, token, selected_updated_at, now)

    def _move(self, conversation_id: str, user_id: str, token: str, selected: int, now: int) -> str:
        # Member items stay in the table, outside the archive: they are how a member's reads find
        # their role (and their lists the conversation) while it is cold, the owner adds and removes
        # members without restoring it, and a restore can never bring back a member removed meanwhile.
        items = [i for i in self._c.table.partition(conversation_id) if not _stays_hot(i)]
        conversation = next((i for i in items if key_of(i)[1] == stub.SK), None)
        if conversation is None or stub.s(conversation, stub.TOKEN) != token:
            return CHANGED
        key = self._c.key(user_id, conversation_id)
        if self._generating(items, now - self._c.config.idle_ms):
            self._abort(conversation_id, token, key, None)
            return GENERATING
        conversation = stub.without_control(conversation)
        archived = [conversation if key_of(i)[1] == stub.SK else i for i in items]
        body, manifest = pack(conversation_id, user_id, archived, now)
        etag = self._c.objects.put(
            key, body, {"sha256": manifest.sha256, "items": str(manifest.item_count), "conversation": conversation_id}
        )
        self._c.fault("archive.written")
        if not self._verified(key, etag, manifest, conversation_id):
            logger.warning("coldstore: archive failed verification", extra={"conversation_id": conversation_id})
            self._abort(conversation_id, token, key, etag)
            return VERIFY_FAILED
        self._c.fault("archive.verified")
        try:
            self._to_stub(conversation_id, token, key, conversation, selected, now)
        except ConditionFailed:
            self._abort(conversation_id, token, key, etag)
            return CHANGED
        self._c.fault("archive.flipped")
        keys = [key_of(i) for i in items if key_of(i)[1] != stub.SK]
        return self._delete_items(conversation_id, token, keys, key, etag)

    @staticmethod
    def _generating(items: list[RawItem], cutoff: int) -> bool:
        """A generation still alive (checkpointed recently): never archive under it."""
        for item in items:
            if not key_of(item)[1].startswith(MESSAGE_SK_PREFIX) or stub.s(item, "status") != "generating":
                continue
            last = max(stub.n(item, "checkpoint_at") or 0, stub.n(item, "created_at") or 0)
            if last >= cutoff:
                return True
        return False

    def _verified(self, key: str, etag: str, expected: Manifest, conversation_id: str) -> bool:
        stored = self._c.objects.get(key)
        if stored is None or stored.etag != etag or not stored.encryption:
            return False
        try:
            archive = unpack(stored.body)
        except ArchiveCorrupt:
            return False
        return archive.manifest == expected and archive.conversation_id == conversation_id

    def _to_stub(
        self, conversation_id: str, token: str, key: str, archived: RawItem, selected: int, now: int
    ) -> None:
        ex = Expr()
        shed = stub.bulky(archived)
        update = (
            f"SET {ex.n(stub.COLD)} = {ex.v({'BOOL': True})}, {ex.n(stub.COLD_KEY)} = {ex.v({'S': key})}, "
            f"{ex.n(stub.STATE)} = {ex.v({'S': stub.DELETING})}, {ex.n(stub.STATE_AT)} = {ex.v({'N': str(now)})}"
        )
        if shed:
            update += " REMOVE " + ", ".join(ex.n(name) for name in shed)
        # Anything the stub sheds must be exactly what the archive holds (a branch switch between
        # (a) and (d) would otherwise be lost); what it keeps may change freely: it wins on restore.
        condition = " AND ".join([
            stub.held(ex, token, stub.ARCHIVING),
            f"{ex.n('updated_at')} = {ex.v({'N': str(selected)})}",
            f"attribute_not_exists({ex.n(stub.COLD)})",
            *(f"{ex.n(name)} = {ex.v(value)}" for name, value in shed.items()),
        ])
        self._c.table.update(conversation_id, stub.SK, ex, update=update, condition=condition)

    def _delete_items(
        self, conversation_id: str, token: str, keys: list[tuple[str, str]], key: str, etag: str
    ) -> str:
        ex = Expr()
        guard = stub.held(ex, token, stub.DELETING)
        try:
            for _ in self._c.table.delete_guarded(keys, (conversation_id, stub.SK), ex, guard):
                self._c.fault("archive.deleting")
        except ConditionFailed:
            if self._c.table.get(conversation_id, stub.SK) is None:
                # The conversation was deleted meanwhile: its archive must not outlive it, even when
                # the deletion removed the archive before this move wrote it.
                self._c.objects.delete(key, etag)
                return CHANGED
            return RESTORED
        self._clear(conversation_id, token, stub.DELETING)
        return ARCHIVED

    def _clear(self, conversation_id: str, token: str, state: str) -> bool:
        ex = Expr()
        try:
            self._c.table.update(
                conversation_id, stub.SK, ex,
                update=stub.release(ex),
                condition=stub.held(ex, token, state),
            )
        except ConditionFailed:
            return False
        return True

    def _abort(self, conversation_id: str, token: str, key: str, etag: str | None) -> None:
        """Undo a move that has not reached (d): the archive goes, the conversation stays hot."""
        if etag is not None:
            self._c.objects.delete(key, etag)
        self._clear(conversation_id, token, stub.ARCHIVING)

    # -- recovery ------------------------------------------------------------------------------

    def recover(self, item: RawItem, now: int, restore: Callable[[str, str], None]) -> str:
        """Finish or undo what a crashed move left (``item``: the conversation item, projected).

        ``restore(user_id, conversation_id)`` finishes a crashed restore. Every other repair first
        takes the stale state over with a new token, so two runs never repair the same item.
        """
        conversation_id, _ = key_of(item)
        user_id = stub.s(item, "user_id") or ""
        state = stub.s(item, stub.STATE) or ""
        config = self._c.config
        moving = state in (stub.ARCHIVING, stub.DELETING)
        stale_s = config.archive_stale_after_s if moving else config.restore_stale_after_s
        if now - (stub.n(item, stub.STATE_AT) or 0) < stale_s * 1000:
            return BUSY
        if state == stub.RESTORING and stub.is_cold(item):
            restore(user_id, conversation_id)
            return RESTORED
        token = self._take_over(conversation_id, stub.s(item, stub.TOKEN) or "", state, now)
        if token is None:
            return BUSY
        key = self._c.key(user_id, conversation_id)
        if state == stub.DELETING:
            return self._finish_deleting(conversation_id, token, stub.s(item, stub.COLD_KEY) or key)
        if state == stub.ARCHIVING:
            # Nothing references the archive yet, and the state keeps any other move out: drop both,
            # then move it again if it is still idle.
            self._c.objects.delete(key)
            if not self._clear(conversation_id, token, stub.ARCHIVING):
                return BUSY
            updated_at = stub.n(item, "updated_at") or 0
            if updated_at < now - config.idle_ms:
                return self.archive(conversation_id, user_id, updated_at, now)
            return UNDONE
        if state == stub.CLEANUP:
            self._c.objects.delete(key)
            return CLEANED if self._clear(conversation_id, token, stub.CLEANUP) else BUSY
        logger.warning("coldstore: unexpected state", extra={"conversation_id": conversation_id, "state": state})
        return BUSY

    def _take_over(self, conversation_id: str, old: str, state: str, now: int) -> str | None:
        """Swap the stale owner's token for ours; None when someone else got there first."""
        token = self._c.new_token()
        # The cold flag must match the state: a stub cold while "archiving" (or hot while
        # "deleting") is nothing this code writes, and is left for a person to look at.
        cold_check = "attribute_exists" if state == stub.DELETING else "attribute_not_exists"
        ex = Expr()
        try:
            self._c.table.update(
                conversation_id, stub.SK, ex,
                update=f"SET {ex.n(stub.TOKEN)} = {ex.v({'S': token})}, "
                       f"{ex.n(stub.STATE_AT)} = {ex.v({'N': str(now)})}",
                condition=f"{stub.held(ex, old, state)} AND {cold_check}({ex.n(stub.COLD)})",
            )
        except ConditionFailed:
            return None
        return token

    def _finish_deleting(self, conversation_id: str, token: str, key: str) -> str:
        stored = self._c.objects.get(key)
        try:
            archive = unpack(stored.body) if stored is not None else None
        except ArchiveCorrupt:
            archive = None
        if archive is None or archive.conversation_id != conversation_id:
            # Without a readable archive the remaining items are the only copy: leave them.
            logger.error("coldstore: cold stub without a readable archive", extra={"conversation_id": conversation_id})
            return MISSING_ARCHIVE
        assert stored is not None
        keys = [key_of(i) for i in archive.items if key_of(i)[1] != stub.SK]
        return self._delete_items(conversation_id, token, keys, key, stored.etag)


def _stays_hot(item: RawItem) -> bool:
    return key_of(item)[1].startswith(MEMBER_SK_PREFIX)
