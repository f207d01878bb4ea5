"""AWS event-stream frames and a stubbed HTTP layer, so botocore's real parser reads test streams.

moto has no ``InvokeEndpointWithResponseStream``; these helpers build the binary frames SageMaker
sends (prelude, headers, payload, CRCs) and hand them to a real ``sagemaker-runtime`` client
through a ``before-send`` handler, so ``invoke_endpoint_with_response_stream`` parses them itself.
"""

from __future__ import annotations

import json
import random
import struct
import threading
from binascii import crc32
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

_STRING = 7


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message (every header a string, as SageMaker sends them)."""
    head = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        head += (
            bytes([len(raw_name)])
            + raw_name
            + bytes([_STRING])
            + struct.pack(">H", len(raw_value))
            + raw_value
        )
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", crc32(prelude) & 0xFFFFFFFF)
    message = prelude + head + payload
    return message + struct.pack(">I", crc32(message) & 0xFFFFFFFF)


def payload_part(data: bytes) -> bytes:
    """A ``PayloadPart`` event: its payload is the blob's raw bytes (the shape's ``eventpayload``)."""
    return frame(
        {":event-type": "PayloadPart", ":message-type": "event", ":content-type": "application/octet-stream"},
        data,
    )


def stream_exception(kind: str, message: str, error_code: str | None = None) -> bytes:
    """``ModelStreamError`` / ``InternalStreamFailure``: an exception message with a JSON body."""
    body: dict[str, str] = {"Message": message}
    if error_code:
        body["ErrorCode"] = error_code
    return frame(
        {":exception-type": kind, ":message-type": "exception", ":content-type": "application/json"},
        json.dumps(body).encode(),
    )


def jsonl(chunks: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(c, ensure_ascii=False).encode() + b"\n" for c in chunks)


def chat_chunks(texts: list[str], finish: str = "stop", usage: tuple[int, int] | None = (11, 3)) -> bytes:
    """What LMI streams for an answer made of ``texts``."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    out = [
        {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    ]
    out += [
        {**base, "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}], "usage": None}
        for t in texts
    ]
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if usage is not None:
        out.append(
            {
                **base,
                "choices": [],
                "usage": {
                    "prompt_tokens": usage[0],
                    "completion_tokens": usage[1],
                    "total_tokens": usage[0] + usage[1],
                },
            }
        )
    return jsonl(out)


def split_randomly(data: bytes, rng: random.Random, max_size: int = 40) -> list[bytes]:
    pieces, start = [], 0
    while start < len(data):
        size = rng.randint(1, max_size)
        pieces.append(data[start : start + size])
        start += size
    return pieces


class RawStream:
    """Stands in for urllib3's response: ``stream()`` yields network reads, ``close()`` is recorded.

    ``gate`` (optional) is waited on before each read after the first ``release_after`` reads,
    to hold a stream open the way a slowly generating model does.
    """

    def __init__(
        self, reads: list[bytes], gate: threading.Event | None = None, release_after: int = 0
    ) -> None:
        self.reads = reads
        self.gate = gate
        self.release_after = release_after
        self.served = 0
        self.closed = threading.Event()

    def stream(self, amt: int = 1024, decode_content: bool | None = None) -> Iterator[bytes]:
        for data in self.reads:
            if self.closed.is_set():
                return
            if self.gate is not None and self.served >= self.release_after:
                self.gate.wait(5)
            self.served += 1
            yield data

    def close(self) -> None:
        self.closed.set()


Responder = Callable[[Any], AWSResponse]


def runtime_client(responder: Responder) -> Any:
    """A real ``sagemaker-runtime`` client whose HTTP sends are answered by ``responder(request)``."""
    client = boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )

    def before_send(request: Any, **_: Any) -> AWSResponse:
        return responder(request)

    client.meta.events.register("before-send.sagemaker-runtime.InvokeEndpointWithResponseStream", before_send)
    return client


def stream_response(raw: RawStream) -> Responder:
    def respond(request: Any) -> AWSResponse:
        respond.requests.append(request)  # type: ignore[attr-defined]
        return AWSResponse(
            request.url,
            200,
            {"content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "req-1"},
            raw,
        )

    respond.requests = []  # type: ignore[attr-defined]
    return respond


def error_response(status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> Responder:
    body = json.dumps({"message": message, **(extra or {})}).encode()

    def respond(request: Any) -> AWSResponse:
        return AWSResponse(
            request.url,
            status,
            {"x-amzn-errortype": code, "content-type": "application/json", "x-amzn-requestid": "req-1"},
            RawStream([body]),
        )

    return respond
