"""Safety on the chat path: screening what users send, moderating what models answer.

Wraps the ``parley.safety`` library with the deployment's policy, the usage ledger (blocked
messages count towards the repeat-offender slowdown) and logs and metrics of every decision
(reasons and scores, never content).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parley.auth import Identity
from parley.conversations.model import Message
from parley.limits.ledger import UsageLedger
from parley.limits.offenders import OffenderPolicy
from parley.observability import MetricsSink, logger
from parley.safety.output import Decision, OutputModerator, parse_actions
from parley.safety.untrusted import neutralize_template_tokens, wrap_untrusted

if TYPE_CHECKING:
    from parley.safety.policy import PreparedInput

# The input screener (rules, frames, a classifier: ~0.1 s to import) is loaded on the first screen,
# so that functions which never screen (the buffered API) do not pay for it at cold start.


@dataclass(frozen=True)
class SafetyOptions:
    policy: str = "block"
    output_actions: str = ""
    output_check_every: int = 256
    offender: OffenderPolicy = OffenderPolicy()


class SafetyGate:
    def __init__(self, options: SafetyOptions, ledger: UsageLedger, metrics: MetricsSink,
                 system_prompt: str, normal_limit: Callable[[Identity], int]) -> None:
        self._opts = options
        self._actions = parse_actions(options.output_actions)
        self._ledger = ledger
        self._metrics = metrics
        self._system_prompt = system_prompt
        self._normal_limit = normal_limit

    def screen_user_text(self, who: Identity, text: str) -> tuple[PreparedInput, dict[str, Any]]:
        """Screen a user's message before anything is stored or sent.

        Raises ContentBlocked (and counts the block) under the ``block`` policy; otherwise returns
        what the model should see and the details to store on the message.
        """
        from parley.safety.policy import ContentBlocked, decision_log_fields, prepare_input

        prepared = prepare_input(text, source="user", policy=self._opts.policy)  # type: ignore[arg-type]
        details: dict[str, Any] = {}
        if prepared.action != "allow":
            logger.info("input screened", extra={"user_id": who.user_id, **decision_log_fields(prepared)})
            self._metrics.emit({"SafetyDecisions": 1}, {"stage": "input", "action": prepared.action})
        if prepared.action == "block":
            self.count_block(who)
            raise ContentBlocked()
        if prepared.action == "flag":
            details["safety"] = {"flagged": True, "families": list(prepared.screening.families)}
        if prepared.text != text:
            details["modelText"] = "wrapped" if prepared.action == "flag" else "neutralized"
        return prepared, details

    def check_documents(self, who: Identity, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Apply the policy to attached documents screened at upload (indirect injection).

        Documents always reach the model as delimited untrusted data; under ``block`` a flagged one
        refuses the send, under ``flag`` it goes through and the message is marked.
        """
        from parley.safety.policy import ContentBlocked

        flagged = [r for r in records if r.get("flagged")]
        if not flagged:
            return {}
        families = sorted({f for r in flagged for f in r.get("families", [])})
        action = "block" if self._opts.policy == "block" else "flag"
        logger.info("attachment screened", extra={"user_id": who.user_id, "safety_stage": "document",
                                                  "safety_action": action, "safety_families": families,
                                                  "attachments": [r["id"] for r in flagged]})
        self._metrics.emit({"SafetyDecisions": 1}, {"stage": "document", "action": action})
        if action == "block":
            self.count_block(who)
            raise ContentBlocked("An attached document was blocked by the content safety policy.")
        return {"flagged": True, "families": families, "documents": [r["id"] for r in flagged]}

    def count_block(self, who: Identity) -> None:
        try:
            self._ledger.record_block(who, self._opts.offender, normal_limit=self._normal_limit(who))
        except Exception:
            logger.exception("counting a blocked message failed")

    def moderator(self) -> OutputModerator:
        # The platform's own prompt is what must not leak; a user's own system prompt is theirs to see.
        return OutputModerator(self._system_prompt, actions=self._actions, check_every=self._opts.output_check_every)

    def log_output(self, who_id: str, decision: Decision) -> None:
        logger.info("output moderated", extra={"user_id": who_id, **decision.log_fields()})
        self._metrics.emit({"SafetyDecisions": 1}, {"stage": "output", "action": decision.action})


def model_text(message: Message) -> str:
    """A stored message as the model should see it: user text is never trusted as instructions."""
    if message.role != "user":
        return message.content
    mode = message.details.get("modelText")
    if mode == "wrapped":
        return wrap_untrusted(message.content, label="the user (flagged message)")
    if mode == "neutralized":
        return neutralize_template_tokens(message.content)
    return message.content
