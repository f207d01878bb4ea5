"""What a turn sets going beside the answer: a title for a new conversation, a summary once the
branch's unsummarized history grows past the threshold. Never on the answer's path."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future

from parley.auth import Identity
from parley.catalog import ModelSpec
from parley.chat.options import ChatOptions
from parley.context.builder import input_budget
from parley.conversations.model import Conversation, Message, Summary
from parley.conversations.repository import ConversationRepository
from parley.observability import logger
from parley.workflows.runner import WorkflowStarter

#: How long a saved answer waits for its members' list entries to move (in practice they are done).
MEMBER_ENTRIES_WAIT_S = 10.0


class TurnFollowUps:
    def __init__(self, workflows: WorkflowStarter | None, pool: Executor, options: ChatOptions) -> None:
        self._workflows = workflows
        self._pool = pool
        self._opts = options

    def start_title(self, who: Identity, conversation_id: str, user_message_id: str) -> None:
        """A title from the first message, started with the turn (it needs only the stored user
        message), so that it is ready by the time the first answer ends. Off the hot path: the
        workflow start is one more AWS call in AWS mode, made on the turn's pool, never awaited."""
        if self._workflows is None or not self._opts.generate_titles:
            return
        workflows = self._workflows
        payload = {"conversationId": conversation_id, "userId": who.user_id, "leafMessageId": user_message_id}

        def start() -> None:
            try:
                workflows.start("title", f"title-{conversation_id}", payload)
            except Exception:
                logger.exception("title workflow did not start", extra={"conversation_id": conversation_id})

        self._pool.submit(start)

    def move_member_entries(self, repository: ConversationRepository, conversation: Conversation,
                            at: int) -> Callable[[Message], None] | None:
        """A shared conversation's members' list entries follow the turn (one write per member):
        started beside the answer once the turn is stored, and awaited only when the answer is
        saved, so that the list shows it by the time the answer's stream ends. None: no members."""
        if not conversation.member_ids:
            return None
        moving: Future[None] = self._pool.submit(repository.move_member_entries, conversation.user_id,
                                                 conversation.conversation_id, conversation.member_ids, at=at)

        def wait(_: Message) -> None:
            try:
                moving.result(timeout=MEMBER_ENTRIES_WAIT_S)
            except Exception:
                # The entries keep their old place in the members' lists; the next turn moves them.
                logger.exception("member list entries not moved",
                                 extra={"conversation_id": conversation.conversation_id})

        return wait

    def after_saved(
        self, conversation: Conversation, history: list[Message], summary: Summary | None, spec: ModelSpec,
    ) -> Callable[[Message], None]:
        """Background work a saved answer may call for: a summary once the branch's unsummarized
        history passes the threshold. It never delays the answer."""
        covered = 0
        if summary is not None:
            covered = next(i for i, m in enumerate(history) if m.message_id == summary.through_message_id) + 1
        uncovered_tokens = sum(m.tokens for m in history[covered:])
        threshold = self._opts.summary_trigger_fraction * input_budget(spec, spec.max_output)
        workflows = self._workflows

        def after(message: Message) -> None:
            if workflows is None or message.finish_reason not in ("stop", "length"):
                return
            base = {"conversationId": conversation.conversation_id, "userId": conversation.user_id,
                    "leafMessageId": message.message_id}
            # A temporary chat is not summarized: a summary item would outlive its expiring messages.
            if uncovered_tokens + message.tokens > threshold and not conversation.temporary:
                workflows.start("summarize", f"sum-{message.message_id}", base)

        return after
