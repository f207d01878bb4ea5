"""Running planned turns: one generation task per answer, saved when it ends, stopped on shutdown."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from parley.catalog import ModelSpec
from parley.chat.cached import CachedAnswers, ReplayBackend
from parley.chat.generation import Generation
from parley.chat.moderation import SafetyGate
from parley.chat.options import ChatOptions
from parley.chat.plan import TurnPlan
from parley.chat.saved_events import preview_for
from parley.conversations.model import Message
from parley.conversations.repository import ConversationRepository
from parley.idempotency.records import IdempotencyStore
from parley.ids import now_ms
from parley.inference.base import InferenceBackend
from parley.limits.ledger import Admission, UsageLedger
from parley.observability import MetricsSink, logger


async def run_blocking(func: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking call (boto3/pynamodb) on a worker thread.

    The same thread pool as FastAPI's sync routes (anyio's, 40 threads by default), rather than
    asyncio's default executor, which has only cores + 4 threads and would queue saves of
    concurrent streams behind each other.
    """
    return await anyio.to_thread.run_sync(functools.partial(func, *args))


class ActiveGenerations:
    """Generations running in this process, by assistant message id (local stop, live resume)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Generation] = {}

    def add(self, generation: Generation) -> None:
        self._by_id[generation.message_id] = generation
        assert generation.task is not None
        generation.task.add_done_callback(lambda _: self._by_id.pop(generation.message_id, None))

    def get(self, message_id: str) -> Generation | None:
        return self._by_id.get(message_id)

    def find(self, user_id: str, conversation_id: str, message_id: str) -> Generation | None:
        """A generation running here, only for the conversation's owner (anyone else reads the store)."""
        found = self._by_id.get(message_id)
        if found is None or found.plan.user_id != user_id or found.plan.conversation_id != conversation_id:
            return None
        return found

    def running(self, conversation_id: str, message_id: str) -> Generation | None:
        """A generation running here, whoever asked for it (the caller has checked the reader's access)."""
        found = self._by_id.get(message_id)
        return found if found is not None and found.plan.conversation_id == conversation_id else None

    def all(self) -> list[Generation]:
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


class TurnRunner:
    def __init__(
        self,
        *,
        repository: ConversationRepository,
        backend_for: Callable[[ModelSpec], InferenceBackend],
        ledger: UsageLedger,
        cached: CachedAnswers,
        idempotency: IdempotencyStore,
        metrics: MetricsSink,
        options: ChatOptions,
        run_blocking: Callable[..., Awaitable[Any]] = run_blocking,
        safety: SafetyGate | None = None,
    ) -> None:
        self._repo = repository
        self._backend_for = backend_for
        self._ledger = ledger
        self._cached = cached
        self._idem = idempotency
        self._metrics = metrics
        self._opts = options
        self._run_blocking = run_blocking
        self._safety = safety
        self.active = ActiveGenerations()

    @property
    def ping_every(self) -> float:
        return self._opts.ping_interval_s

    def start(self, plan: TurnPlan) -> Generation:
        safety, cached = self._safety, plan.cached
        generation = Generation(
            plan,
            backend_for=(lambda _spec: ReplayBackend(cached)) if cached else self._backend_for,
            save=(lambda m: self._record_usage(plan, m)) if plan.stateless else (lambda m: self._save(plan, m)),
            checkpoint=(lambda _m, _c: False) if plan.stateless else self._repo.checkpoint,
            metrics=self._metrics,
            checkpoint_interval_s=self._opts.checkpoint_interval_s,
            run_blocking=self._run_blocking,
            # A cached answer passed moderation when it was first generated.
            moderator=safety.moderator() if safety and not plan.cached else None,
            on_moderation=(lambda d: safety.log_output(plan.user_id, d)) if safety else None,
        )
        if plan.cache_key and not plan.cached:
            plan.on_saved.append(lambda m: self._cached.fill(plan.cache_key, m))
        if not plan.stateless:
            plan.on_save_failed.append(lambda m: self._abandon(plan, m))
        generation.start()
        self.active.add(generation)
        logger.info("turn started", extra={"conversation_id": plan.conversation_id,
                                           "message_id": plan.assistant.message_id,
                                           "model": plan.chain[0].id, "cached": bool(plan.cached)})
        return generation

    def _save(self, plan: TurnPlan, message: Message) -> None:
        extra = []
        if plan.identity is not None and plan.admission is not None:
            item, actions = self._ledger.usage_update(plan.identity, **_usage(plan, plan.admission, message))
            extra.append(lambda tx: tx.update(item, actions=actions))
        if plan.idempotency is not None:
            record, record_actions = self._idem.completion(plan.idempotency)
            extra.append(lambda tx: tx.update(record, actions=record_actions))
        self._repo.finish_turn(plan.user_id, message, preview=preview_for(message), now=now_ms(), extra=extra)

    def _abandon(self, plan: TurnPlan, message: Message) -> None:
        """The answer could not be saved: leave the turn in a state a client can recover from.

        Best effort (whatever made the save fail may fail these too): the placeholder is marked
        failed, so readers and resumes stop waiting; the idempotency record is removed, so a retry
        can send again; and the admission is given back.
        """
        self._repo.fail_generation(message)
        if plan.idempotency is not None:
            self._idem.forget(plan.idempotency)
        if plan.identity is not None and plan.admission is not None:
            self._ledger.release(plan.identity, plan.admission)

    def _record_usage(self, plan: TurnPlan, message: Message) -> None:
        """A stateless completion stores nothing but its usage."""
        assert plan.identity is not None and plan.admission is not None
        self._ledger.record(plan.identity, **_usage(plan, plan.admission, message))

    def begin_shutdown(self) -> None:
        """The process is about to stop (SIGTERM, Ctrl-C): every live answer ends now, is saved, and
        its stream ends with a retryable ``server_shutting_down`` error. Safe from a signal handler."""
        for generation in self.active.all():
            generation.request_shutdown()

    async def shutdown(self, grace_s: float = 5.0) -> None:
        """End every live generation and wait until each is saved (the app's lifespan shutdown)."""
        self.begin_shutdown()
        tasks = [g.task for g in self.active.all() if g.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_s)
        for task in pending:  # a model that never answered: cancelling saves what there is
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=grace_s)


def _usage(plan: TurnPlan, admission: Admission, message: Message) -> dict[str, Any]:
    """What an answer adds to the ledger (a cache hit used no model tokens)."""
    return {
        "input_tokens": 0 if plan.cached else message.input_tokens,
        "output_tokens": 0 if plan.cached else message.output_tokens,
        "cost": message.cost,
        "periods": admission.periods,
        "stale": admission.stale,
    }
