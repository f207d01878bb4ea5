"""A fake OpenAI upstream for the gateway benchmark (loopback only; after ../shared/peerbench/fake_openai.py).

``POST /v1/chat/completions`` with ``stream: true`` answers ``tokens`` content deltas of exactly
five characters each, ``itl_ms`` apart, then a usage chunk (when asked) and ``data: [DONE]``.
``POST /_config`` changes the knobs at run time: ``{"tokens": 200, "itl_ms": 20}``.

    python tests/bench/fake_upstream.py --port 18000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

TOKEN_LEN = 5
CFG = {"tokens": 200, "itl_ms": 0.0}
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def token_text(i: int) -> str:
    n = i % 36**3
    return " t" + _DIGITS[n // 1296] + _DIGITS[(n // 36) % 36] + _DIGITS[n % 36]


async def chat_completions(request: Request) -> StreamingResponse | JSONResponse:
    body = await request.json()
    tokens, itl = int(CFG["tokens"]), float(CFG["itl_ms"]) / 1000
    model = json.dumps(body.get("model") or "fake-model").encode()
    head = (b'data: {"id":"chatcmpl-' + uuid.uuid4().hex[:24].encode() + b'","object":"chat.completion.chunk",'
            b'"created":' + str(int(time.time())).encode() + b',"model":' + model + b',"choices":[{"index":0,"delta":')
    tail = b',"finish_reason":null}]}\n\n'
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages") or [])
    usage = (body.get("stream_options") or {}).get("include_usage")

    async def gen():
        for i in range(tokens):
            if i and itl:
                await asyncio.sleep(itl)
            role = b'"role":"assistant",' if i == 0 else b""
            yield head + b"{" + role + b'"content":"' + token_text(i).encode() + b'"}' + tail
        yield head + b'{},"finish_reason":"stop"}]}\n\n'
        if usage:
            yield (b'data: {"choices":[],"usage":{"prompt_tokens":' + str(prompt).encode()
                   + b',"completion_tokens":' + str(tokens).encode() + b"}}\n\n")
        yield b"data: [DONE]\n\n"

    return StreamingResponse(gen(), media_type="text/event-stream")


async def config(request: Request) -> JSONResponse:
    CFG.update({k: float(v) for k, v in (await request.json()).items() if k in CFG})
    return JSONResponse(CFG)


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/_config", config, methods=["POST"]),
    Route("/health", health),
])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    import uvicorn

    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, loop=loop,
                backlog=4096)


if __name__ == "__main__":
    main()
