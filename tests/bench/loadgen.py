"""A small streaming load generator for the gateway benchmark: raw HTTP/1.1 on loopback, no client library
in the way (its CPU is not the gateway's, but it shares the machine).

A stream is timed from the request being written: TTFT to the first non-empty content delta, total to the
end of the response; delivered tokens are content characters / 5 (the fake upstream's tokens are fixed width).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field

CLK_TCK = os.sysconf("SC_CLK_TCK")
TOKEN_LEN = 5


def process_cpu_s(pid: int) -> float:
    """utime + stime of one process (its threads included, its children not)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        rest = f.read().rsplit(b")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


@dataclass
class Result:
    ok: bool = False
    error: str | None = None
    ttft: float | None = None
    total: float = 0.0
    chars: int = 0


@dataclass
class Target:
    port: int
    headers: dict[str, str] = field(default_factory=dict)
    native: bool = False  # Parley's own route: a conversation per stream, then POST .../messages


async def http(port: int, method: str, path: str, body: bytes, headers: dict[str, str], on_chunk=None
               ) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" \
               f"content-length: {len(body)}\r\nconnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(head.encode() + b"\r\n" + body)
        status = int((await reader.readline()).split()[1])
        chunked, length = False, None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "content-length":
                length = int(value)
        out = bytearray()
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                data = await reader.readexactly(size)
                await reader.readexactly(2)
                if on_chunk is not None and status == 200:
                    on_chunk(data)
                else:
                    out += data
        elif length is not None:
            out += await reader.readexactly(length)
        else:
            out += await reader.read()
        return status, bytes(out)
    finally:
        writer.close()


class _SseCounter:
    """Counts content characters of an OpenAI chunk stream or of Parley's native events."""

    def __init__(self, result: Result, t0: float, native: bool) -> None:
        self.r, self.t0, self.native, self.buf, self.event = result, t0, native, b"", b""

    def __call__(self, data: bytes) -> None:
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        for line in lines:
            if line.startswith(b"event:"):
                self.event = line[6:].strip()
            elif line.startswith(b"data:"):
                self._data(line[5:].strip())

    def _data(self, payload: bytes) -> None:
        if payload == b"[DONE]":
            self.r.ok = self.r.error is None
            return
        obj = json.loads(payload)
        if self.native:
            if self.event == b"content_chunk":
                self._content(obj.get("delta") or "")
            elif self.event == b"message_end":
                self.r.ok = self.r.error is None
            elif self.event == b"error":
                self.r.error = str(obj.get("code"))
            return
        if obj.get("error"):
            self.r.error = str(obj["error"])[:100]
        elif obj.get("choices"):
            self._content(obj["choices"][0].get("delta", {}).get("content") or "")

    def _content(self, text: str) -> None:
        if text:
            if self.r.ttft is None:
                self.r.ttft = time.perf_counter() - self.t0
            self.r.chars += len(text)


async def one_stream(target: Target, prompt: str) -> Result:
    result = Result()
    headers = {"accept": "text/event-stream", **target.headers}
    try:
        if target.native:
            status, raw = await http(target.port, "POST", "/conversations", b"{}", headers)
            if status != 201:
                result.error = f"create {status}"
                return result
            path = f"/conversations/{json.loads(raw)['conversationId']}/messages"
            body = json.dumps({"content": prompt}).encode()
        else:
            path = "/v1/chat/completions"
            body = json.dumps({"model": "auto", "stream": True,
                               "messages": [{"role": "user", "content": prompt}]}).encode()
        t0 = time.perf_counter()
        status, raw = await http(target.port, "POST", path, body, headers, _SseCounter(result, t0, target.native))
        result.total = time.perf_counter() - t0
        if status != 200:
            result.ok, result.error = False, f"HTTP {status} {raw[:120]!r}"
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        result.ok, result.error = False, type(exc).__name__
    return result


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def scenario(target: Target, concurrency: int, rounds: int, *, ramp_s: float = 0.0, cpu_pid: int | None = None,
                   server_pids: tuple[int, ...] = (), expect_tokens: int = 200) -> dict:
    """``concurrency`` workers, ``rounds`` streams each after one uncounted warm-up wave; ``ramp_s`` spreads
    the workers' first streams over that many seconds (steady arrivals instead of a burst). ``server_pids``
    (the local servers ``cpu_pid`` started) are counted apart from it: what a turn costs them is no part of
    the process on Lambda, but it is the machine's in local mode."""
    await asyncio.gather(*(one_stream(target, f"warm-up {i}") for i in range(concurrency)))
    results: list[Result] = []
    cpu0 = process_cpu_s(cpu_pid) if cpu_pid else 0.0
    servers0 = sum(map(process_cpu_s, server_pids))
    started = time.perf_counter()

    async def worker(i: int) -> None:
        if ramp_s:
            await asyncio.sleep(ramp_s * i / concurrency)
        for r in range(rounds):
            results.append(await one_stream(target, f"Write a short story about relay {i}-{r}."))

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    wall = time.perf_counter() - started
    ok = [r for r in results if r.ok and round(r.chars / TOKEN_LEN) == expect_tokens]
    tokens = sum(r.chars for r in ok) / TOKEN_LEN
    ttft = [r.ttft for r in ok if r.ttft is not None]
    out = {"streams": len(results), "bad": len(results) - len(ok),
           "ttft_p50_ms": _ms(pct(ttft, 50)), "ttft_p95_ms": _ms(pct(ttft, 95)),
           "tokens_per_s": round(tokens / wall) if wall else None}
    errors = sorted({r.error or "short" for r in results if r not in ok})
    if errors:
        out["errors"] = errors[:3]
    if cpu_pid:
        out["cpu_ms_per_1k_tokens"] = _ms_per_1k(process_cpu_s(cpu_pid) - cpu0, tokens)
    if server_pids:
        out["servers_cpu_ms_per_1k_tokens"] = _ms_per_1k(sum(map(process_cpu_s, server_pids)) - servers0, tokens)
    return out


def _ms_per_1k(cpu_s: float, tokens: float) -> float | None:
    return round(1000 * cpu_s / (tokens / 1000), 1) if tokens else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
