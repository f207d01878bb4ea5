"""What the chat path does with a screening: block it, or let it through as marked, untrusted data.

``PARLEY_SAFETY_POLICY`` chooses:
- ``block``: a flagged user message is refused with :class:`ContentBlocked` (``content_blocked``),
  before anything is stored or sent to the model; a flagged attachment refuses the message too.
- ``flag``: the message goes through, wrapped by :func:`~.untrusted.wrap_untrusted` with a guard
  note, and is marked (the caller logs :func:`decision_log_fields` and may store the families).
Whatever the policy, every text sent to the model is neutralised
(:func:`~.untrusted.neutralize_template_tokens`), and attachment text is always wrapped as
untrusted: a document is data even when nothing in it looks like an attack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import BadRequest
from .output import Decision
from .screening import InputScreener, Screening, Source, screen_input
from .untrusted import neutralize_template_tokens, wrap_untrusted

Policy = Literal["block", "flag"]
InputAction = Literal["allow", "flag", "block"]

CONTENT_BLOCKED = "content_blocked"


class ContentBlocked(BadRequest):
    """A message refused by the input safety policy. The message never names the rule that fired."""

    code, retryable = CONTENT_BLOCKED, False

    def __init__(self, message: str = "This message was blocked by the content safety policy.") -> None:
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class PreparedInput:
    """A text made ready for the model, with the decision taken on it."""

    #: What to send to the model (content: never log it).
    text: str
    action: InputAction
    screening: Screening

    def __repr__(self) -> str:  # keep content out of accidental logs and tracebacks
        return f"PreparedInput(action={self.action!r}, screening={self.screening!r}, chars={len(self.text)})"


def decide(screening: Screening, policy: Policy) -> InputAction:
    if not screening.flagged:
        return "allow"
    return "block" if policy == "block" else "flag"


def prepare_input(
    text: str,
    *,
    source: Source,
    policy: Policy,
    label: str | None = None,
    screener: InputScreener | None = None,
) -> PreparedInput:
    """Screen ``text`` and build what the model sees. On ``block`` the caller raises ContentBlocked.

    ``label`` names the origin shown in the guard note (an attachment's file name, for instance).
    """
    screening = screen_input(text, source=source, screener=screener)
    action = decide(screening, policy)
    if action == "block":
        return PreparedInput("", action, screening)
    if source == "document" or action == "flag":
        model_text = wrap_untrusted(text, label=label or ("attached document" if source == "document"
                                                          else "the user (flagged message)"))
    else:
        model_text = neutralize_template_tokens(text)
    return PreparedInput(model_text, action, screening)


def decision_log_fields(decision: Screening | PreparedInput | Decision) -> dict[str, object]:
    """Fields for a structured log line about a safety decision: ids, scores and sizes, no content."""
    if isinstance(decision, Decision):
        return decision.log_fields()
    action: str | None = None
    if isinstance(decision, PreparedInput):
        action, decision = decision.action, decision.screening
    fields: dict[str, object] = {
        "safety_stage": "input",
        "safety_source": decision.source,
        "safety_flagged": decision.flagged,
        "safety_score": decision.score,
        "safety_threshold": decision.threshold,
        "safety_families": list(decision.families),
        "safety_reasons": list(decision.reasons),
        "safety_chars": decision.chars,
    }
    if action is not None:
        fields["safety_action"] = action
    return fields
