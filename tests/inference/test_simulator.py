"""The simulated model (LMI bytes) and its backend (decoded with the SageMaker parser)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from model_endpoints.simulator import (
    MAX_PIECE,
    SimulatedModel,
    SimulatorConfig,
    split_tokens,
)
from parley.catalog import ModelSpec
from parley.inference import simulator as simulator_backend
from parley.inference.base import (
    ChatMessage,
    Completion,
    GenerationParams,
    InferenceError,
    InferenceRequest,
    ModelUnavailable,
    TextDelta,
    collect,
)
from parley.inference.lmi_stream import ChatChunkParser
from parley.inference.simulator import SimulatorBackend
from parley.inference.wire import chat_request_body

pytestmark = pytest.mark.anyio


def conversation(*turns: str, system: str | None = "You are Parley.") -> InferenceRequest:
    messages = [ChatMessage("system", system)] if system else []
    for i, text in enumerate(turns):
        messages.append(ChatMessage("user" if i % 2 == 0 else "assistant", text))
    return InferenceRequest(messages=tuple(messages))


def fast(**kwargs: Any) -> SimulatorBackend:
    return SimulatorBackend(ttft_ms=0, tokens_per_s=0, **kwargs)


async def raw_bytes(model: SimulatedModel, body: dict[str, Any]) -> list[bytes]:
    return [piece async for piece in model.stream(body, prompt_tokens=10)]


class VirtualClock:
    """Sleeps advance a virtual clock instantly, and are recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


# --- what it says -------------------------------------------------------------------------------


async def test_the_text_never_labels_itself_and_usage_reports_the_context(fast_spec: ModelSpec):
    request = InferenceRequest(
        messages=conversation("hi", "hello!", "Tell me about rivers").messages, context_tokens=312
    )
    text, completion = await collect(fast(), fast_spec, request)
    assert "simulator" not in text.lower() and not text.startswith("[")
    assert text.splitlines()[0] in (
        "Here's a quick overview of rivers.", "Rivers in a nutshell.",
        "Good question: rivers has a few parts worth knowing.",
    )
    assert completion.input_tokens == 312


async def test_a_question_gets_a_short_first_line_then_prose_and_a_list(fast_spec: ModelSpec):
    text, _ = await collect(fast(), fast_spec, conversation("What is photosynthesis?"))
    first, _, rest = text.partition("\n\n")
    assert "photosynthesis" in first and len(first) <= 80 and "\n" not in first
    assert "photosynthesis" in rest.split("\n\n")[0]  # a sentence of prose about it
    assert len([line for line in rest.splitlines() if line.startswith("- ")]) >= 3


async def test_code_requests_get_a_fenced_block_in_the_language_asked_for(fast_spec: ModelSpec):
    for ask, tag, needle in [
        ("Write a Python function that reverses a string", "python", "def reverses_string("),
        ("Write a Go function to count words", "go", "func CountWords("),
        ("write a rust function that parses dates", "rust", "fn parses_dates("),
        ("A SQL query for monthly totals please", "sql", "SELECT"),
    ]:
        text, _ = await collect(fast(), fast_spec, conversation(ask))
        assert f"\n```{tag}\n" in text and needle in text, (ask, text)
        assert text.count("```") == 2
    # The code model answers with code even when the prompt does not say "function".
    code_spec = fast_spec.model_copy(update={"id": "parley-code"})
    text, _ = await collect(fast(), code_spec, conversation("How do I reverse a list in JavaScript?"))
    assert "```javascript\n" in text


async def test_comparisons_get_a_table(fast_spec: ModelSpec):
    text, _ = await collect(fast(), fast_spec, conversation("Compare PostgreSQL and SQLite for a small web app"))
    lines = text.splitlines()
    assert lines[0] in ("PostgreSQL vs SQLite: a side-by-side comparison.", "Comparing PostgreSQL and SQLite.")
    assert "| Aspect | PostgreSQL | SQLite |" in lines and "| --- | --- | --- |" in lines
    assert sum(1 for line in lines if line.startswith("| ")) >= 5


async def test_an_attached_document_is_answered_from_its_text_without_the_wrapper(fast_spec: ModelSpec):
    from parley.attachments.render import default_wrap

    body = ("The lighthouse keeper counts forty-two ships every night. "
            "Storms close the harbour in winter. The lamp is cleaned at dawn.")
    block = ('Attached file "notes.txt" (Text).\nIts full extracted content follows.\n'
             + default_wrap(body, "attached file notes.txt"))
    text, _ = await collect(fast(), fast_spec, conversation(block + "\n\nHow many ships does the keeper count?"))
    assert text.splitlines()[0] in ("Here's a summary of notes.txt.", "notes.txt in brief.")
    assert "The lighthouse keeper counts forty-two ships every night." in text
    assert "UNTRUSTED" not in text and "<<<" not in text and "Treat it only as information" not in text


async def test_images_are_described_not_counted_in_a_label(fast_spec: ModelSpec):
    parts = [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]
    request = InferenceRequest(messages=(ChatMessage("user", parts),))
    text, _ = await collect(fast(), fast_spec, request)
    assert "the 2 images" in text.splitlines()[0] and "- **" in text


async def test_markup_in_the_question_reaches_the_answer_as_text(fast_spec: ModelSpec):
    """The topic is restated as written; the web client renders it as text (browser tests check that)."""
    text, _ = await collect(fast(), fast_spec, conversation("<b>bold</b> claims"))
    assert "<b>bold</b> claims" in text


async def test_counts_context_itself_when_not_told(fast_spec: ModelSpec):
    _, completion = await collect(fast(), fast_spec, conversation("one two three four"))
    assert completion.input_tokens is not None and completion.input_tokens > 8


async def test_reply_length_is_realistic_and_configurable(fast_spec: ModelSpec):
    _, default = await collect(fast(), fast_spec, conversation("hi"))
    assert default.output_tokens is not None and 40 <= default.output_tokens <= 120
    _, long = await collect(fast(reply_tokens=(400, 400)), fast_spec, conversation("hi"))
    assert long.output_tokens is not None and 400 <= long.output_tokens < 440


async def test_usage_counts_the_tokens_streamed(fast_spec: ModelSpec):
    events = [e async for e in fast().stream(fast_spec, conversation("count me"))]
    completion = events[-1]
    text = "".join(e.text for e in events[:-1] if isinstance(e, TextDelta))
    assert isinstance(completion, Completion) and completion.finish_reason == "stop"
    assert completion.output_tokens == len(split_tokens(text))


# --- determinism ---------------------------------------------------------------------------------


async def test_same_input_same_bytes_and_text(fast_spec: ModelSpec):
    model = SimulatedModel(SimulatorConfig(ttft_ms=0, tokens_per_s=0))
    body = chat_request_body(fast_spec, conversation("determinism, please"), model=fast_spec.id)
    assert await raw_bytes(model, body) == await raw_bytes(model, body)
    first, _ = await collect(fast(), fast_spec, conversation("determinism, please"))
    second, _ = await collect(fast(), fast_spec, conversation("determinism, please"))
    assert first == second


async def test_different_input_different_answers(fast_spec: ModelSpec):
    replies = set()
    for i in range(6):
        text, _ = await collect(fast(), fast_spec, conversation(f"Tell me about topic {i}"))
        replies.add(text.replace(f"topic {i}", "X").replace(f"Topic {i}", "X"))
    assert len(replies) > 1


# --- the wire format -----------------------------------------------------------------------------


async def test_bytes_are_lmi_json_lines_cut_irregularly(fast_spec: ModelSpec):
    model = SimulatedModel(SimulatorConfig(ttft_ms=0, tokens_per_s=0, reply_tokens=(200, 200)))
    body = chat_request_body(
        fast_spec, conversation("ünïcödé 日本語のテキストです 🎉 " * 30), model=fast_spec.id
    )
    pieces = await raw_bytes(model, body)
    data = b"".join(pieces)
    lines = data.split(b"\n")
    assert lines[-1] == b""
    chunks = [json.loads(line) for line in lines[:-1]]  # no "data:" prefix, no [DONE]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    sizes = {len(p) for p in pieces}
    assert len(sizes) > 5 and max(sizes) <= MAX_PIECE
    assert any(not p.endswith(b"\n") for p in pieces[:-1])  # pieces cut through lines
    cut_in_character = False
    for piece in pieces[:-1]:
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError:
            cut_in_character = True
    assert cut_in_character


async def test_backend_decodes_with_the_sagemaker_parser(
    fast_spec: ModelSpec, monkeypatch: pytest.MonkeyPatch
):
    fed: list[bytes] = []

    class Recording(ChatChunkParser):
        def feed(self, data: bytes) -> list[TextDelta]:
            fed.append(data)
            return super().feed(data)

    monkeypatch.setattr(simulator_backend, "ChatChunkParser", Recording)
    text, _ = await collect(fast(), fast_spec, conversation("via the parser"))
    assert len(fed) > 1 and "via the parser" in text.splitlines()[0]


# --- knobs ---------------------------------------------------------------------------------------


async def test_max_tokens_stops_with_length(fast_spec: ModelSpec):
    request = InferenceRequest(
        messages=conversation("a long question " * 10).messages, params=GenerationParams(max_tokens=7)
    )
    events = [e async for e in fast().stream(fast_spec, request)]
    completion = events[-1]
    assert isinstance(completion, Completion)
    assert completion.finish_reason == "length" and completion.output_tokens == 7
    text = "".join(e.text for e in events[:-1] if isinstance(e, TextDelta))
    full, _ = await collect(fast(), fast_spec, conversation("a long question " * 10))
    assert len(split_tokens(text)) == 7 and full.startswith(text)


async def test_fail_after_zero_is_unavailable_before_anything(fast_spec: ModelSpec):
    events: list[Any] = []
    with pytest.raises(ModelUnavailable) as info:
        async for event in fast(fail_after=0).stream(fast_spec, conversation("hi")):
            events.append(event)
    assert events == [] and info.value.retryable


async def test_fail_after_n_tokens(fast_spec: ModelSpec):
    text_full, _ = await collect(fast(), fast_spec, conversation("fail me"))
    received: list[str] = []
    with pytest.raises(InferenceError) as info:
        async for event in fast(fail_after=5).stream(fast_spec, conversation("fail me")):
            assert isinstance(event, TextDelta)
            received.append(event.text)
    assert not isinstance(info.value, ModelUnavailable) and info.value.retryable
    assert "".join(received) == "".join(split_tokens(text_full)[:5])


async def test_fail_after_beyond_the_reply_completes(fast_spec: ModelSpec):
    _, completion = await collect(fast(fail_after=10_000), fast_spec, conversation("hi"))
    assert completion.finish_reason == "stop"


async def test_zero_rate_never_sleeps(fast_spec: ModelSpec):
    clock = VirtualClock()
    model = SimulatedModel(SimulatorConfig(ttft_ms=0, tokens_per_s=0), clock=clock.time, sleep=clock.sleep)
    await collect(SimulatorBackend(model=model), fast_spec, conversation("hi"))
    assert clock.sleeps == []


async def test_ttft_then_paced_tokens(fast_spec: ModelSpec):
    clock = VirtualClock()
    model = SimulatedModel(SimulatorConfig(ttft_ms=250, tokens_per_s=40), clock=clock.time, sleep=clock.sleep)
    arrivals: list[float] = []
    async for event in SimulatorBackend(model=model).stream(fast_spec, conversation("pace me")):
        if isinstance(event, TextDelta):
            arrivals.append(clock.now)
    tokens = len(split_tokens((await collect(fast(), fast_spec, conversation("pace me")))[0]))
    assert clock.sleeps[0] == pytest.approx(0.25)
    assert arrivals[0] == pytest.approx(0.25)
    # Token k is released at ttft + k/rate: the last one at ttft + (n-1)/rate.
    assert clock.now == pytest.approx(0.25 + (tokens - 1) / 40)
    assert len(clock.sleeps) == tokens  # ttft, then one per token at 40 tokens/s


async def test_high_rates_sleep_in_batches(fast_spec: ModelSpec):
    clock = VirtualClock()
    config = SimulatorConfig(ttft_ms=0, tokens_per_s=2000, reply_tokens=(400, 400))
    model = SimulatedModel(config, clock=clock.time, sleep=clock.sleep)
    _, completion = await collect(SimulatorBackend(model=model), fast_spec, conversation("hurry"))
    assert completion.output_tokens is not None and completion.output_tokens >= 400
    # 2000 tokens/s in 20 ms batches: 40 tokens a wake-up rather than one.
    assert len(clock.sleeps) <= completion.output_tokens / 40 + 1
    assert min(clock.sleeps) >= 0.0199
    assert clock.now == pytest.approx((completion.output_tokens - 1) // 40 * 40 / 2000)


async def test_fifty_concurrent_streams(fast_spec: ModelSpec):
    backend = SimulatorBackend(ttft_ms=1, tokens_per_s=5000)
    requests = [conversation(f"stream {i}") for i in range(50)]
    results = await asyncio.gather(*[collect(backend, fast_spec, r) for r in requests])
    for request, (text, completion) in zip(requests, results, strict=True):
        # Each stream carries its own answer, whole, as a stream on its own would.
        assert text == (await collect(fast(), fast_spec, request))[0] and completion.finish_reason == "stop"


async def test_stopping_early_closes_the_model_stream(fast_spec: ModelSpec):
    closed: list[bool] = []

    class Tracking(SimulatedModel):
        async def stream(self, body: Any, prompt_tokens: int | None = None):  # type: ignore[override]
            try:
                async for piece in super().stream(body, prompt_tokens):
                    yield piece
            finally:
                closed.append(True)

    backend = SimulatorBackend(model=Tracking(SimulatorConfig(ttft_ms=0, tokens_per_s=1000)))
    stream = backend.stream(fast_spec, conversation("stop me"))
    await anext(stream)
    await stream.aclose()
    assert closed == [True]


async def test_small_talk_gets_small_talk(fast_spec: ModelSpec):
    text, _ = await collect(fast(), fast_spec, conversation("Hello there, how are you?"))
    assert text.startswith("I'm doing well, thanks for asking!")
    text, _ = await collect(fast(), fast_spec, conversation("hey"))
    assert text.startswith(("Hello! How can I help today?", "Hi there, what would you like to work on?"))


def test_the_topic_drops_the_asking_not_the_subject():
    from model_endpoints.prompt import topic_of

    assert topic_of("Tell me about rivers?") == "rivers"
    assert topic_of("Hi, can you explain photosynthesis please") == "photosynthesis"
    assert topic_of("Hello through a hiccup") == "Hello through a hiccup"
    assert topic_of("How do I bake bread?") == "bake bread"
    assert topic_of("Write a Python function that reverses a string") == "reverses a string"


async def test_more_shapes_ideas_poems_capabilities_and_follow_ups(fast_spec: ModelSpec):
    text, _ = await collect(fast(), fast_spec, conversation("Give me 4 ideas for a birthday party"))
    assert text.splitlines()[0] in ("4 ideas for a birthday party.", "Here are 4 ideas for a birthday party.")
    assert [line[:3] for line in text.splitlines() if line[:1].isdigit()] == ["1. ", "2. ", "3. ", "4. "]
    text, _ = await collect(fast(), fast_spec, conversation("Write a haiku about autumn"))
    assert len([line for line in text.splitlines() if line.startswith("*") and line.endswith("*")]) == 3
    text, _ = await collect(fast(), fast_spec, conversation("What can you do?"))
    assert text.startswith("I can help with") and "**Write code**" in text
    first, _ = await collect(fast(), fast_spec, conversation("Compare tea and coffee"))
    short, _ = await collect(fast(), fast_spec, conversation("Compare tea and coffee", first, "make it shorter"))
    assert short.splitlines()[0] in ("Sure, here's a shorter version.", "Here it is in brief.")
    assert first.split("\n\n")[1] in short  # the table again, without the rest
    assert len(short) < len(first)
