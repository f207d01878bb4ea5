"""Model `auto`: pick a catalog tier for one message, deterministically, and say why.

Order of rules: images need a vision model; a long context needs the smart model; otherwise the
weighted signals of :mod:`parley.routing.features` decide. Code wins when its score reaches its
threshold and is at least the smart cues' score (the code model is cheaper and at least as good on
code); smart wins when its score (cues plus length) reaches its threshold; `fast` answers the rest.
A short follow-up with no signal of its own stays on the tier of the turn it follows, so "now make it
async" stays on the code model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from parley.catalog import Catalog, ModelSpec, ModelTier

from .features import Signal, estimate_tokens, extract


class NoCapableModel(LookupError):
    """The catalog has no model that can take this request (e.g. images and no vision model)."""


@dataclass(frozen=True, slots=True)
class RouterConfig:
    #: Context (history + this message) from which the smart model answers: small models lose
    #: accuracy on long inputs well before their nominal window.
    long_context_tokens: int = 16_000
    code_threshold: float = 2.0
    smart_threshold: float = 1.5
    #: A follow-up this short with no signal of its own keeps the previous turn's tier.
    follow_up_max_tokens: int = 60


DEFAULT_CONFIG = RouterConfig()

#: When a catalog lacks a tier, the next best tiers to use instead.
_SUBSTITUTES: dict[ModelTier, tuple[ModelTier, ...]] = {
    "fast": ("smart", "code"),
    "smart": ("code", "fast"),
    "code": ("smart", "fast"),
    "vision": (),
}


@dataclass(frozen=True, slots=True)
class RouteDecision:
    model_id: str
    tier: ModelTier
    #: Short and user-presentable, e.g. "code: fenced block + language named".
    reason: str
    #: Summed signal weights per scored tier ("code", "smart"); empty when a rule decided.
    scores: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    #: Labels of every signal that fired, strongest first (for logs and debugging; never the text).
    signals: tuple[str, ...] = ()


def _top_labels(signals: tuple[Signal, ...], tier: str, n: int = 2) -> list[str]:
    positive = [s for s in signals if s.tier == tier and s.weight > 0]
    positive.sort(key=lambda s: -s.weight)  # stable: ties keep feature order, so reasons are deterministic
    labels: list[str] = []
    for s in positive:
        if s.label not in labels:
            labels.append(s.label)
        if len(labels) == n:
            break
    return labels


def _model_for(catalog: Catalog, tier: ModelTier) -> tuple[ModelSpec, ModelTier]:
    for candidate in (tier, *_SUBSTITUTES[tier]):
        for m in catalog.models:
            if m.tier == candidate:
                return m, candidate
    if tier == "vision":
        for m in catalog.models:
            if m.vision:
                return m, m.tier
        raise NoCapableModel("no model in the catalog can read images")
    raise NoCapableModel(f"no model in the catalog for tier {tier!r}")


def _decide(
    text: str, image_count: int, context_tokens: int, previous_tier: ModelTier | None, config: RouterConfig,
) -> tuple[ModelTier, str, dict[str, float], tuple[Signal, ...]]:
    # The two rules come first and skip feature extraction: a long paste costs nothing to route.
    if image_count > 0:
        return "vision", f"vision: {image_count} image{'s' if image_count != 1 else ''} attached", {}, ()
    total = context_tokens + estimate_tokens(text)
    if total >= config.long_context_tokens:
        return "smart", f"smart: long context (~{round(total / 1000)}k tokens)", {}, ()

    features = extract(text)
    code = round(features.score("code"), 3)
    smart = round(features.score("smart"), 3)
    scores = {"code": code, "smart": smart}
    signals = features.signals

    def explained(tier: ModelTier) -> str:
        return f"{tier}: " + " + ".join(_top_labels(signals, tier))

    # Length says nothing about code versus reasoning, so code is weighed against smart's cues only.
    if code >= config.code_threshold and code >= features.smart_cues():
        return "code", explained("code"), scores, signals
    if smart >= config.smart_threshold:
        return "smart", explained("smart"), scores, signals
    if code >= config.code_threshold:
        return "code", explained("code"), scores, signals
    simple = features.simple_label()
    short = features.est_tokens <= config.follow_up_max_tokens
    if previous_tier in ("code", "smart") and short and not simple:
        return previous_tier, f"{previous_tier}: follow-up in a {previous_tier} thread", scores, signals
    if simple:
        return "fast", f"fast: {simple}", scores, signals
    if not text.strip():
        return "fast", "fast: empty message", scores, signals
    return "fast", "fast: short, no code or reasoning cues", scores, signals


def route(
    text: str,
    *,
    image_count: int = 0,
    context_tokens: int = 0,
    catalog: Catalog,
    previous_tier: ModelTier | None = None,
    config: RouterConfig = DEFAULT_CONFIG,
) -> RouteDecision:
    """Choose the model that answers ``text`` when the conversation's model is ``auto``.

    ``image_count``: images in what will be sent (this message and the history kept in context),
    since a text-only model cannot take image parts. ``context_tokens``: stored token counts of the
    history and system prompt that go with this message. ``previous_tier``: tier that answered the
    turn this one follows, if any. Raises :class:`NoCapableModel` when nothing in the catalog fits.
    """
    tier, reason, scores, signals = _decide(text, image_count, context_tokens, previous_tier, config)
    spec, used_tier = _model_for(catalog, tier)
    if used_tier != tier:
        reason = f"{reason} (no {tier} model; {used_tier} used)"
    labels = tuple(s.label for s in sorted(signals, key=lambda s: -abs(s.weight)))
    return RouteDecision(spec.id, used_tier, reason, MappingProxyType(scores), labels)
