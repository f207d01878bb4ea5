"""Safety: input screening, untrusted-text handling, output moderation, repeat-offender limits.

Everything here is pure Python with no model to download, small enough for the Lambda layer, and
fast enough for the hot path. The detectors are rule-based baselines behind small protocols
(:class:`InputScreener`, :class:`TextModerator`) so a model can replace them.
"""

from __future__ import annotations

from .offenders import OffenderLimit, OffenderPolicy, OffenderTier, offender_limit, parse_tiers
from .output import (
    CONTENT_FILTERED,
    DEFAULT_ACTIONS,
    FINISH_REASON_CONTENT_FILTER,
    Decision,
    Finding,
    OutputModerator,
    RuleModerator,
    TextModerator,
    parse_actions,
)
from .policy import (
    CONTENT_BLOCKED,
    ContentBlocked,
    InputAction,
    Policy,
    PreparedInput,
    decide,
    decision_log_fields,
    prepare_input,
)
from .rules import FAMILIES
from .screening import (
    InputScreener,
    RuleScreener,
    Screening,
    ScreeningConfig,
    Source,
    default_screener,
    screen_input,
)
from .untrusted import TEMPLATE_TOKENS, neutralize_template_tokens, wrap_untrusted

__all__ = [
    "CONTENT_BLOCKED",
    "CONTENT_FILTERED",
    "DEFAULT_ACTIONS",
    "FAMILIES",
    "FINISH_REASON_CONTENT_FILTER",
    "TEMPLATE_TOKENS",
    "ContentBlocked",
    "Decision",
    "Finding",
    "InputAction",
    "InputScreener",
    "OffenderLimit",
    "OffenderPolicy",
    "OffenderTier",
    "OutputModerator",
    "Policy",
    "PreparedInput",
    "RuleModerator",
    "RuleScreener",
    "Screening",
    "ScreeningConfig",
    "Source",
    "TextModerator",
    "decide",
    "decision_log_fields",
    "default_screener",
    "neutralize_template_tokens",
    "offender_limit",
    "parse_actions",
    "parse_tiers",
    "prepare_input",
    "screen_input",
    "wrap_untrusted",
]
