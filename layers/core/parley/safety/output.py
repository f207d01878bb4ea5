"""Output moderation while an answer streams.

:class:`OutputModerator` takes the deltas as they arrive. It checks the system prompt leak
detector and the category moderators once every ``check_every`` characters, over what arrived since
the last check; the category window reaches ``overlap`` characters back into text already checked, so
a phrase split across deltas or across two checks is still seen whole. (The leak detector is
incremental: it sees each word once, whatever the batching.) Checking per window rather than per
delta costs a tenth of the CPU and gives the same guarantee: at most one window reaches the client
unchecked.

The categories here are a **rule-based baseline**: conservative regular expressions that catch
explicit instructions (a synthesis route, a reverse-shell one-liner, a call to exterminate a group),
not the whole of harmful content. To use a moderation model, implement :class:`TextModerator`
(``moderate(window) -> findings``) and pass it in ``moderators``; the windowing, actions, safe
prefix and logging stay the same. A remote model is better called on larger windows
(``check_every`` of 1-2 KB) or only at :meth:`OutputModerator.finish`, from a worker thread.

On a ``block`` decision the chat path stops the stream with the SSE error ``content_filtered`` and
saves the message with ``finishReason: "content_filter"`` and only :attr:`Decision.safe_prefix`
as content. A ``flag`` decision is logged (see :func:`~.policy.decision_log_fields`) and the stream
goes on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from .anchors import required_substrings
from .leak import PromptLeakDetector
from .normalize import fold

Action = Literal["block", "flag", "off"]

SYSTEM_PROMPT_LEAK = "system_prompt_leak"
SELF_HARM_INSTRUCTIONS = "self_harm_instructions"
WEAPONS = "weapons"
MALWARE = "malware"
HATE = "hate"

#: Default action per category. Malware is flagged rather than blocked: security answers
#: legitimately quote attack tooling, so a human should review before this blocks.
DEFAULT_ACTIONS: Mapping[str, Action] = {
    SYSTEM_PROMPT_LEAK: "block",
    SELF_HARM_INSTRUCTIONS: "block",
    WEAPONS: "block",
    MALWARE: "flag",
    HATE: "block",
}

CONTENT_FILTERED = "content_filtered"
FINISH_REASON_CONTENT_FILTER = "content_filter"


@dataclass(frozen=True, slots=True)
class Finding:
    category: str
    rule: str


class TextModerator(Protocol):
    """Anything that can judge a window of answer text: the rules below, or a moderation model."""

    #: The longest text one finding spans; windows overlap by at least this much.
    max_span: int

    def moderate(self, window: str) -> Sequence[Finding]: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """What the moderator decided. ``safe_prefix`` is content: never log it (log_fields() is safe)."""

    action: Literal["block", "flag"]
    category: str
    rule: str
    #: The answer up to the last point known clean, cut at a word boundary.
    safe_prefix: str = field(repr=False)

    def log_fields(self) -> dict[str, object]:
        return {"safety_stage": "output", "safety_action": self.action, "safety_category": self.category,
                "safety_rule": self.rule, "safety_safe_prefix_chars": len(self.safe_prefix)}


# --- the rule-based baseline -----------------------------------------------------------------

_GROUPS = (r"(?:jews|jewish people|muslims|christians|catholics|hindus|sikhs|buddhists|atheists|blacks|black "
           r"people|whites|white people|asians|arabs|mexicans|latinos|hispanics|africans|immigrants|refugees|"
           r"migrants|gays|gay people|lesbians|homosexuals|trans people|transgender people|women|roma|gypsies|"
           r"disabled people|the disabled)")
# Reporting and history talk about atrocities in the words of their perpetrators.
_REPORTING = re.compile(r"\b(?:sought|tried|attempted|aimed|planned|wanted|called|ordered|vowed|intended|propaganda|"
                        r"genocide|holocaust|historians?|claimed|claim|slogan|rhetoric|described|portrayed|"
                        r"believed|ideology|quote|said that|falsely)\b")

_CATEGORY_RULES: tuple[tuple[str, str, str], ...] = (
    (SELF_HARM_INSTRUCTIONS, "self_harm.method",
     r"\b(?:how to|ways to|best way to|easiest way to|painless way to|steps to|methods? (?:to|of|for))\b (?:\w+ ){0,2}?"
     r"(?:kill (?:yourself|myself|oneself)|commit suicide|end (?:your|my) (?:own )?life|hang (?:yourself|myself))\b"),
    (SELF_HARM_INSTRUCTIONS, "self_harm.lethal_dose",
     r"\b(?:lethal|fatal|deadly) (?:dose|amount|quantity) (?:of \w+ )?(?:is|would be|for (?:an? )?(?:adult|person))\b"
     r".{0,60}?\b\d+(?:\.\d+)?\s?(?:mg|g|grams|pills|tablets|capsules)\b"),
    (SELF_HARM_INSTRUCTIONS, "self_harm.encouragement",
     r"\byou should (?:just )?(?:kill yourself|end your life|hurt yourself|cut yourself|starve yourself)\b"),
    (WEAPONS, "weapons.build_instructions",
     r"\b(?:how to|steps to|instructions (?:for|to)|recipe for|guide to|here'?s how to|here is how to) "
     r"(?:make|build|assemble|construct|synthesi[sz]e|manufacture|produce|cook) (?:an? |your own |a homemade |"
     r"homemade )?(?:pipe bombs?|bombs?|explosives?|ieds?|improvised explosive devices?|nerve agents?|sarin|vx|"
     r"ricin|mustard gas|chlorine gas|napalm|molotov cocktails?|ghost guns?|silencers?|suppressors?|auto ?sears?|"
     r"bioweapons?|chemical weapons?)\b"),
    (WEAPONS, "weapons.explosive_recipe",
     r"\b(?:ammonium nitrate|potassium chlorate|acetone peroxide|tatp|hmtd|petn|rdx|nitroglycerin|black powder|"
     r"flash powder)\b.{0,160}?\b(?:mix(?:ing)? (?:it |them )?with|combine|pack (?:it |them )?into|detonat\w*|"
     r"blasting caps?|shrapnel|fuse)\b"),
    (WEAPONS, "weapons.nerve_agent_synthesis",
     r"\b(?:synthesi[sz]e|synthesis of|precursors? (?:for|of)|route to)\b.{0,60}?\b(?:sarin|soman|tabun|vx|"
     r"novichok|ricin|anthrax|botulinum)\b"),
    (MALWARE, "malware.reverse_shell",
     r"bash -i >& ?/dev/tcp/|\bnc(?:at)? (?:-\w+ )*-e /bin/(?:ba)?sh\b|/bin/sh -i 2>&1\|nc\b|"
     r"socket\.socket\(.{0,200}?(?:subprocess\.call|os\.dup2).{0,80}?/bin/(?:ba)?sh"),
    (MALWARE, "malware.credential_dumping",
     r"sekurlsa::logonpasswords|lsadump::(?:sam|dcsync)|\bprocdump\b.{0,40}?\blsass\b"),
    (MALWARE, "malware.ransomware",
     r"\bencrypt(?:s|ing)? (?:all )?(?:of )?(?:the )?(?:user'?s?|victim'?s?|target'?s?|their|all) ?files\b.{0,240}?"
     r"\b(?:ransom|bitcoin|btc|monero|xmr|pay (?:us|to decrypt))\b"),
    (MALWARE, "malware.av_evasion",
     r"\b(?:disable|evade|bypass|kill) (?:windows )?(?:defender|antivirus|av|edr|amsi)\b.{0,80}?\b(?:payload|"
     r"malware|undetected|persistence|implant|dropper)\b"),
    (HATE, "hate.dehumanizing",
     rf"\b{_GROUPS} (?:are|is) (?:nothing but |just |all )?(?:subhuman|vermin|animals|parasites|cockroaches|rats|"
     r"a disease|a plague|a cancer|inferior (?:beings|races?)|savages|filth)\b"),
    (HATE, "hate.violence_against_group",
     rf"\b(?:kill|exterminate|gas|eradicate|wipe out|get rid of|hang|lynch|purge|cleanse (?:the \w+ of)?) "
     rf"(?:all (?:the )?|every |the )?{_GROUPS}\b"),
)


@functools.cache
def _compiled_rules() -> tuple[tuple[str, str, re.Pattern[str], tuple[str, ...]], ...]:
    """Each rule with its anchors, built at first use (one per process, shared by every answer).

    A pattern runs only on a window holding one of the words every match of it needs: most windows
    hold none, and a substring search costs a fraction of a regex scan.
    """
    compiled = [(cat, rule, re.compile(src, re.DOTALL)) for cat, rule, src in _CATEGORY_RULES]
    return tuple((cat, rule, pattern, tuple(sorted(required_substrings(pattern) or ())))
                 for cat, rule, pattern in compiled)


class RuleModerator:
    """The rule-based :class:`TextModerator`: regular expressions per category, on folded text."""

    max_span = 320

    def __init__(self, categories: Sequence[str] | None = None) -> None:
        wanted = set(categories) if categories is not None else None
        self._rules = tuple(entry for entry in _compiled_rules() if wanted is None or entry[0] in wanted)

    def moderate(self, window: str) -> list[Finding]:
        text = fold(window).text
        found: list[Finding] = []
        for category, rule, pattern, anchors in self._rules:
            if anchors and not any(anchor in text for anchor in anchors):
                continue
            m = pattern.search(text)
            if m is None:
                continue
            if category == HATE and _REPORTING.search(text, max(0, m.start() - 80), m.start()):
                continue
            found.append(Finding(category, rule))
        return found


def parse_actions(spec: str) -> dict[str, Action]:
    """Parse ``"malware=block,hate=flag"`` (a settings string) over :data:`DEFAULT_ACTIONS`."""
    actions: dict[str, Action] = dict(DEFAULT_ACTIONS)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        value = value.strip()
        if value not in ("block", "flag", "off"):
            raise ValueError(f"unknown safety action {value!r} for {name.strip()!r}")
        actions[name.strip()] = value  # type: ignore[assignment]
    return actions


_CUT = re.compile(r"\s\S*$")


def _cut_at_word(text: str) -> str:
    m = _CUT.search(text)
    return text[:m.start()] if m else ""


class OutputModerator:
    """Moderates one streamed answer. Not thread-safe: one instance per generation."""

    def __init__(
        self,
        system_prompt: str | None = None,
        *,
        actions: Mapping[str, Action] | None = None,
        moderators: Sequence[TextModerator] | None = None,
        check_every: int = 200,
        overlap: int | None = None,
        canaries: tuple[str, ...] = (),
    ) -> None:
        self.actions: dict[str, Action] = dict(DEFAULT_ACTIONS)
        self.actions.update(actions or {})
        self.moderators: tuple[TextModerator, ...] = tuple(moderators) if moderators is not None else (
            RuleModerator([c for c, a in self.actions.items() if a != "off"]),)
        self.check_every = max(1, check_every)
        self.overlap = overlap if overlap is not None else max((m.max_span for m in self.moderators), default=0)
        self._leak = (PromptLeakDetector(system_prompt or "", canaries=canaries)
                      if self.actions.get(SYSTEM_PROMPT_LEAK, "off") != "off" else None)
        self._parts: list[str] = []
        self._length = 0
        #: Text before this offset has been through the category moderators.
        self._checked = 0
        self._tail = ""
        self._unchecked: list[str] = []
        self._flagged: set[str] = set()
        self.flags: list[Decision] = []
        self.blocked: Decision | None = None

    @property
    def text(self) -> str:
        """Everything fed so far (content: for the caller, never for logs)."""
        return "".join(self._parts)

    def feed(self, delta: str) -> Decision | None:
        """Take one delta. Returns a block (stop the stream), a new flag (log it), or None."""
        if self.blocked is not None:
            return self.blocked
        if not delta:
            return None
        self._parts.append(delta)
        self._unchecked.append(delta)
        self._length += len(delta)
        if self._length - self._checked < self.check_every:
            return None
        return self._check(final=False)

    def finish(self) -> Decision | None:
        """The stream ended: check what is left. Returns a block, a new flag, or None."""
        if self.blocked is not None:
            return self.blocked
        return self._check(final=True)

    def _check(self, *, final: bool) -> Decision | None:
        """Everything that arrived since the last check, through the leak detector and the categories."""
        fresh = "".join(self._unchecked)
        self._unchecked.clear()
        leak = self._check_leak(fresh, final=final)
        if self.blocked is not None:
            return self.blocked
        found = self._scan(fresh) if fresh else None
        return self.blocked or leak or found

    def _check_leak(self, fresh: str, *, final: bool) -> Decision | None:
        if self._leak is None:
            return None
        leak = self._leak.feed(fresh)
        if final:
            leak = self._leak.finish()
        if leak is None or SYSTEM_PROMPT_LEAK in self._flagged:
            return None
        return self._decide(Finding(SYSTEM_PROMPT_LEAK, leak.rule), cut=leak.start)

    def _scan(self, fresh: str) -> Decision | None:
        window = self._tail + fresh
        window_start = self._checked - len(self._tail)
        self._checked = self._length
        self._tail = window[-self.overlap:] if self.overlap else ""
        first: Decision | None = None
        for moderator in self.moderators:
            for finding in moderator.moderate(window):
                if self.actions.get(finding.category, "block") == "off" or finding.category in self._flagged:
                    continue
                # Everything before the window was checked clean with the whole of any finding in view.
                decision = self._decide(finding, cut=window_start)
                if decision is not None and (first is None or decision.action == "block"):
                    first = decision
                if self.blocked is not None:
                    return self.blocked
        return first

    def _decide(self, finding: Finding, *, cut: int) -> Decision | None:
        action = self.actions.get(finding.category, "block")
        if action == "off":
            return None
        decision = Decision(action, finding.category, finding.rule, _cut_at_word(self.text[:max(0, cut)]))
        if action == "block":
            self.blocked = decision
        else:
            self._flagged.add(finding.category)
            self.flags.append(decision)
        return decision
