"""Input screening: is this user message or document text trying to steer the model?

:func:`screen_input` folds the text (see :mod:`.normalize`), runs the weighted rules of
:mod:`.rules` on it and on every disguised reading of it (leetspeak undone, spaced letters joined,
ROT13, reversed, invisible tag characters, decoded base64/hex runs), and combines what matched into
one score. A rule that matches only once a disguise is removed adds an ``encoded_payload`` reason:
hiding an instruction is itself a signal.

Besides the rules, two looser readings add evidence: the semantic frames of :mod:`.frames` (a
discard verb aimed at the assistant's instructions, a persona without limits, a request for the
assistant's own text, a document addressing its AI reader, in any wording) and, on texts up to
4 KB, the small n-gram classifier of :mod:`.classifier`. Within a family a frame and a rule are not
compounded (they often read the same words); families, and the classifier, are.

This is a rule-based detector (fast, explainable, no model to download). Anything implementing
:class:`InputScreener` can replace it, a larger classifier model for instance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from . import classifier, frames, normalize
from .decode import decode_runs
from .output import MALWARE, SELF_HARM_INSTRUCTIONS, WEAPONS, RuleModerator
from .rules import (
    ENCODED_PAYLOAD,
    FAMILIES,
    INDIRECT_INJECTION,
    INSTRUCTION_OVERRIDE,
    RULES,
    TEMPLATE_SMUGGLING,
    AnchorIndex,
    Rule,
)

Source = Literal["user", "document"]

# Text that talks *about* attacks (security questions, tokenizer configs, papers) quotes attack
# phrases; a quoted phrase in such a text, or one inside a question, weighs less.
_DISCUSSION = re.compile(
    r"\b(?:prompt injections?|injection attacks?|jailbreak(?:s|ing)? (?:attempts?|attacks?|prompts?|"
    r"techniques?|detection)|red[- ]?team\w*|adversarial|(?:defend|protect|guard|secure|harden|mitigate|"
    r"detect|prevent|filter|classify|block|recogni[sz]e|spot)\w* (?:against |from )?(?:\w+ ){0,3}?"
    r"(?:attacks?|injections?|jailbreaks?|prompts?|attempts?|inputs?)|security|researchers?|research|"
    r"paper|thesis|course|lecture|example of|examples of|for example|e\.g\.|what is an?|what does|what are|"
    r"how do(?:es)? (?:an? )?(?:attackers?|hackers?|people|they|scammers?)|why do(?:es)?|explain|"
    r"classifier|detector|owasp|llm01|threat model|tokeni[sz]er|chat ?template|special tokens?|chatml|"
    r"jinja|fine-?tun\w*|dataset|eos_token|bos_token|training data|regex|unit tests?|used for|purpose of|"
    r"meaning of|stands? for|what is the|what are the|prompt format|chat format|attacks?|attackers?|exploits?|"
    r"vulnerabilit\w*|malicious|hackers?|detection)\b"
)
_QUOTED = re.compile(
    r"\"[^\"\n]{1,400}\"|“[^”\n]{1,400}”|‘[^’\n]{1,400}’|«[^»\n]{1,400}»|`[^`\n]{1,400}`|```.*?(?:```|$)"
    r"|(?<!\w)'[^'\n]{1,400}'(?!\w)",
    re.DOTALL,
)
_SENTENCE_END = re.compile(r"[.?!\n]")
_ADDRESSED = re.compile(r"\byour(?:s|self)?\b")
#: How far around a match discussion words and opening quotes are looked for.
_DISCUSSION_REACH = 1500
_QUOTE_REACH = 400

#: Views longer than this skip the ROT13 and reversed readings (an attacker who hides an instruction
#: in ROT13 inside a long document still trips the "decode and follow" rule).
_CHEAP_VIEW_MAX_CHARS = 8192

#: The reason the classifier's signal is recorded under. It is evidence of its own, not a family:
#: it compounds with the families, and names one only when nothing else matched.
CLASSIFIER_REASON = "classifier.ngram_lr"
_CLASSIFIER = "classifier"
_ROT13_HINT = re.compile(r"\brot ?-?13\b|\bcaesar\b|\brotat(?:e|ed|ion)\b")
_MAX_DECODE_DEPTH = 2


@dataclass(frozen=True, slots=True)
class Screening:
    """The verdict on one text. ``reasons`` are rule ids, never any of the text."""

    flagged: bool
    score: float
    families: tuple[str, ...]
    reasons: tuple[str, ...]
    source: Source = "user"
    threshold: float = 0.5
    chars: int = 0

    @property
    def clean(self) -> bool:
        return not self.flagged


@dataclass(frozen=True, slots=True)
class ScreeningConfig:
    """Thresholds. Documents get a higher one: they legitimately hold imperative sentences."""

    user_threshold: float = 0.5
    document_threshold: float = 0.6
    #: Multiplier for a rule matched inside quotes in a text that discusses attacks.
    discussion_damping: float = 0.5
    #: Weight of the reason added when a rule matched only once a disguise was removed.
    disguise_weight: float = 0.5
    #: Whether the n-gram classifier (see :mod:`.classifier`) adds its signal.
    classifier: bool = True
    disabled_rules: frozenset[str] = field(default_factory=frozenset)

    def threshold(self, source: Source) -> float:
        return self.document_threshold if source == "document" else self.user_threshold


class InputScreener(Protocol):
    """What the chat path calls: the rule-based screener below, or a model-based one."""

    def screen(self, text: str, *, source: Source = "user") -> Screening: ...


@dataclass(slots=True)
class _Hit:
    rule_id: str
    family: str
    weight: float
    #: Matched inside a quote or question in a text about attacks (weight already damped).
    damped: bool = False

    @property
    def frame(self) -> bool:
        return self.rule_id.startswith("frame.")


def _noisy_or(weights: Iterable[float]) -> float:
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return 1.0 - miss


def _family_scores(hits: Iterable[_Hit]) -> dict[str, float]:
    """Per family: the rules' noisy-OR, or the strongest frame if that is higher.

    Frames and rules often read the same words (a frame is a looser reading of what a rule spells
    out), so within a family they are not independent evidence and are not compounded. Families
    still compound with each other.
    """
    rules: dict[str, list[float]] = {}
    frames_max: dict[str, float] = {}
    for h in hits:
        if h.frame:
            frames_max[h.family] = max(frames_max.get(h.family, 0.0), h.weight)
        else:
            rules.setdefault(h.family, []).append(h.weight)
    return {f: max(_noisy_or(rules.get(f, ())), frames_max.get(f, 0.0)) for f in {*rules, *frames_max}}


class RuleScreener:
    """The rule-based :class:`InputScreener`. Stateless and thread-safe; build one and share it."""

    def __init__(self, config: ScreeningConfig | None = None, rules: tuple[Rule, ...] = RULES) -> None:
        self.config = config or ScreeningConfig()
        self.rules = tuple(r for r in rules if r.id not in self.config.disabled_rules)
        self._redundant_capable = tuple(r for r in self.rules if r.unless)
        self._rules_by_source: dict[str, tuple[Rule, ...]] = {
            src: tuple(r for r in self.rules if not r.sources or src in r.sources) for src in ("user", "document")}

    def screen(self, text: str, *, source: Source = "user") -> Screening:
        rules = self._rules_by_source[source]
        hits: dict[str, _Hit] = {}
        folded = normalize.fold(text)
        self._screen_base(folded, hits, rules, source)
        self._screen_disguises(text, folded, hits, rules, source, depth=0)
        if folded.invisible_in_words:
            self._add(hits, "encoded.invisible_characters", ENCODED_PAYLOAD,
                      0.45 if folded.invisible_in_words >= 3 else 0.3)
        if folded.mixed_script_words:
            self._add(hits, "encoded.mixed_script_words", ENCODED_PAYLOAD,
                      0.45 if folded.mixed_script_words >= 3 else 0.3)
        if folded.tag_text:
            self._add(hits, "encoded.unicode_tags", ENCODED_PAYLOAD, 0.7)
        return self._verdict(hits, source, len(text))

    # -- the plain reading ------------------------------------------------------------------
    def _screen_base(self, folded: normalize.Folded, hits: dict[str, _Hit], rules: tuple[Rule, ...],
                     source: Source) -> None:
        view = folded.text
        concepts = frames.read(view)
        if self.config.classifier and CLASSIFIER_REASON not in self.config.disabled_rules:
            p = classifier.probability(view, concepts.letters)
            if p is not None and p >= classifier.SUPPORT:
                weight = classifier.STRONG_WEIGHT if p >= classifier.STRONG else classifier.SUPPORT_WEIGHT
                self._add(hits, CLASSIFIER_REASON, _CLASSIFIER, weight)
        for frame_hit in self._frames(view, source, concepts):
            weight = frame_hit.weight
            damped = self._in_discussion(frame_hit.start, frame_hit.end, view)
            if damped:
                weight *= self.config.discussion_damping
            self._add(hits, frame_hit.id, frame_hit.family, weight, damped)
        index = AnchorIndex(view)
        matches: list[tuple[Rule, re.Match[str]]] = []
        for rule in rules:
            m = rule.search(view, index)
            if m is not None:
                matches.append((rule, m))
        if not matches:
            return
        for rule, m in matches:
            weight = rule.weight
            damped = self._in_discussion(m.start(), m.end(), view)
            if damped:
                weight *= self.config.discussion_damping
            self._add(hits, rule.id, rule.family, weight, damped)
            # Matched after unicode folding but not on the raw text: a look-alike or invisible
            # character was needed to get past a naive filter.
            # (When the matched words occur as they are in the raw text, no disguise was needed: a
            # cheap substring test that spares a second regex scan of a long document.)
            if (folded.plain is not view and rule.weight >= 0.3 and m.group(0) not in folded.plain
                    and rule.search(folded.plain) is None):
                self._add(hits, "encoded.unicode_disguise", ENCODED_PAYLOAD, self.config.disguise_weight)

    def _frames(self, view: str, source: Source, concepts: frames.Concepts | None = None) -> list[frames.FrameHit]:
        return [h for h in frames.match(view, source, concepts) if h.id not in self.config.disabled_rules]

    @staticmethod
    def _in_discussion(start: int, stop: int, view: str) -> bool:
        """Is this match quoted, or asked about, in a text that talks about attacks?"""
        if not _DISCUSSION.search(view, max(0, start - _DISCUSSION_REACH), stop + _DISCUSSION_REACH):
            return False
        for q in _QUOTED.finditer(view, max(0, start - _QUOTE_REACH), start + _QUOTE_REACH):
            if q.start() <= start < q.end():
                return True
        # A question about attacks ("what does 'ignore previous instructions' do?") is discussion; a
        # question put to the assistant about itself ("what is the wording of your system prompt?")
        # is the request itself.
        if _ADDRESSED.search(view, start, stop):
            return False
        end = _SENTENCE_END.search(view, stop)
        return end is not None and end.group(0) == "?"

    # -- disguised readings -----------------------------------------------------------------
    def _screen_disguises(self, raw: str, folded: normalize.Folded, hits: dict[str, _Hit],
                          rules: tuple[Rule, ...], source: Source, depth: int) -> None:
        view = folded.text
        readings: list[tuple[str, str]] = [("leetspeak", v) for v in normalize.leet_views(view)]
        spaced = normalize.spaced_view(view)
        if spaced is not None:
            readings.append(("spaced_letters", spaced))
        if len(view) <= _CHEAP_VIEW_MAX_CHARS or _ROT13_HINT.search(view):
            readings.append(("rot13", normalize.rot13(view)))
        if len(view) <= _CHEAP_VIEW_MAX_CHARS:
            readings.append(("reversed", view[::-1]))
        if folded.tag_text:
            readings.append(("unicode_tags", normalize.fold(folded.tag_text).text))
        for kind, reading in readings:
            self._screen_reading(kind, reading, hits, rules, source)
        if depth < _MAX_DECODE_DEPTH:
            for decoded in decode_runs(raw):
                inner = normalize.fold(decoded.text)
                self._screen_reading(decoded.kind, inner.text, hits, rules, source)
                self._screen_hidden_request(decoded.text, hits)
                self._screen_disguises(decoded.text, inner, hits, rules, source, depth + 1)
        if folded.tag_text and depth == 0:
            self._screen_hidden_request(folded.tag_text, hits)

    def _screen_hidden_request(self, hidden: str, hits: dict[str, _Hit]) -> None:
        # A request for weapons, malware or self-harm content smuggled in an encoding: the hiding is
        # the attack even though the request itself is not an injection.
        if _harmful_request_moderator().moderate(hidden):
            self._add(hits, "encoded.hidden_harmful_request", ENCODED_PAYLOAD, 0.6)

    def _screen_reading(self, kind: str, reading: str, hits: dict[str, _Hit], rules: tuple[Rule, ...],
                        source: Source) -> None:
        found = False
        # A long ROT13 reading (taken because the document mentions ROT13 somewhere) is mostly noise:
        # the rules still run on it, the frames only on short ones.
        frame_hits = self._frames(reading, source) if len(reading) <= _CHEAP_VIEW_MAX_CHARS else []
        for frame_hit in frame_hits:
            if frame_hit.id in hits and hits[frame_hit.id].weight >= frame_hit.weight:
                continue
            self._add(hits, frame_hit.id, frame_hit.family, frame_hit.weight)
            found = found or frame_hit.weight >= 0.3
        index = AnchorIndex(reading)
        for rule in rules:
            # Structural template rules describe the raw text, not a decoded reading of it.
            if rule.family == TEMPLATE_SMUGGLING and kind in ("rot13", "reversed"):
                continue
            if rule.id in hits and hits[rule.id].weight >= rule.weight:
                continue
            if rule.search(reading, index) is not None:
                self._add(hits, rule.id, rule.family, rule.weight)
                found = found or rule.weight >= 0.3
        if found:
            self._add(hits, f"encoded.{kind}", ENCODED_PAYLOAD, self.config.disguise_weight)

    # -- the verdict ------------------------------------------------------------------------
    @staticmethod
    def _add(hits: dict[str, _Hit], rule_id: str, family: str, weight: float, damped: bool = False) -> None:
        current = hits.get(rule_id)
        if current is None or current.weight < weight:
            hits[rule_id] = _Hit(rule_id, family, weight, damped)

    def _verdict(self, hits: dict[str, _Hit], source: Source, chars: int) -> Screening:
        threshold = self.config.threshold(source)
        for rule in self._redundant_capable:
            if rule.id in hits and any(other in hits for other in rule.unless):
                del hits[rule.id]
        if not hits:
            return Screening(False, 0.0, (), (), source, threshold, chars)
        family_scores = _family_scores(hits.values())
        # Quoted or asked-about attack phrases in a text about attacks are one piece of evidence,
        # however many examples it quotes.
        damped = max((h.weight for h in hits.values() if h.damped), default=0.0)
        score = _noisy_or([*_family_scores(h for h in hits.values() if not h.damped).values(), damped])
        classifier_score = family_scores.pop(_CLASSIFIER, None)
        if classifier_score is not None and not family_scores:
            # Only the classifier spoke: name the family this source is most exposed to.
            family_scores[INDIRECT_INJECTION if source == "document" else INSTRUCTION_OVERRIDE] = classifier_score
        families = tuple(sorted(family_scores, key=lambda f: (-family_scores[f], FAMILIES.index(f))))
        reasons = tuple(h.rule_id for h in sorted(hits.values(), key=lambda h: (-h.weight, h.rule_id)))
        return Screening(score >= threshold, round(score, 4), families, reasons, source, threshold, chars)


_default: RuleScreener | None = None
_harmful: RuleModerator | None = None


def _harmful_request_moderator() -> RuleModerator:
    global _harmful
    if _harmful is None:
        _harmful = RuleModerator([SELF_HARM_INSTRUCTIONS, WEAPONS, MALWARE])
    return _harmful


def default_screener() -> RuleScreener:
    global _default
    if _default is None:
        _default = RuleScreener()
    return _default


def screen_input(text: str, *, source: Source = "user", screener: InputScreener | None = None) -> Screening:
    """Screen one user message or one attachment's extracted text."""
    return (screener or default_screener()).screen(text, source=source)
