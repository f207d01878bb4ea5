"""Logger, tracer and metrics shared by the core (Powertools: JSON logs, X-Ray, EMF metrics).

Never log tokens, secrets or message contents: ids, sizes, counts and codes only.

Every line carries what is known of where it comes from:
* ``correlation_id``: the API Gateway request id (Mangum's event or, in the chat function, the Web
  Adapter's request context), locally the client's ``X-Request-Id`` or a generated one; set per
  request by :func:`bind_request` (``parley.api.request_context``);
* ``conversation_id``: where the request's path names a conversation;
* in the Lambda handlers, the invocation's context (``function_request_id``, ``cold_start``...):
  :func:`lambda_entry`.
Request keys are context-local (a ``ContextVar``), so concurrent requests served by one process, each
in its own task, never see each other's; work a request spawns as a task inherits them.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

    from parley.settings import Settings

SERVICE = "parley"
NAMESPACE = "Parley"

#: The one logger of the core and the functions (Powertools JSON on stdout). Its level is Powertools'
#: (``POWERTOOLS_LOG_LEVEL``, which the CDK app sets, or Lambda's own log-level control).
logger = Logger(service=SERVICE)

#: AWS clients traced by X-Ray where tracing is on (all of them are botocore clients).
TRACED_MODULES = ("botocore",)

#: A Lambda handler: (event, context) -> response.
Handler = Callable[[Any, Any], Any]


def use_log_level(level: str) -> None:
    """The level of the logger where the process sets it itself (``parley dev``: the ``log_level``
    setting). On AWS the CDK app passes the same setting as ``POWERTOOLS_LOG_LEVEL``, and Lambda's own
    log-level control may override it, so the handlers leave it to Powertools."""
    logger.setLevel(level.upper())


def bind_request(correlation_id: str, conversation_id: str | None = None) -> None:
    """Start a request's log keys afresh (nothing of the previous request in this context survives)."""
    logger.thread_safe_clear_keys()
    if conversation_id:
        logger.thread_safe_append_keys(correlation_id=correlation_id, conversation_id=conversation_id)
    else:
        logger.thread_safe_append_keys(correlation_id=correlation_id)


def build_tracer(settings: Settings) -> Tracer | None:
    """The X-Ray tracer for a Lambda handler, or None where tracing is off (local mode, tests,
    ``PARLEY_TRACING=false``). Imported only here: the X-Ray SDK builds a boto client when it is
    imported (~0.1 s), a cost only a traced function should pay."""
    if settings.mode != "aws" or not settings.tracing:
        return None
    from aws_lambda_powertools import Tracer

    # Powertools turns itself off outside Lambda (no AWS_LAMBDA_FUNCTION_NAME), so a test that
    # builds an aws-mode handler sends nothing anywhere.
    return Tracer(service=SERVICE, patch_modules=TRACED_MODULES)


def lambda_entry(settings: Settings, handler: Handler, *, correlation_id_path: str | None = None) -> Handler:
    """A Lambda handler with the invocation's context on every log line (and the request id found at
    ``correlation_id_path`` in the event, for API Gateway events) and, where tracing is on, an X-Ray
    segment around it. Events and responses are never logged or recorded: they hold message contents."""
    wrapped: Handler = logger.inject_lambda_context(handler, log_event=False,
                                                    correlation_id_path=correlation_id_path, clear_state=True)
    tracer = build_tracer(settings)
    if tracer is not None:
        wrapped = tracer.capture_lambda_handler(wrapped, capture_response=False)
    return wrapped

_UNITS = {
    "Ms": MetricUnit.Milliseconds,
    "USD": MetricUnit.NoUnit,
    "Count": MetricUnit.Count,
}


class MetricsSink(Protocol):
    def emit(self, values: dict[str, float], dimensions: dict[str, str] | None = None) -> None:
        """Record a group of metric values that belong to one event (one chat turn, say)."""
        ...


class EmfMetrics:
    """CloudWatch Embedded Metric Format through Powertools: one EMF document per event.

    One ``EphemeralMetrics`` for the process (not the global ``Metrics`` singleton: nothing else
    flushes it); the lock keeps one event's metrics and dimensions together in one document.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)

    def emit(self, values: dict[str, float], dimensions: dict[str, str] | None = None) -> None:
        if not values:
            return
        with self._lock:
            try:
                for key, dimension in (dimensions or {}).items():
                    self._metrics.add_dimension(name=key, value=dimension)
                for name, value in values.items():
                    self._metrics.add_metric(name=name, unit=_unit_of(name), value=value)
                self._metrics.flush_metrics()
            finally:
                # A value Powertools refused must not leave this event's dimensions on the next one.
                self._metrics.clear_metrics()


class MemoryMetrics:
    """Local mode and tests: values kept in memory (readable by tests and the benchmark)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, list[float]] = defaultdict(list)

    def emit(self, values: dict[str, float], dimensions: dict[str, str] | None = None) -> None:
        with self._lock:
            for name, value in values.items():
                self.values[name].append(value)


def _unit_of(name: str) -> MetricUnit:
    for suffix, unit in _UNITS.items():
        if name.endswith(suffix):
            return unit
    return MetricUnit.Count
