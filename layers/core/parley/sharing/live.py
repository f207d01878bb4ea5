"""The live channel of a conversation: new messages, answers as they stream, typing, presence
(counted in the table, sharing/presence.py, and published here).

One in-memory channel per conversation in this process (local mode, and one server). Events carry
increasing ids; each channel keeps a bounded log, so a reader that reconnects with ``Last-Event-ID``
gets everything it missed, or a ``reset`` event (reload the conversation) when it was away so long
that the log no longer holds it. On AWS the same events also go to AppSync Events through a
``RemoteRelay`` (sharing/remote.py; docs/scaling.md), to the channel of the conversation's current
key, which the members' browsers subscribe to (locally, sharing/realtime.py serves that protocol
from this hub).
Everything here runs on the event loop; ``revoke`` and ``close`` may be called from worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from typing import Any

from parley.chat.events import EventLog, SseEvent
from parley.ids import now_ms
from parley.sharing.appsync import channel_of
from parley.sharing.remote import RemoteRelay

LOG_SIZE = 2000
MAX_CHANNELS = 1_000
TYPING_TTL_S = 5.0

#: Generation events, as the live channel names them.
_ANSWER_EVENTS = {"message_start": "answer_start", "content_chunk": "answer_chunk", "message_end": "answer_end",
                  "error": "answer_error"}


class Channel:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop  # the loop its readers wait on (a worker thread's call is handed to it)
        self.log: deque[SseEvent] = deque(maxlen=LOG_SIZE)
        self.next_id = 1
        self.changed = asyncio.Event()
        self.readers = 0  # subscriptions open in this process (a channel with none may be evicted)
        self.typing: dict[str, asyncio.TimerHandle] = {}
        self.revoked: Counter[str] = Counter()  # per user: subscriptions opened before a count ended
        self.closed = 0
        self.key: str | None = None  # the live key last seen here (aws: where events are published)


class LiveHub:
    def __init__(self, *, typing_ttl_s: float = TYPING_TTL_S, remote: RemoteRelay | None = None) -> None:
        self._channels: OrderedDict[str, Channel] = OrderedDict()
        self._typing_ttl_s = typing_ttl_s
        self._remote = remote
        self._tasks: set[asyncio.Task[None]] = set()

    def _channel(self, conversation_id: str) -> Channel:
        channel = self._channels.get(conversation_id)
        if channel is None:
            channel = self._channels[conversation_id] = Channel(asyncio.get_running_loop())
            self._evict()
        self._channels.move_to_end(conversation_id)
        return channel

    def _evict(self) -> None:
        for conversation_id in list(self._channels):
            if len(self._channels) <= MAX_CHANNELS:
                return
            if not self._channels[conversation_id].readers:
                del self._channels[conversation_id]

    def publish(self, conversation_id: str, name: str, data: dict[str, Any], *, remote: bool = True) -> SseEvent:
        """An event for the conversation's readers here, and (aws mode, ``remote``) on AppSync Events
        when the conversation has a key (it has members: a private conversation is never published)."""
        channel = self._channel(conversation_id)
        event = SseEvent(name, {**data, "conversationId": conversation_id, "at": now_ms()}, channel.next_id)
        channel.next_id += 1
        channel.log.append(event)
        changed, channel.changed = channel.changed, asyncio.Event()
        changed.set()
        if remote and self._remote is not None and channel.key is not None:
            self._remote.send(channel_of(conversation_id, channel.key), event)
        return event

    # -- what members do -------------------------------------------------------------------------

    def typing(self, conversation_id: str, user_id: str, live_key: str | None = None) -> None:
        """A keystroke (clients send one at most every 2 s): "typing" again each time, so a reader
        keeps the hint for the TTL after the last one (whichever process or Lambda got it), and
        "stopped" after the TTL passes without another."""
        channel = self._channel(conversation_id)
        channel.key = live_key or channel.key
        timer = channel.typing.pop(user_id, None)
        if timer is not None:
            timer.cancel()
        self.publish(conversation_id, "typing", {"userId": user_id, "typing": True})
        loop = asyncio.get_running_loop()
        channel.typing[user_id] = loop.call_later(self._typing_ttl_s, self._stop_typing, conversation_id, user_id)

    def presence(self, conversation_id: str, viewers: list[str], version: int, live_key: str | None) -> None:
        """Who is viewing now, as the presence store last changed it (``version`` increases)."""
        channel = self._channel(conversation_id)
        channel.key = live_key or channel.key
        self.publish(conversation_id, "presence", {"viewers": viewers, "version": version})

    def _stop_typing(self, conversation_id: str, user_id: str) -> None:
        channel = self._channels.get(conversation_id)
        timer = channel.typing.pop(user_id, None) if channel else None
        if timer is not None:
            timer.cancel()
            self.publish(conversation_id, "typing", {"userId": user_id, "typing": False})

    def relay(self, conversation_id: str, author_id: str, user_message: Callable[[], dict[str, Any]] | None,
              log: EventLog, live_key: str | None = None) -> asyncio.Task[None] | None:
        """A turn that started: its user message now, then its answer's events as they stream.

        ``user_message`` makes the message's body: called only when someone follows the conversation.

        Only for a conversation someone in this process follows, or (aws mode, with a remote relay)
        one that has a live key, which the turn read with the conversation (consistently, before the
        first token): private ones cost nothing here, shared ones no extra read. Returns the task
        that forwards the answer (see ``settle``), or None when nobody follows it.
        """
        if live_key is not None and self._remote is not None:
            self._channel(conversation_id).key = live_key
        if conversation_id in self._channels:
            self._stop_typing(conversation_id, author_id)
            if user_message is not None:
                self.publish(conversation_id, "message", {"message": user_message()})
            return self._spawn(self._forward(conversation_id, author_id, log))
        return None

    async def settle(self, forward: asyncio.Task[None] | None, timeout_s: float = 5.0) -> None:
        """Until a relayed answer's last event is published: the answer's stream ends after this, and
        a Lambda whose response has ended may be frozen before a queued publish goes out."""
        if forward is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(forward), timeout_s)
        await self.flush()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _forward(self, conversation_id: str, author_id: str, log: EventLog) -> None:
        message_id = None
        async for event in log.follow(ping_every=3600):
            if event is None:
                continue
            if event.name == "message_start":
                message_id = event.data.get("messageId")
            self.publish(conversation_id, _ANSWER_EVENTS[event.name],
                         {**event.data, "messageId": message_id, "authorId": author_id})

    def rekey(self, conversation_id: str, old_key: str | None, new_key: str) -> None:
        """The conversation's key changed (a member was removed or left): a last ``rekey`` event, which
        does not carry the new key, goes to the old channel (current members fetch the new one from
        the API; a removed member cannot), and nothing more is published there. Callable from any
        thread; the remote publish is made in the caller's (a buffered route's response ends it)."""
        if old_key is not None and self._remote is not None:
            data = {"conversationId": conversation_id, "at": now_ms()}
            self._remote.publish_now(channel_of(conversation_id, old_key), SseEvent("rekey", data, 0))
        self._call(conversation_id, self._rekey, conversation_id, new_key)

    def _rekey(self, conversation_id: str, new_key: str) -> None:
        channel = self._channels.get(conversation_id)
        if channel is not None:
            self.publish(conversation_id, "rekey", {}, remote=False)  # for the local realtime server
            channel.key = new_key

    def revoke(self, conversation_id: str, user_id: str) -> None:
        """End the user's open subscriptions (a removed member). Callable from any thread."""
        self._call(conversation_id, self._revoke, conversation_id, user_id)

    def close(self, conversation_id: str) -> None:
        """End every subscription (a deleted conversation). Callable from any thread."""
        self._call(conversation_id, self._close, conversation_id)

    def _call(self, conversation_id: str, func: Callable[..., None], *args: Any) -> None:
        channel = self._channels.get(conversation_id)
        if channel is None:
            return  # nobody follows it in this process
        loop = channel.loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            func(*args)
        elif loop.is_running():
            done = threading.Event()

            def call() -> None:
                try:
                    func(*args)
                finally:
                    done.set()

            loop.call_soon_threadsafe(call)
            done.wait(timeout=5)  # so that the caller's "removed" holds for the live channel too

    def _revoke(self, conversation_id: str, user_id: str) -> None:
        channel = self._channels.get(conversation_id)
        if channel is not None:
            channel.revoked[user_id] += 1
            self._wake(channel)

    def _close(self, conversation_id: str) -> None:
        channel = self._channels.get(conversation_id)
        if channel is not None:
            channel.closed += 1
            self._wake(channel)

    @staticmethod
    def _wake(channel: Channel) -> None:
        changed, channel.changed = channel.changed, asyncio.Event()
        changed.set()

    # -- readers ---------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Until what was published is on AppSync Events (aws mode): a buffered route's last step,
        since a Lambda behind Mangum may be frozen once its response is sent."""
        if self._remote is not None:
            await self._remote.flush()

    def last_id(self, conversation_id: str) -> int:
        """The id of the channel's newest event here (0: none yet)."""
        channel = self._channels.get(conversation_id)
        return channel.next_id - 1 if channel else 0

    def follow(
        self, conversation_id: str, user_id: str, after: int | None, *, ping_every: float,
        still_allowed: Callable[[], Awaitable[bool]],
    ) -> AsyncGenerator[SseEvent | None, None]:
        """The channel's events after ``after`` (all new ones when None: from now, this call, not the
        first iteration), live, until the reader goes away, loses access (``revoked``) or the
        conversation is deleted (``closed``).

        ``still_allowed`` is asked at every quiet ``ping_every``, so a removal made by another process
        also ends the stream.
        """
        channel = self._channel(conversation_id)
        revoked, closed = channel.revoked[user_id], channel.closed
        cursor = channel.next_id - 1 if after is None else after
        reset = None
        if after is not None and channel.log and after < channel.log[0].id - 1:
            cursor = channel.log[0].id - 1
            reset = SseEvent("reset", {"conversationId": conversation_id, "reason": "events were missed"}, cursor)
        elif after is not None and after >= channel.next_id:
            cursor = channel.next_id - 1  # an id from before this process started: only new events
        return self._follow(channel, conversation_id, user_id, cursor, reset, (revoked, closed), ping_every,
                            still_allowed)

    async def _follow(
        self, channel: Channel, conversation_id: str, user_id: str, cursor: int, reset: SseEvent | None,
        counts: tuple[int, int], ping_every: float, still_allowed: Callable[[], Awaitable[bool]],
    ) -> AsyncGenerator[SseEvent | None, None]:
        revoked, closed = counts
        channel.readers += 1
        try:
            if reset is not None:
                yield reset
            while True:
                for event in [e for e in channel.log if e.id > cursor]:
                    cursor = event.id
                    yield event
                if channel.revoked[user_id] != revoked or channel.closed != closed:
                    yield SseEvent("revoked", {"conversationId": conversation_id}, cursor)
                    return
                waiter = channel.changed
                try:
                    await asyncio.wait_for(waiter.wait(), timeout=ping_every)
                except TimeoutError:
                    if not await still_allowed():
                        yield SseEvent("revoked", {"conversationId": conversation_id}, cursor)
                        return
                    yield None
        finally:
            channel.readers -= 1
