"""Who is viewing a conversation now, the same way in both modes.

No process can count AppSync Events' subscribers, so presence is kept in the table: each viewer
renews an item of its own with a heartbeat (the web client every ``heartbeat_s`` while its page is
visible, the Server-Sent Events route at its pings) and removes it on leaving; an item not renewed
within ``TTL_FACTOR`` heartbeats (a closed laptop) no longer counts and is deleted by the next
heartbeat that sees it. The set is published (``presence {viewers, version}`` on the live channel) only when it
changes: a heartbeat that changes nothing costs its write and one small Query, and publishes
nothing. The set last published is an item of its own, replaced only on its version (a conditional
write), so two racing heartbeats publish one change once, and versions increase with time: readers
keep the highest version they have seen (publications may arrive out of order).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DeleteError, PutError

from parley.storage.dynamo import is_condition_failure
from parley.storage.tables import (
    PRESENCE_SET_SK,
    VIEWER_SK_PREFIX,
    ConversationTable,
    PresenceSetModel,
    ViewerModel,
    presence_pk,
    ttl_of,
    viewer_sk,
)

#: How many heartbeats a renewal counts for (one may be late, or lost).
TTL_FACTOR = 2.5
#: How long DynamoDB keeps presence items nobody renews or reads (its TTL cleans them up).
KEEP_MS = 24 * 3600 * 1000
#: Racing heartbeats: attempts at replacing the published set before giving up on this one.
ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class PresenceChange:
    viewers: list[str]
    version: int
    #: Whether this call replaced the published set (its caller publishes it).
    changed: bool


class PresenceStore:
    def __init__(self, table: ConversationTable, *, heartbeat_s: int) -> None:
        self._t = table
        self.heartbeat_s = heartbeat_s
        self.ttl_ms = int(heartbeat_s * TTL_FACTOR * 1000)

    def beat(self, conversation_id: str, user_id: str, now: int) -> PresenceChange:
        """``user_id`` is viewing (for ``ttl_ms`` more); the set as it is now."""
        item = self._t.viewer(presence_pk(conversation_id), viewer_sk(user_id))
        item.user_id, item.until = user_id, now + self.ttl_ms
        item.expires_at = ttl_of(now + KEEP_MS)
        item.save()
        return self._reconcile(conversation_id, now)

    def leave(self, conversation_id: str, user_id: str, now: int) -> PresenceChange:
        """``user_id`` stopped viewing; the set as it is now."""
        self._t.viewer(presence_pk(conversation_id), viewer_sk(user_id)).delete()
        return self._reconcile(conversation_id, now)

    def _reconcile(self, conversation_id: str, now: int) -> PresenceChange:
        pk = presence_pk(conversation_id)
        viewers: list[str] = []
        for _ in range(ATTEMPTS):
            published: PresenceSetModel | None = None
            fresh: list[ViewerModel] = []
            stale: list[ViewerModel] = []
            for item in self._t.item.query(pk, consistent_read=True):
                if isinstance(item, PresenceSetModel):
                    published = item
                elif isinstance(item, ViewerModel) and item.sk.startswith(VIEWER_SK_PREFIX):
                    (fresh if item.until >= now else stale).append(item)
            for item in stale:
                self._drop(item, now)
            viewers = sorted(v.user_id for v in fresh)
            version = int(published.version) if published is not None else 0
            if published is not None and list(published.viewers) == viewers:
                return PresenceChange(viewers, version, changed=False)
            if published is None and not viewers:
                return PresenceChange([], 0, changed=False)
            next_version = max(version + 1, now)
            if self._replace(pk, published, viewers, next_version, now):
                return PresenceChange(viewers, next_version, changed=True)
        return PresenceChange(viewers, 0, changed=False)

    def _drop(self, item: ViewerModel, now: int) -> None:
        """Delete a viewer that stopped renewing, unless its heartbeat came meanwhile."""
        model = self._t.viewer
        try:
            item.delete(condition=model.until < now)
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise

    def _replace(self, pk: str, published: PresenceSetModel | None, viewers: list[str], version: int,
                 now: int) -> bool:
        model = self._t.presence_set
        item = model(pk, PRESENCE_SET_SK)
        item.viewers, item.version, item.expires_at = viewers, version, ttl_of(now + KEEP_MS)
        condition = model.pk.does_not_exist() if published is None else model.version == published.version
        try:
            item.save(condition=condition)
        except PutError as exc:
            if is_condition_failure(exc):
                return False  # another heartbeat replaced it first: look again
            raise
        return True
