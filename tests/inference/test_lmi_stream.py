"""The chunk parser: JSON lines (LMI) and SSE (OpenAI-compatible), cut anywhere by the transport."""

from __future__ import annotations

import json
import random

import pytest

from parley.inference.base import ChatMessage, Completion, InferenceError, InferenceRequest, TextDelta
from parley.inference.lmi_stream import ChatChunkParser, map_finish_reason
from parley.inference.wire import redactor

from .frames import chat_chunks, jsonl, split_randomly

TEXTS = ["Bonjour", ", ", "ça va", " ? ", "日本語", " 🎉🎉", ' "quoted"\n', "end"]


def parse(pieces: list[bytes], parser: ChatChunkParser | None = None) -> tuple[str, Completion, int]:
    parser = parser or ChatChunkParser()
    deltas: list[TextDelta] = []
    for piece in pieces:
        deltas.extend(parser.feed(piece))
    tail, completion = parser.close()
    deltas.extend(tail)
    return "".join(d.text for d in deltas), completion, len(deltas)


def sse(data: bytes) -> bytes:
    """The same chunks as Server-Sent Events, as vLLM's OpenAI server sends them."""
    lines = [line for line in data.split(b"\n") if line]
    return b"".join(b"data: " + line + b"\n\n" for line in lines) + b"data: [DONE]\n\n"


def test_whole_stream_in_one_piece():
    text, completion, count = parse([chat_chunks(TEXTS)])
    assert text == "".join(TEXTS)
    assert completion == Completion("stop", 11, 3)
    assert count == len(TEXTS)


@pytest.mark.parametrize("seed", range(25))
def test_random_splits_give_the_same_answer(seed: int):
    data = chat_chunks(TEXTS, finish="length", usage=(40, 8))
    text, completion, _ = parse(split_randomly(data, random.Random(seed), max_size=17))
    assert text == "".join(TEXTS)
    assert completion == Completion("length", 40, 8)


def test_byte_by_byte_including_inside_utf8_characters():
    data = chat_chunks(TEXTS)
    text, _, _ = parse([data[i : i + 1] for i in range(len(data))])
    assert text == "".join(TEXTS)


def test_split_exactly_inside_a_multibyte_character():
    data = chat_chunks(["é", "🎉"])
    cut = data.index("🎉".encode()) + 2  # two of the emoji's four bytes on each side
    parser = ChatChunkParser()
    first = parser.feed(data[:cut])
    assert "".join(d.text for d in first) == "é"  # the emoji's line is incomplete: nothing of it yet
    rest = parser.feed(data[cut:])
    assert "".join(d.text for d in rest) == "🎉"


def test_sse_framing_with_done_comments_and_crlf():
    data = sse(chat_chunks(TEXTS))
    data = b": keep-alive\n\nevent: message\n" + data.replace(b"\n", b"\r\n")
    text, completion, _ = parse(split_randomly(data, random.Random(7), max_size=23))
    assert text == "".join(TEXTS)
    assert completion.finish_reason == "stop"


def test_nothing_after_done_is_read():
    data = sse(chat_chunks(["a"])) + b"data: not json at all\n\n"
    text, _, _ = parse([data])
    assert text == "a"


def test_last_line_without_newline_is_read_at_close():
    data = chat_chunks(["x", "y"], usage=(5, 2)).rstrip(b"\n")
    text, completion, _ = parse([data])
    assert text == "xy"
    assert (completion.input_tokens, completion.output_tokens) == (5, 2)


def test_missing_usage_leaves_token_counts_unknown():
    _, completion, _ = parse([chat_chunks(["a"], usage=None)])
    assert completion == Completion("stop", None, None)


def test_stream_that_never_finishes_is_an_error():
    data = b"".join(line + b"\n" for line in chat_chunks(["a", "b"]).split(b"\n")[:3])
    parser = ChatChunkParser()
    assert [d.text for d in parser.feed(data)] == ["a", "b"]
    with pytest.raises(InferenceError) as info:
        parser.close()
    assert info.value.code == "model_stream_incomplete" and info.value.retryable


def test_malformed_line_is_an_error():
    with pytest.raises(InferenceError) as info:
        ChatChunkParser().feed(b'{"choices": [\n')
    assert info.value.code == "model_stream_malformed"


def test_error_object_in_stream():
    parser = ChatChunkParser()
    parser.feed(chat_chunks(["partial"]).split(b"\n")[1] + b"\n")
    err = json.dumps({"error": {"message": "context too long", "code": 400}}).encode() + b"\n"
    with pytest.raises(InferenceError) as info:
        parser.feed(err)
    assert "context too long" in info.value.message
    assert info.value.retryable is False  # the same request fails the same way


def test_vllm_error_object_shape_is_retryable_when_server_side():
    err = json.dumps({"object": "error", "message": "engine dead", "code": 500}).encode() + b"\n"
    with pytest.raises(InferenceError) as info:
        ChatChunkParser().feed(err)
    assert info.value.retryable is True and "engine dead" in info.value.message


def test_error_that_quotes_the_prompt_is_withheld():
    secret = "my bank password is hunter2-hunter2"
    request = InferenceRequest(messages=(ChatMessage("user", secret),))
    err = json.dumps({"error": {"message": f"invalid input: {{'content': '{secret}'}}", "code": 400}})
    with pytest.raises(InferenceError) as info:
        ChatChunkParser(redactor(request)).feed(err.encode() + b"\n")
    assert "hunter2" not in info.value.message


def test_non_streamed_completion_is_accepted():
    body = {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "whole"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    }
    text, completion, _ = parse([jsonl([body])])
    assert text == "whole" and completion == Completion("stop", 3, 1)


@pytest.mark.parametrize(
    ("raw", "mapped"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("LENGTH", "length"),
        ("content_filter", "content_filter"),
        ("tool_calls", "stop"),
        ("abort", "error"),
        ("something_new", "stop"),
    ],
)
def test_finish_reasons(raw: str, mapped: str):
    assert map_finish_reason(raw) == mapped
