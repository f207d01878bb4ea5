"""The simulator as a backend: the local model's LMI bytes, decoded by the SageMaker parser.

The simulated model answers the wire format of an LMI endpoint; this backend sends it the same
request body the SageMaker backend sends and reads its bytes with the same
:class:`~parley.inference.lmi_stream.ChatChunkParser`, so local mode exercises the real decoding path.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from model_endpoints.simulator import (
    SimulatedModel,
    SimulatorConfig,
    SimulatorStreamError,
    SimulatorUnavailable,
)
from parley.catalog import ModelSpec
from parley.inference.base import (
    InferenceError,
    InferenceRequest,
    ModelUnavailable,
    StreamEvent,
    TextDelta,
)
from parley.inference.lmi_stream import ChatChunkParser
from parley.inference.wire import chat_request_body, request_texts
from parley.tokens import PER_MESSAGE_OVERHEAD, count_tokens


class SimulatorBackend:
    """Streams the simulated model's answer. Build it with the ``sim_*`` settings."""

    def __init__(
        self,
        *,
        ttft_ms: int = 150,
        tokens_per_s: float = 60.0,
        fail_after: int | None = None,
        reply_tokens: tuple[int, int] = (40, 80),
        model: SimulatedModel | None = None,
    ) -> None:
        self.model = model or SimulatedModel(
            SimulatorConfig(
                ttft_ms=ttft_ms, tokens_per_s=tokens_per_s, fail_after=fail_after, reply_tokens=reply_tokens
            )
        )

    def stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        return self._stream(spec, request)

    async def _stream(self, spec: ModelSpec, request: InferenceRequest) -> AsyncGenerator[StreamEvent, None]:
        # The label names the catalog model; a real LMI endpoint ignores "model" in the body.
        body = chat_request_body(spec, request, model=spec.id)
        parser = ChatChunkParser()
        try:
            async with aclosing(self.model.stream(body, prompt_tokens=_prompt_tokens(request))) as pieces:
                async for piece in pieces:
                    deltas = parser.feed(piece)
                    if deltas:
                        yield deltas[0] if len(deltas) == 1 else TextDelta("".join(d.text for d in deltas))
        except SimulatorUnavailable as exc:
            raise ModelUnavailable(str(exc), retryable=True) from None
        except SimulatorStreamError as exc:
            raise InferenceError(str(exc), retryable=True, code="model_stream_error") from None
        tail, completion = parser.close()
        if tail:
            yield TextDelta("".join(d.text for d in tail))
        yield completion


def _prompt_tokens(request: InferenceRequest) -> int:
    """The platform's own count when it gave one; otherwise count here (tiktoken loads on first use)."""
    if request.context_tokens:
        return request.context_tokens
    return sum(count_tokens(t) for t in request_texts(request)) + PER_MESSAGE_OVERHEAD * len(request.messages)
