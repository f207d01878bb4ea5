"""Bringing a cold conversation back into DynamoDB on first access, exactly once.

The first access claims the stub (``restoring``, conditional); later ones wait for it to turn
hot. The claimant puts back every archived item that is not in the table (anything written while
cold is newer and stays), then flips the stub hot, restoring the attributes it shed without
overwriting any it gained meanwhile. Only then is the archive deleted (by ETag): S3 holds exactly
the cold conversations, and no stale copy of a user's data outlives its restore. A claim older than
``restore_stale_after_s`` is a crashed restore and is taken over.
"""

from __future__ import annotations

import time

from parley.coldstore import stub
from parley.coldstore.codec import ArchiveCorrupt, RawItem, unpack
from parley.coldstore.context import ColdArchiveError, ColdContext
from parley.coldstore.rawtable import ConditionFailed, Expr, key_of
from parley.conversations.repository import NOT_FOUND
from parley.errors import NotFound, ServiceUnavailable
from parley.observability import logger


class Restorer:
    def __init__(self, ctx: ColdContext) -> None:
        self._c = ctx

    def restore(self, user_id: str, conversation_id: str) -> None:
        """Return once the conversation is hot (restored here or by a concurrent access)."""
        deadline = time.monotonic() + self._c.config.restore_wait_s
        pause = 0.02
        while True:
            token = self._c.new_token()
            try:
                claimed = self._claim(user_id, conversation_id, token)
            except ConditionFailed:
                current = self._c.table.get(conversation_id, stub.SK)
                if current is None or stub.s(current, "user_id") != user_id:
                    raise NotFound(NOT_FOUND) from None
                if not stub.is_cold(current):
                    return
                if time.monotonic() > deadline:
                    raise ServiceUnavailable("the conversation is being restored; retry shortly") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
                continue
            self._c.fault("restore.claimed")
            if self._bring_back(user_id, conversation_id, token, claimed):
                return

    def _claim(self, user_id: str, conversation_id: str, token: str) -> RawItem:
        now = self._c.clock()
        stale = now - int(self._c.config.restore_stale_after_s * 1000)
        ex = Expr()
        state = ex.n(stub.STATE)
        claimed = self._c.table.update(
            conversation_id, stub.SK, ex,
            update=f"SET {state} = {ex.v({'S': stub.RESTORING})}, {ex.n(stub.TOKEN)} = {ex.v({'S': token})}, "
                   f"{ex.n(stub.STATE_AT)} = {ex.v({'N': str(now)})}",
            # An archiver still deleting items gives way (its next guarded delete fails).
            condition=f"{ex.n(stub.COLD)} = {ex.v({'BOOL': True})} AND {ex.n('user_id')} = {ex.v({'S': user_id})} "
                      f"AND (attribute_not_exists({state}) OR {state} = {ex.v({'S': stub.DELETING})} "
                      f"OR {ex.n(stub.STATE_AT)} < {ex.v({'N': str(stale)})})",
            return_new=True,
        )
        assert claimed is not None
        return claimed

    def _bring_back(self, user_id: str, conversation_id: str, token: str, claimed: RawItem) -> bool:
        """Restore under our claim. False when the claim was taken over before the flip."""
        key = stub.s(claimed, stub.COLD_KEY) or self._c.key(user_id, conversation_id)
        stored = self._c.objects.get(key)
        if stored is None:
            current = self._c.table.get(conversation_id, stub.SK)
            if current is None or stub.s(current, "user_id") != user_id:
                raise NotFound(NOT_FOUND)  # deleted (archive first) while we claimed it
            logger.error("coldstore: cold stub without an archive", extra={"conversation_id": conversation_id})
            raise ColdArchiveError("the archived conversation could not be found")
        try:
            archive = unpack(stored.body)
        except ArchiveCorrupt as exc:
            logger.error("coldstore: unreadable archive", extra={"conversation_id": conversation_id})
            raise ColdArchiveError("the archived conversation could not be read") from exc
        if archive.conversation_id != conversation_id:
            raise ColdArchiveError("the archive belongs to another conversation")

        present = {key_of(i) for i in self._c.table.partition(conversation_id, keys_only=True)}
        missing = [i for i in archive.items if key_of(i)[1] != stub.SK and key_of(i) not in present]
        self._c.table.put_all(missing, self._c.config.restore_parallelism)
        self._c.fault("restore.put")

        archived = next((i for i in archive.items if key_of(i)[1] == stub.SK), {})
        try:
            self._flip(conversation_id, token, stub.bulky(archived))
        except ConditionFailed:
            if self._c.table.get(conversation_id, stub.SK) is None:
                # Deleted while we restored: take back what we put, then answer like any deleted one.
                self._c.table.delete_all(key_of(i) for i in self._c.table.partition(conversation_id, keys_only=True))
                raise NotFound(NOT_FOUND) from None
            return False
        self._c.fault("restore.flipped")
        self._c.objects.delete(key, stored.etag)
        self._c.fault("restore.object_deleted")
        ex = Expr()
        try:
            self._c.table.update(
                conversation_id, stub.SK, ex,
                update=stub.release(ex),
                condition=stub.held(ex, token, stub.CLEANUP),
            )
        except ConditionFailed:
            pass  # a recovery finished the cleanup already
        return True

    def _flip(self, conversation_id: str, token: str, shed: RawItem) -> None:
        ex = Expr()
        # if_not_exists: whatever the stub gained while cold is newer than the archive.
        sets = [f"{ex.n(name)} = if_not_exists({ex.n(name)}, {ex.v(value)})" for name, value in shed.items()]
        sets += [
            f"{ex.n(stub.STATE)} = {ex.v({'S': stub.CLEANUP})}",
            f"{ex.n(stub.STATE_AT)} = {ex.v({'N': str(self._c.clock())})}",
        ]
        self._c.table.update(
            conversation_id, stub.SK, ex,
            update=f"SET {', '.join(sets)} REMOVE {ex.n(stub.COLD)}, {ex.n(stub.COLD_KEY)}",
            condition=stub.held(ex, token, stub.RESTORING),
        )
