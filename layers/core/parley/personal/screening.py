"""User-written text that reaches the system context (instructions, memories) is screened like a
message and shown to the model the way a screened message is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from parley.auth import Identity
from parley.safety.untrusted import neutralize_template_tokens, wrap_untrusted

#: screen(who, text) -> details, as ``SafetyGate.screen_user_text`` returns them (raises when blocked).
Screen = Callable[[Identity, str], dict[str, Any]]


def no_screen(_who: Identity, _text: str) -> dict[str, Any]:
    return {}


def model_mode(details: dict[str, Any]) -> str | None:
    """"wrapped" (flagged, shown as delimited data), "neutralized" (template tokens broken) or None."""
    mode = details.get("modelText")
    return mode if mode in ("wrapped", "neutralized") else None


def as_model_sees(text: str, mode: str | None, label: str) -> str:
    if mode == "wrapped":
        return wrap_untrusted(text, label=label)
    if mode == "neutralized":
        return neutralize_template_tokens(text)
    return text
