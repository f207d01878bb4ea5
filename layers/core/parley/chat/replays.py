"""Idempotent retries of a send: a repeat of a finished send answers what the first one got."""

from __future__ import annotations

from parley.auth import Identity
from parley.chat.events import EventLog
from parley.chat.plan import Replay
from parley.chat.saved_events import final_event_of, start_data_of
from parley.conversations.model import INTERRUPTED
from parley.conversations.repository import ConversationRepository
from parley.idempotency.records import IdempotencyKey, IdempotencyStore


class Replays:
    def __init__(self, repository: ConversationRepository, idempotency: IdempotencyStore) -> None:
        self._repo = repository
        self._idem = idempotency

    def check(self, who: Identity, idempotency: IdempotencyKey | None) -> Replay | None:
        """A repeat of a finished send answers from its record without touching the limits."""
        if idempotency is None:
            return None
        prior = self._idem.prior(idempotency)
        if prior is None:
            return None
        if not prior.message_id or not prior.conversation_id:
            raise self._idem.in_progress()
        message = self._repo.get_message(who.user_id, prior.conversation_id, prior.message_id)
        # Still running, unless its process died mid-answer: then the interrupted answer is what
        # the first request got, and a repeat answers with it rather than a 409 for a day.
        if prior.status != "complete" and message.finish_reason != INTERRUPTED:
            raise self._idem.in_progress()
        return Replay(message=message, user_message_id=message.parent_id)

    def require(self, who: Identity, idempotency: IdempotencyKey | None) -> Replay:
        """The first result of a send found to be a repeat while preparing it (409 while it runs)."""
        replay = self.check(who, idempotency)
        if replay is None:
            raise self._idem.in_progress()
        return replay

    @staticmethod
    def events(replay: Replay) -> EventLog:
        """A finished idempotent send, as events again (from what was saved)."""
        m = replay.message
        log = EventLog()
        log.start({**start_data_of(m), "replayed": True})
        if m.content:
            log.chunk(m.content)
        log.end(*final_event_of(m))
        return log
