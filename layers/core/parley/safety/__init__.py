"""Safety: input screening, untrusted-text handling, output moderation, repeat-offender limits.

Everything here is pure Python with no model to download, small enough for the Lambda layer, and
fast enough for the hot path. The detectors are rule-based baselines behind small protocols
(:class:`InputScreener`, :class:`TextModerator`) so a model can replace them.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Where each public name lives. Loaded on first use: the screening rules and classifier cost
#: about 0.1 s to import, which only the functions that screen should pay.
_EXPORTS: dict[str, str] = {
    "CONTENT_BLOCKED": "policy",
    "CONTENT_FILTERED": "output",
    "ContentBlocked": "policy",
    "DEFAULT_ACTIONS": "output",
    "Decision": "output",
    "FAMILIES": "rules",
    "FINISH_REASON_CONTENT_FILTER": "output",
    "Finding": "output",
    "InputAction": "policy",
    "InputScreener": "screening",
    "OutputModerator": "output",
    "Policy": "policy",
    "PreparedInput": "policy",
    "RuleModerator": "output",
    "RuleScreener": "screening",
    "Screening": "screening",
    "ScreeningConfig": "screening",
    "Source": "screening",
    "TEMPLATE_TOKENS": "untrusted",
    "TextModerator": "output",
    "decide": "policy",
    "decision_log_fields": "policy",
    "default_screener": "screening",
    "neutralize_template_tokens": "untrusted",
    "parse_actions": "output",
    "prepare_input": "policy",
    "screen_input": "screening",
    "wrap_untrusted": "untrusted",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
    "parse_actions",
    "prepare_input",
    "screen_input",
    "wrap_untrusted",
]
