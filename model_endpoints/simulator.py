"""The local model: a deterministic stand-in for an LMI endpoint, clearly labelled as one.

It takes the request body a SageMaker LMI endpoint takes (OpenAI Chat Completions) and answers
the bytes such an endpoint streams: JSON lines of ``chat.completion.chunk`` objects, a finish
chunk and a usage chunk, cut into pieces at irregular byte boundaries (through lines and through
UTF-8 characters) the way ``InvokeEndpointWithResponseStream`` delivers them. The backend that
wraps it decodes those bytes with the same parser as the SageMaker backend.

The answer is shaped like the request (``model_endpoints.answers``): prose with a list, code in the
language asked for, a table for a comparison, a summary of an attached document. Its choices and
its length come from a hash of the input: same input, same bytes. The text never says it is
simulated; Parley labels simulated answers in the message metadata and the interface.

Failures mimic a real endpoint: :class:`SimulatorUnavailable` before the stream (as throttling
would), :class:`SimulatorStreamError` part-way (as ``ModelStreamError`` would).

No dependency on the ``parley`` package: this module is the "model server" side of the wire.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model_endpoints.answers import compose
from model_endpoints.prompt import read_request

#: Irregular piece sizes are drawn from 1..MAX_PIECE bytes (LMI parts are usually one or a few lines).
MAX_PIECE = 384
#: At high token rates, tokens are released in batches at most this often, per stream: 50 streams
#: then cost 2,500 timer wake-ups a second rather than one per token.
MIN_SLEEP_S = 0.02
# A token is a run of up to 6 non-space characters with the whitespace before it; trailing
# whitespace is a token of its own. The pieces always join back into the exact text.
_TOKEN = re.compile(r"\s*\S{1,6}|\s+")
_IMAGE_PARTS = frozenset({"image_url", "input_image", "image"})
_CREATED = 1_700_000_000

class SimulatorUnavailable(Exception):
    """Refused before the stream started (what a throttled or cold endpoint does)."""


class SimulatorStreamError(Exception):
    """The stream broke part-way (what SageMaker reports as ``ModelStreamError``)."""


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    #: Delay before the first token, in milliseconds.
    ttft_ms: int = 150
    #: Tokens per second after the first; 0 means no delay at all.
    tokens_per_s: float = 60.0
    #: Fail after this many tokens (0: refuse before the first); None never fails.
    fail_after: int | None = None
    #: The reply's length in tokens is drawn from this range (the quoted message may exceed it).
    reply_tokens: tuple[int, int] = (40, 80)


@dataclass(frozen=True, slots=True)
class SimulatedReply:
    tokens: tuple[str, ...]
    finish_reason: str
    prompt_tokens: int
    seed: int

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def split_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def estimate_prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """About four characters a token plus a few per message: the server side has no tokenizer here."""
    total = 0
    for message in messages:
        total += 4 + (len(_text_of(message.get("content"))) + 3) // 4
    return total


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def _image_count(content: Any) -> int:
    if isinstance(content, list):
        return sum(1 for p in content if isinstance(p, dict) and p.get("type") in _IMAGE_PARTS)
    return 0


#: Housekeeping prompts of the platform (titles, summaries) start with these; the simulator answers
#: them in kind, so that titles and summaries made in local mode read sensibly.
TITLE_PROMPT_PREFIX = "Write a short title"
SUMMARY_PROMPT_PREFIX = "Summarize the conversation"


def _title_of(text: str) -> str:
    """A title as a person would write it: the first sentence that says something (a lone greeting
    such as "Hi!" is skipped), at most six words, its punctuation kept but the final stop dropped."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    chosen = next((s for s in sentences if len(s.split()) > 2), sentences[0] if sentences else "")
    title = " ".join(chosen.split()[:6]).rstrip(".!?:;,")
    return title[:1].upper() + title[1:] if title else "New chat"


def _housekeeping_reply(messages: Sequence[Mapping[str, Any]]) -> str | None:
    system = next((_text_of(m.get("content")) for m in messages if m.get("role") == "system"), "")
    users = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    if system.startswith(TITLE_PROMPT_PREFIX) and users:
        return _title_of(users[-1])
    if system.startswith(SUMMARY_PROMPT_PREFIX) and users:
        # The transcript arrives as one user message; keep the gist of each of its lines.
        lines = [line.strip() for line in users[-1].splitlines() if line.strip()]
        gist = "; ".join(" ".join(line.split()[:12]) for line in lines[:40])
        return f"[Parley simulator summary of {len(lines)} lines] {gist}"
    return None


class SimulatedModel:
    """The simulated endpoint. One instance serves every stream; it holds no per-stream state."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.config = config or SimulatorConfig()
        # Injectable so tests can check the pacing on a virtual clock instead of timing real sleeps.
        self._clock = clock
        self._sleep = sleep or asyncio.sleep

    def reply(self, body: Mapping[str, Any], prompt_tokens: int | None = None) -> SimulatedReply:
        """The whole answer to a Chat Completions body, without timing (pure and deterministic)."""
        messages: list[Mapping[str, Any]] = list(body.get("messages") or [])
        model = str(body.get("model") or "simulator")
        if prompt_tokens is None:
            prompt_tokens = estimate_prompt_tokens(messages)
        digest = hashlib.sha256(
            json.dumps([model, messages], sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ).digest()
        seed = int.from_bytes(digest[:8], "big")
        rng = random.Random(seed)

        housekeeping = _housekeeping_reply(messages)
        if housekeeping is not None:
            tokens = split_tokens(housekeeping)
            max_tokens = body.get("max_tokens")
            finish = "stop"
            if isinstance(max_tokens, int) and 0 < max_tokens < len(tokens):
                tokens, finish = tokens[:max_tokens], "length"
            return SimulatedReply(tuple(tokens), finish, prompt_tokens, seed)

        last_user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
        low, high = self.config.reply_tokens
        target = rng.randint(min(low, high), max(low, high))
        content = last_user.get("content") if last_user is not None else ""
        before = messages[: messages.index(last_user)] if last_user is not None else []
        previous = next((_text_of(m.get("content")) for m in reversed(before) if m.get("role") == "assistant"), "")
        request = read_request(_text_of(content), model, _image_count(content), previous)
        tokens = split_tokens(compose(request, rng, target, lambda text: len(split_tokens(text))))

        finish = "stop"
        max_tokens = body.get("max_tokens")
        if isinstance(max_tokens, int) and 0 < max_tokens < len(tokens):
            tokens, finish = tokens[:max_tokens], "length"
        return SimulatedReply(tuple(tokens), finish, prompt_tokens, seed)

    async def stream(self, body: Mapping[str, Any], prompt_tokens: int | None = None) -> AsyncGenerator[bytes, None]:
        """The endpoint's response bytes, paced by ``ttft_ms`` and ``tokens_per_s``."""
        config = self.config
        if config.fail_after == 0:
            raise SimulatorUnavailable("simulated model is unavailable (PARLEY_SIM_FAIL_AFTER=0)")
        reply = self.reply(body, prompt_tokens)
        chunks = _ChunkWriter(reply, str(body.get("model") or "simulator"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        cutter = random.Random(reply.seed ^ 0x5EED)
        clock = self._clock or asyncio.get_running_loop().time
        sleep = self._sleep

        if config.ttft_ms > 0:
            await sleep(config.ttft_ms / 1000)
        started = clock()
        total = len(reply.tokens)
        fail_at = config.fail_after if config.fail_after is not None and config.fail_after < total else None
        rate = config.tokens_per_s
        batch = max(1, int(rate * MIN_SLEEP_S)) if rate > 0 else max(1, total)

        pending = chunks.role()
        i = 0
        while i < total:
            if rate > 0 and i > 0:
                # Deadlines from the start, not sleeps per batch, so the rate does not drift.
                delay = started + i / rate - clock()
                if delay > 0:
                    await sleep(delay)
            end = min(total, i + batch)
            if fail_at is not None and i < fail_at < end:
                end = fail_at
            pending += b"".join(chunks.token(t) for t in reply.tokens[i:end])
            i = end
            if i == total:
                pending += chunks.finish(include_usage)
            for piece in _cut(pending, cutter):
                yield piece
            pending = b""
            if fail_at is not None and i >= fail_at:
                raise SimulatorStreamError(f"simulated stream failure after {fail_at} tokens")
        if total == 0:
            for piece in _cut(pending + chunks.finish(include_usage), cutter):
                yield piece


def _cut(data: bytes, rng: random.Random) -> list[bytes]:
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        size = rng.randint(1, MAX_PIECE)
        pieces.append(data[start : start + size])
        start += size
    return pieces


class _ChunkWriter:
    """Serialises chunks the way vLLM does (compact JSON, one object per line)."""

    def __init__(self, reply: SimulatedReply, model: str) -> None:
        self.reply = reply
        ident = json.dumps(f"chatcmpl-sim-{reply.seed:016x}")
        self._head = (
            f'{{"id":{ident},"object":"chat.completion.chunk","created":{_CREATED},'
            f'"model":{json.dumps(model)},"choices":[{{"index":0,"delta":'
        ).encode()
        self._tail = b',"logprobs":null,"finish_reason":null}]}\n'

    def role(self) -> bytes:
        return self._head + b'{"role":"assistant","content":""}' + self._tail

    def token(self, text: str) -> bytes:
        return (
            self._head
            + b'{"content":'
            + json.dumps(text, ensure_ascii=False).encode("utf-8")
            + b"}"
            + self._tail
        )

    def finish(self, include_usage: bool) -> bytes:
        reply = self.reply
        out = (
            self._head
            + b'{},"logprobs":null,"finish_reason":'
            + json.dumps(reply.finish_reason).encode()
            + b',"stop_reason":null}]}\n'
        )
        if include_usage:
            usage = {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": len(reply.tokens),
                "total_tokens": reply.prompt_tokens + len(reply.tokens),
            }
            out += (
                self._head[: self._head.index(b'"choices"')]
                + b'"choices":[],"usage":'
                + json.dumps(usage, separators=(",", ":")).encode()
                + b"}\n"
            )
        return out
