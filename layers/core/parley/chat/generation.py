"""One generation: stream from the model, relay to readers, checkpoint, honour stops, save.

A generation runs as its own asyncio task, independent of any HTTP connection: a client that goes
away does not stop it, and the answer is always saved (with its finish reason) before the final
event is published.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from parley.catalog import ModelSpec
from parley.chat.events import EventLog
from parley.chat.plan import TurnPlan
from parley.chat.saved_events import message_end_data
from parley.conversations.model import INTERRUPTED, SERVER_SHUTTING_DOWN, SHUTDOWN_MESSAGE, Message
from parley.inference.base import (
    Completion,
    InferenceBackend,
    InferenceError,
    ModelUnavailable,
    TextDelta,
)
from parley.observability import MetricsSink, logger
from parley.safety import CONTENT_FILTERED, Decision, OutputModerator
from parley.tokens import count_tokens


class Generation:
    def __init__(
        self,
        plan: TurnPlan,
        *,
        backend_for: Callable[[ModelSpec], InferenceBackend],
        save: Callable[[Message], None],
        checkpoint: Callable[[Message, str], bool],
        metrics: MetricsSink,
        checkpoint_interval_s: float,
        run_blocking: Callable[..., Awaitable[Any]],
        moderator: OutputModerator | None = None,
        on_moderation: Callable[[Decision], None] | None = None,
    ) -> None:
        self.plan = plan
        self._moderator = moderator
        self._on_moderation = on_moderation
        self.log = EventLog()
        self._backend_for = backend_for
        self._save = save
        self._checkpoint = checkpoint
        self._metrics = metrics
        self._checkpoint_interval_s = checkpoint_interval_s
        self._run_blocking = run_blocking
        self._stop = asyncio.Event()
        self._shutting_down = False
        self._parts: list[str] = []
        self.task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def message_id(self) -> str:
        return self.plan.assistant.message_id

    def request_stop(self) -> None:
        self._stop.set()

    def request_shutdown(self) -> None:
        """The process is stopping: end now, save what there is, and tell readers to retry.

        Callable from any thread (a signal handler): the work is handed to the generation's loop.
        """
        def shut() -> None:
            self._shutting_down = True
            self._stop.set()

        if self._loop is None:
            shut()
        else:
            self._loop.call_soon_threadsafe(shut)

    def start(self) -> asyncio.Task[None]:
        self._loop = asyncio.get_running_loop()
        self.task = self._loop.create_task(self._run(), name=f"generation-{self.message_id}")
        return self.task

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.shield(self.task)

    async def _run(self) -> None:
        plan = self.plan
        started = time.perf_counter()
        self.log.start(plan.start_data)
        parts = self._parts
        heartbeat = asyncio.get_running_loop().create_task(self._keep_checkpointing())
        try:
            await self._generate(plan, parts, started)
        finally:
            heartbeat.cancel()

    async def _keep_checkpointing(self) -> None:
        """Checkpoint every interval, tokens or not, and pick up stop requests from any process.

        The checkpoint is also the generation's heartbeat: an answer whose checkpoints stop while
        it is still "generating" died with its process, and readers then see it as interrupted.
        """
        while True:
            await asyncio.sleep(self._checkpoint_interval_s)
            try:
                if await self._run_blocking(self._checkpoint, self.plan.assistant, "".join(self._parts)):
                    self._stop.set()
            except Exception:  # a missed checkpoint only delays resume; the next one catches up
                logger.warning("checkpoint failed", extra={"message_id": self.message_id})

    async def _generate(self, plan: TurnPlan, parts: list[str], started: float) -> None:
        completion: Completion | None = None
        error: InferenceError | None = None
        finish = "stop"
        spec = plan.chain[0]
        first_token_at: float | None = None
        fell_back_from: list[str] = []
        blocked: Decision | None = None

        for index, candidate in enumerate(plan.chain):
            spec = candidate
            stream = None
            try:
                stream = self._backend_for(spec).stream(spec, plan.request)
                async for event in stream:
                    if isinstance(event, TextDelta):
                        if not event.text:
                            continue
                        if first_token_at is None:
                            first_token_at = time.perf_counter()
                        blocked = self._moderate(event.text)
                        if blocked is not None:
                            finish = "content_filter"
                            break
                        parts.append(event.text)
                        self.log.chunk(event.text)
                        if self._stop.is_set():
                            finish = "stopped"
                            break
                    else:
                        completion = event
                break
            except ModelUnavailable as exc:
                if parts or index == len(plan.chain) - 1:
                    error = exc
                    break
                fell_back_from.append(spec.id)
                logger.warning("model unavailable, falling back", extra={"model": spec.id, "code": exc.code})
                # message_start named the model the turn began with: say which one streams instead.
                self.log.note("model_switched", {"model": plan.chain[index + 1].id, "previousModel": spec.id,
                                                 "reason": exc.code})
            except InferenceError as exc:
                error = exc
                break
            except asyncio.CancelledError:
                if not self._shutting_down:
                    raise
                # Shutting down and the model has not answered in the grace period: save what there is.
                break
            except Exception as exc:  # a backend bug must still end the turn cleanly and save it
                logger.exception("backend failed", extra={"model": spec.id})
                error = InferenceError(f"model backend failed: {type(exc).__name__}", retryable=True)
                break
            finally:
                if stream is not None:
                    await stream.aclose()

        if self._shutting_down and error is None and blocked is None and (finish == "stopped" or completion is None):
            error = InferenceError(SHUTDOWN_MESSAGE, retryable=True, code=SERVER_SHUTTING_DOWN)
        if error is None and blocked is None and finish != "stopped" and self._moderator is not None:
            blocked = self._moderate(None)
        if blocked is not None:
            finish = "content_filter"
        elif error is not None:
            finish = INTERRUPTED if error.code == SERVER_SHUTTING_DOWN else "error"
        elif finish != "stopped" and completion is not None:
            finish = completion.finish_reason

        # A filtered answer is saved without the blocked text: only what was checked and clean.
        text = blocked.safe_prefix if blocked is not None else "".join(parts)
        message = self._finished_message(spec, text, finish, completion, fell_back_from)
        if error is not None:
            message.details["error"] = {"code": error.code, "message": error.message, "retryable": error.retryable}
        if blocked is not None:
            message.details["safety"] = {"filtered": blocked.category}
            message.details["error"] = {"code": CONTENT_FILTERED, "message": "the answer was stopped by the content "
                                        "filter", "retryable": False}
        saved = await self._persist(message)
        total_ms = (time.perf_counter() - started) * 1000
        if not saved:
            self.log.end("error", {"code": "save_failed", "message": "the answer could not be saved",
                                   "retryable": True})
        elif blocked is not None:
            self.log.end("error", {"code": CONTENT_FILTERED, "message": "the answer was stopped by the content filter",
                                   "retryable": False, "messageId": message.message_id})
        elif error is not None:
            self.log.end("error", {"code": error.code, "message": error.message, "retryable": error.retryable})
        else:
            self.log.end("message_end", message_end_data(message))
        self._emit_metrics(message, first_token_at, started, total_ms, error)

    def _finished_message(
        self,
        spec: ModelSpec,
        text: str,
        finish: str,
        completion: Completion | None,
        fell_back_from: list[str],
    ) -> Message:
        plan = self.plan
        output_tokens = count_tokens(text)
        reported_out = completion.output_tokens if completion and completion.output_tokens is not None else None
        input_tokens = plan.request.context_tokens
        if completion and completion.input_tokens is not None:
            input_tokens = completion.input_tokens
        billed_out = reported_out if reported_out is not None else output_tokens
        details = dict(plan.context_record)
        if plan.route_reason:
            details["routeReason"] = plan.route_reason
        if fell_back_from:
            details["fallbackFrom"] = fell_back_from
        if spec.backend.kind == "simulator":
            # The label lives here and in the interface, never in the answer text (previews read naturally).
            details["simulated"] = True
        cost = spec.cost(input_tokens, billed_out)
        if plan.cached:
            details["cached"] = True
            cost = 0.0
        base = plan.assistant
        return Message(
            message_id=base.message_id,
            conversation_id=base.conversation_id,
            parent_id=base.parent_id,
            role="assistant",
            content=text,
            created_at=base.created_at,
            tokens=output_tokens,
            model=spec.id,
            status="complete",
            finish_reason=finish,
            input_tokens=input_tokens,
            output_tokens=billed_out,
            cost=cost,
            attachments=[],
            details=details,
            expires_at=base.expires_at,
            author_id=base.author_id,
        )

    def _moderate(self, delta: str | None) -> Decision | None:
        """Feed the moderator (None: the stream ended). Returns a block; flags are only reported."""
        if self._moderator is None:
            return None
        decision = self._moderator.feed(delta) if delta is not None else self._moderator.finish()
        if decision is None:
            return None
        if self._on_moderation is not None:
            self._on_moderation(decision)
        return decision if decision.action == "block" else None

    async def _persist(self, message: Message) -> bool:
        for attempt in range(4):
            try:
                # The save and what follows it share one trip to a worker thread.
                await self._run_blocking(self._save_then_hooks, message)
                return True
            except Exception:
                logger.exception("saving the answer failed", extra={"message_id": message.message_id,
                                                                   "attempt": attempt})
                await asyncio.sleep(0.2 * 2**attempt)
        if self.plan.on_save_failed:
            await self._run_blocking(self._hooks, self.plan.on_save_failed, message)
        return False

    def _save_then_hooks(self, message: Message) -> None:
        self._save(message)  # raises: the caller retries, and no hook has run
        self._hooks(self.plan.on_saved, message)

    @staticmethod
    def _hooks(hooks: list[Callable[[Message], None]], message: Message) -> None:
        for hook in hooks:
            try:
                hook(message)
            except Exception:
                logger.exception("after-save hook failed", extra={"message_id": message.message_id})

    def _emit_metrics(
        self,
        message: Message,
        first_token_at: float | None,
        started: float,
        total_ms: float,
        error: InferenceError | None,
    ) -> None:
        values: dict[str, float] = {
            "TotalTimeMs": total_ms,
            "InputTokens": message.input_tokens,
            "OutputTokens": message.output_tokens,
            "CostUSD": message.cost,
        }
        if first_token_at is not None:
            values["TimeToFirstTokenMs"] = (first_token_at - (self.plan.received_at or started)) * 1000
            values["AwsBeforeFirstTokenMs"] = self.plan.aws_before_first_token_s * 1000
            gen_s = max(time.perf_counter() - first_token_at, 1e-6)
            values["TokensPerSecond"] = message.output_tokens / gen_s
        if error is not None:
            values["Errors"] = 1
        self._metrics.emit(values, {"model": message.model or "unknown"})
        logger.info(
            "turn finished",
            extra={
                "conversation_id": message.conversation_id,
                "message_id": message.message_id,
                "model": message.model,
                "finish_reason": message.finish_reason,
                "output_tokens": message.output_tokens,
                "error_code": error.code if error else None,
            },
        )
